import { describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/api/group.js";
import { secretsOfConnection } from "../../src/connections/dependencies.js";
import {
  type ResolveContext,
  resolveConnection,
  type SetConnectionSpec,
} from "../../src/connections/resolve.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PIN = "AB".repeat(32);

function secret(namespace: string, name: string, data: Record<string, string>, type?: string) {
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
  );
  return [
    `${namespace}/${name}`,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace },
      data: encoded,
      ...(type === undefined ? {} : { type }),
    },
  ] as const;
}

function obshellConnection(namespace: string, name: string, obshell: Record<string, unknown>) {
  return [
    `${namespace}/${name}`,
    { apiVersion: API_VERSION, kind: "DatabaseConnection", metadata: { name, namespace }, spec: { obshell } },
  ] as const;
}

const baseObshell = {
  endpoint: "https://ob1.example:2886",
  credentialsSecretRef: { name: "ob", key: "password" },
  tls: { caSecretRef: { name: "ob-ca", key: "ca.crt" }, serverName: "agent.ob1", insecureSkipVerify: false },
  agentPublicKeySha256: PIN,
  allowInsecureHTTP: false,
  requestTimeout: "45s",
};
const dcsSpec = {
  endpoint: "https://dcs.example",
  projectId: "p1",
  credentialsSecretRef: { name: "dcs", accessKeyKey: "accessKey", secretKeyKey: "secretKey" },
  allowInsecureHTTP: false,
  requestTimeout: "30s",
};

interface World {
  connections?: Record<string, unknown>;
  clusterConnections?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  allowInline?: boolean;
}

function context(world: World = {}): ResolveContext & { added: string[] } {
  const lookup = (m: Record<string, unknown> = {}) => ({ get: (key: string) => m[key] });
  const added: string[] = [];
  return {
    connections: lookup(
      world.connections ?? Object.fromEntries([obshellConnection("team-a", "ob1", baseObshell)]),
    ),
    clusterConnections: lookup(
      world.clusterConnections ?? {
        shared: {
          apiVersion: API_VERSION,
          kind: "ClusterDatabaseConnection",
          metadata: { name: "shared" },
          spec: { dcs: dcsSpec, allowedNamespaces: ["team-a"] },
        },
        everyone: {
          apiVersion: API_VERSION,
          kind: "ClusterDatabaseConnection",
          metadata: { name: "everyone" },
          spec: { dcs: dcsSpec, allowedNamespaces: ["*"] },
        },
        // As stored before allowedNamespaces was required (issue 25, L2), when its absence meant everyone.
        unset: {
          apiVersion: API_VERSION,
          kind: "ClusterDatabaseConnection",
          metadata: { name: "unset" },
          spec: { dcs: dcsSpec },
        },
        null: {
          apiVersion: API_VERSION,
          kind: "ClusterDatabaseConnection",
          metadata: { name: "null" },
          spec: { dcs: dcsSpec, allowedNamespaces: null },
        },
      },
    ),
    secrets: lookup(
      world.secrets ??
        Object.fromEntries([
          secret("team-a", "ob", { password: "pw-team-a" }),
          secret("team-a", "ob-ca", { "ca.crt": CA }),
          secret("team-a", "dcs", { accessKey: "AK-A", secretKey: "SK-A" }),
          secret("dbfleet-system", "dcs", { accessKey: "AK-OP", secretKey: "SK-OP" }),
        ]),
    ),
    operatorNamespace: "dbfleet-system",
    allowInlineConnections: world.allowInline ?? false,
    secretValues: { add: (v) => added.push(v) },
    added,
  };
}

const trsRef = (name = "ob1", namespace = "team-a"): SetConnectionSpec => ({
  kind: "TenantReplicaSet",
  namespace,
  spec: { connectionRef: { kind: "DatabaseConnection", name } },
});
const risCluster = (namespace = "team-a", name = "shared"): SetConnectionSpec => ({
  kind: "RedisInstanceSet",
  namespace,
  spec: { connectionRef: { kind: "ClusterDatabaseConnection", name } },
});

