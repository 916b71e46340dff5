// Which objects a set depends on: the one computation the operator's caches, its requeue fan-out and
// `plan` share. Each answer reads one object, so nothing computed from it goes stale when another arrives.
import { describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/api/group.js";
import {
  connectionOf,
  inlineSecretsOf,
  secretsOfConnection,
  secretsOfConnectionObject,
} from "../../src/connections/dependencies.js";
import type { SetConnectionSpec } from "../../src/connections/resolve.js";

const obshell = (credentials: string, ca?: string) => ({
  endpoint: "https://ob.example:2886",
  credentialsSecretRef: { name: credentials, key: "password" },
  allowInsecureHTTP: false,
  requestTimeout: "30s",
  ...(ca ? { tls: { caSecretRef: { name: ca, key: "ca.crt" }, insecureSkipVerify: false } } : {}),
});
const dcs = (credentials: string) => ({
  endpoint: "https://dcs.example",
  projectId: "p1",
  credentialsSecretRef: { name: credentials, accessKeyKey: "accessKey", secretKeyKey: "secretKey" },
  allowInsecureHTTP: false,
  requestTimeout: "30s",
});
const namespaced = (namespace: string, name: string, spec: unknown) => ({
  apiVersion: API_VERSION,
  kind: "DatabaseConnection",
  metadata: { name, namespace },
  spec,
});
const clusterScoped = (name: string, spec: unknown) => ({
  apiVersion: API_VERSION,
  kind: "ClusterDatabaseConnection",
  metadata: { name },
  spec,
});

const trs = (namespace: string, spec: SetConnectionSpec["spec"]): SetConnectionSpec => ({
  kind: "TenantReplicaSet",
  namespace,
  spec,
});
const ris = (namespace: string, spec: SetConnectionSpec["spec"]): SetConnectionSpec => ({
  kind: "RedisInstanceSet",
  namespace,
  spec,
});

describe("connectionOf: the connection a set names, keyed as its informer keys it", () => {
  it.each([
    {
      reason: "a DatabaseConnection lives in the set's namespace",
      set: trs("team-a", { connectionRef: { kind: "DatabaseConnection", name: "ob" } }),
      want: { kind: "DatabaseConnection", key: "team-a/ob" },
    },
    {
      reason: "the same name in another namespace is another connection",
      set: trs("team-b", { connectionRef: { kind: "DatabaseConnection", name: "ob" } }),
      want: { kind: "DatabaseConnection", key: "team-b/ob" },
    },
    {
      reason: "a ClusterDatabaseConnection is keyed by its name alone",
      set: ris("team-a", { connectionRef: { kind: "ClusterDatabaseConnection", name: "dcs" } }),
      want: { kind: "ClusterDatabaseConnection", key: "dcs" },
    },
    {
      reason: "an inline connection names no connection object",
      set: trs("team-a", { obshell: obshell("pw") }),
      want: undefined,
    },
  ])("$reason", ({ set, want }) => {
    expect(connectionOf(set)).toEqual(want);
  });
});

describe("inlineSecretsOf: the Secrets a set names itself", () => {
  it.each([
    {
      reason: "an allowed inline obshell connection: its password and CA Secrets, in the set's namespace",
      set: trs("team-a", { obshell: obshell("pw", "ca") }),
      allow: true,
      want: ["team-a/pw", "team-a/ca"],
    },
    {
      reason: "a refused inline connection's Secret is never read",
      set: trs("team-a", { obshell: obshell("pw", "ca") }),
      allow: false,
      want: [],
    },
    {
      reason: "a RedisInstanceSet reads its dcs block, not an obshell one",
      set: ris("team-a", { dcs: dcs("ak"), obshell: obshell("pw") }),
      allow: true,
      want: ["team-a/ak"],
    },
    {
      reason: "a set that names a connection names no Secret itself",
      set: trs("team-a", {
        connectionRef: { kind: "DatabaseConnection", name: "ob" },
        obshell: obshell("pw"),
      }),
      allow: true,
      want: [],
    },
  ])("$reason", ({ set, allow, want }) => {
    expect(inlineSecretsOf(set, allow)).toEqual(want);
  });
});

describe("secretsOfConnectionObject: the Secrets a connection reads", () => {
  it.each([
    {
      reason: "a DatabaseConnection reads in its own namespace (from its key, whatever its metadata says)",
      kind: "DatabaseConnection" as const,
      key: "team-a/ob",
      object: namespaced("team-a", "ob", { obshell: obshell("pw", "ca") }),
      want: ["team-a/pw", "team-a/ca"],
    },
    {
      reason: "a ClusterDatabaseConnection reads in the operator's namespace",
      kind: "ClusterDatabaseConnection" as const,
      key: "dcs",
      object: clusterScoped("dcs", { dcs: dcs("ak"), allowedNamespaces: ["*"] }),
      want: ["ops/ak"],
    },
    {
      reason: "a connection that does not parse reads nothing (the set reports ConnectionInvalid)",
      kind: "DatabaseConnection" as const,
      key: "team-a/ob",
      object: namespaced("team-a", "ob", { obshell: obshell("pw"), dcs: dcs("ak") }),
      want: [],
    },
    {
      reason: "an object of the other kind does not parse as this one",
      kind: "ClusterDatabaseConnection" as const,
      key: "ob",
      object: namespaced("team-a", "ob", { obshell: obshell("pw") }),
      want: [],
    },
  ])("$reason", ({ kind, key, object, want }) => {
    expect(secretsOfConnectionObject(kind, key, object, "ops")).toEqual(want);
  });
});

describe("secretsOfConnection: what `plan` reads for a set, through the connections it sees", () => {
  const connections = new Map<string, unknown>([
    ["team-a/ob", namespaced("team-a", "ob", { obshell: obshell("pw", "ca") })],
  ]);
  const cluster = new Map<string, unknown>([
    ["dcs", clusterScoped("dcs", { dcs: dcs("ak"), allowedNamespaces: ["*"] })],
    // Stored before allowedNamespaces was required (issue 25, L2): open to no one, so nothing is read.
    ["dcs-old", clusterScoped("dcs-old", { dcs: dcs("ak-old") })],
    ["dcs-b", clusterScoped("dcs-b", { dcs: dcs("ak-b"), allowedNamespaces: ["team-b"] })],
  ]);
  const lookups = {
    connections,
    clusterConnections: cluster,
    operatorNamespace: "ops",
    allowInlineConnections: false,
  };
  it.each([
    {
      reason: "through a DatabaseConnection",
      set: trs("team-a", { connectionRef: { kind: "DatabaseConnection", name: "ob" } }),
      want: ["team-a/pw", "team-a/ca"],
    },
    {
      reason: "nothing while the connection is missing (it is read when it arrives)",
      set: trs("team-b", { connectionRef: { kind: "DatabaseConnection", name: "ob" } }),
      want: [],
    },
    {
      reason: "through a ClusterDatabaseConnection open to every namespace",
      set: ris("team-a", { connectionRef: { kind: "ClusterDatabaseConnection", name: "dcs" } }),
      want: ["ops/ak"],
    },
    {
      reason: "nothing through a ClusterDatabaseConnection that does not admit the namespace",
      set: ris("team-a", { connectionRef: { kind: "ClusterDatabaseConnection", name: "dcs-b" } }),
      want: [],
    },
    {
      reason: "nothing through a ClusterDatabaseConnection stored without allowedNamespaces",
      set: ris("team-a", { connectionRef: { kind: "ClusterDatabaseConnection", name: "dcs-old" } }),
      want: [],
    },
    {
      reason: "nothing for a refused inline connection",
      set: trs("team-a", { obshell: obshell("pw") }),
      want: [],
    },
  ])("$reason", ({ set, want }) => {
    expect(secretsOfConnection(set, lookups)).toEqual(want);
  });
});