describe("resolveConnection refuses", () => {
  it.each<{ reason: string; set: SetConnectionSpec; world?: World; expected: string; mentions: string }>([
    {
      reason: "a connectionRef naming no DatabaseConnection of the set's namespace",
      set: trsRef("ob1", "team-b"),
      expected: "ConnectionNotFound",
      mentions: "DatabaseConnection team-b/ob1 not found",
    },
    {
      reason: "a ClusterDatabaseConnection that does not exist",
      set: { ...risCluster(), spec: { connectionRef: { kind: "ClusterDatabaseConnection", name: "nope" } } },
      expected: "ConnectionNotFound",
      mentions: "ClusterDatabaseConnection nope not found",
    },
    {
      reason: "a ClusterDatabaseConnection whose allowedNamespaces leaves the set's namespace out",
      set: risCluster("team-b"),
      expected: "ConnectionNotAllowed",
      mentions: "namespace team-b",
    },
    {
      reason:
        "a ClusterDatabaseConnection stored without allowedNamespaces: not open to all, invalid by name",
      set: risCluster("team-a", "unset"),
      expected: "ConnectionInvalid",
      mentions:
        'spec.allowedNamespaces: is required: list the namespaces whose sets may use this connection, or ["*"] for every namespace',
    },
    {
      reason: "a ClusterDatabaseConnection with allowedNamespaces: null",
      set: risCluster("team-a", "null"),
      expected: "ConnectionInvalid",
      mentions: "spec.allowedNamespaces: is required",
    },
    {
      reason: "a DCS connection named by a TenantReplicaSet",
      set: { ...risCluster(), kind: "TenantReplicaSet" },
      expected: "ConnectionKindMismatch",
      mentions: "not an obshell connection",
    },
    {
      reason: "an inline connection when the operator does not allow them",
      set: { kind: "TenantReplicaSet", namespace: "team-a", spec: { obshell: baseObshell } },
      expected: "InlineConnectionRefused",
      mentions: "--allow-inline-connections",
    },
    {
      reason: "an http:// endpoint without allowInsecureHTTP",
      set: trsRef(),
      world: {
        connections: Object.fromEntries([
          obshellConnection("team-a", "ob1", { ...baseObshell, endpoint: "http://ob1.example:2886" }),
        ]),
      },
      expected: "InsecureHTTP",
      mentions: "allowInsecureHTTP",
    },
    {
      reason: "a credentials Secret without the named key",
      set: trsRef(),
      world: {
        secrets: Object.fromEntries([
          secret("team-a", "ob", { other: "x" }),
          secret("team-a", "ob-ca", { "ca.crt": CA }),
        ]),
      },
      expected: "CredentialsMissing",
      mentions: 'Secret team-a/ob has no key "password"',
    },
    {
      reason:
        "a ClusterDatabaseConnection whose Secret exists only in the set's namespace, not the operator's",
      set: risCluster(),
      world: { secrets: Object.fromEntries([secret("team-a", "dcs", { accessKey: "AK", secretKey: "SK" })]) },
      expected: "CredentialsMissing",
      mentions: "Secret dbfleet-system/dcs not found",
    },
    {
      reason: "a CA Secret that is missing",
      set: trsRef(),
      world: { secrets: Object.fromEntries([secret("team-a", "ob", { password: "pw" })]) },
      expected: "CaMissing",
      mentions: "Secret team-a/ob-ca not found",
    },
    {
      reason: "a CA Secret that holds no PEM",
      set: trsRef(),
      world: {
        secrets: Object.fromEntries([
          secret("team-a", "ob", { password: "pw" }),
          secret("team-a", "ob-ca", { "ca.crt": "not a pem" }),
        ]),
      },
      expected: "CaMissing",
      mentions: "no PEM certificate",
    },
    ...[
      "kubernetes.io/service-account-token",
      "kubernetes.io/dockerconfigjson",
      "kubernetes.io/dockercfg",
      "kubernetes.io/tls",
      "kubernetes.io/basic-auth",
      "kubernetes.io/ssh-auth",
      "bootstrap.kubernetes.io/token",
      "helm.sh/release.v1",
    ].map((type) => ({
      reason: `a credentials Secret of type ${type}, its value never read`,
      set: trsRef(),
      world: {
        secrets: Object.fromEntries([
          secret("team-a", "ob", { password: "pw-team-a", token: "pw-team-a" }, type),
          secret("team-a", "ob-ca", { "ca.crt": CA }),
        ]),
      },
      expected: "SecretTypeRefused",
      mentions: `Secret team-a/ob is of type "${type}"`,
    })),
    {
      reason: "a ClusterDatabaseConnection naming the operator's own ServiceAccount token",
      set: risCluster(),
      world: {
        secrets: Object.fromEntries([
          secret(
            "dbfleet-system",
            "dcs",
            { accessKey: "AK-OP", secretKey: "SK-OP" },
            "kubernetes.io/service-account-token",
          ),
        ]),
      },
      expected: "SecretTypeRefused",
      mentions: "Secret dbfleet-system/dcs is of type",
    },
    {
      reason: "a CA Secret of type kubernetes.io/tls (it holds a private key)",
      set: trsRef(),
      world: {
        secrets: Object.fromEntries([
          secret("team-a", "ob", { password: "pw-team-a" }),
          secret("team-a", "ob-ca", { "ca.crt": CA, "tls.key": "KEY" }, "kubernetes.io/tls"),
        ]),
      },
      expected: "SecretTypeRefused",
      mentions: "Secret team-a/ob-ca is of type",
    },
    {
      reason: "a DatabaseConnection that breaks its schema (both remotes)",
      set: trsRef(),
      world: {
        connections: {
          "team-a/ob1": {
            apiVersion: API_VERSION,
            kind: "DatabaseConnection",
            metadata: { name: "ob1", namespace: "team-a" },
            spec: { obshell: baseObshell, dcs: dcsSpec },
          },
        },
      },
      expected: "ConnectionInvalid",
      mentions: "exactly one of obshell or dcs",
    },
  ])("$reason", ({ set, world, expected, mentions }) => {
    const ctx = context(world);
    const result = resolveConnection(set, ctx);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(expected);
    expect(result.message).toContain(mentions);
    for (const value of ["pw-team-a", "SK-A", "SK-OP", "AK-OP"]) expect(result.message).not.toContain(value);
    expect(ctx.added, "no credential value was read").toEqual([]);
  });
});

describe("resolveConnection resolves", () => {
  it.each(["Opaque", "dbfleet.io/credentials"])("a credentials Secret of type %s", (type) => {
    const ctx = context({
      secrets: Object.fromEntries([
        secret("team-a", "ob", { password: "pw-team-a" }, type),
        secret("team-a", "ob-ca", { "ca.crt": CA }, type),
      ]),
    });
    const result = resolveConnection(trsRef(), ctx);
    expect(result.ok && result.connection.kind === "obshell" && result.connection.credentials).toEqual({
      password: "pw-team-a",
    });
  });

  it("a DatabaseConnection with its password, CA, server name, pin (lower case) and timeout", () => {
    const ctx = context();
    const result = resolveConnection(trsRef(), ctx);
    expect(result.ok).toBe(true);
    if (!result.ok || result.connection.kind !== "obshell") return;
    expect(result.connection).toMatchObject({
      source: { kind: "DatabaseConnection", namespace: "team-a", name: "ob1" },
      endpoint: "https://ob1.example:2886",
      credentials: { password: "pw-team-a" },
      tls: { caPem: CA, serverName: "agent.ob1", insecureSkipVerify: false },
      pinnedKeySha256: PIN.toLowerCase(),
      allowInsecureHTTP: false,
      timeoutMs: 45_000,
      warnings: [],
    });
    expect(ctx.added).toEqual(["pw-team-a"]);
  });

  it("a ClusterDatabaseConnection with the Secret of the operator's namespace, not the set's", () => {
    const result = resolveConnection(risCluster(), context());
    expect(result.ok && result.connection.kind === "dcs" && result.connection.credentials).toEqual({
      accessKey: "AK-OP",
      secretKey: "SK-OP",
    });
  });

  it.each(["team-a", "team-b", "kube-system"])(
    'a ClusterDatabaseConnection with allowedNamespaces ["*"] from namespace %s',
    (namespace) => {
      const result = resolveConnection(risCluster(namespace, "everyone"), context());
      expect(result.ok && result.connection.source).toEqual({
        kind: "ClusterDatabaseConnection",
        name: "everyone",
      });
    },
  );

  it("an inline connection when allowed, reading Secrets of the set's namespace", () => {
    const result = resolveConnection(
      { kind: "TenantReplicaSet", namespace: "team-a", spec: { obshell: baseObshell } },
      context({ allowInline: true }),
    );
    expect(result.ok && result.connection.source).toEqual({
      kind: "Inline",
      namespace: "team-a",
      name: "inline",
    });
  });

  it("an allowed http:// endpoint, with a warning to report", () => {
    const world = {
      connections: Object.fromEntries([
        obshellConnection("team-a", "ob1", {
          ...baseObshell,
          endpoint: "http://ob1.example:2886",
          allowInsecureHTTP: true,
        }),
      ]),
    };
    const result = resolveConnection(trsRef(), context(world));
    expect(result.ok && result.connection.warnings).toEqual(["InsecureHTTPAllowed"]);
  });
});

describe("connection identity", () => {
  const identityWith = (edit: Partial<typeof baseObshell>, password = "pw-team-a", namespace = "team-a") => {
    const world: World = {
      connections: Object.fromEntries([obshellConnection(namespace, "ob1", { ...baseObshell, ...edit })]),
      secrets: Object.fromEntries([
        secret(namespace, "ob", { password }),
        secret(namespace, "ob-ca", { "ca.crt": CA }),
      ]),
    };
    const result = resolveConnection(trsRef("ob1", namespace), context(world));
    if (!result.ok) throw new Error(result.message);
    return result.connection.identity;
  };

  it("is stable for the same settings and does not hold a credential in clear", () => {
    expect(identityWith({})).toBe(identityWith({}));
    expect(identityWith({})).not.toContain("pw-team-a");
  });

  it.each<[string, Partial<typeof baseObshell>, (string | undefined)?, (string | undefined)?]>([
    ["the password rotates", {}, "pw-rotated"],
    ["TLS verification is switched off", { tls: { ...baseObshell.tls, insecureSkipVerify: true } }],
    ["the server name changes", { tls: { ...baseObshell.tls, serverName: "other" } }],
    ["the pin changes", { agentPublicKeySha256: "cd".repeat(32) }],
    ["the timeout changes", { requestTimeout: "10s" }],
    ["the endpoint changes", { endpoint: "https://ob2.example:2886" }],
    ["the same settings live in another namespace", {}, undefined, "team-b"],
  ])("changes when %s", (_, edit, password, namespace) => {
    expect(identityWith(edit, password, namespace)).not.toBe(identityWith({}));
  });
});

describe("secretsOfConnection", () => {
  it("names the credentials and CA Secrets where the connection reads them", () => {
    expect(secretsOfConnection(trsRef(), context())).toEqual(["team-a/ob", "team-a/ob-ca"]);
    expect(secretsOfConnection(risCluster(), context())).toEqual(["dbfleet-system/dcs"]);
    expect(secretsOfConnection(trsRef("none"), context())).toEqual([]);
  });
});
