// Issue 25, M2: a connection may name only a Secret of a credential type (Opaque, dbfleet.io/credentials).
// A connection admin once received the operator's own ServiceAccount token by naming it; now the set is
// Stalled with SecretTypeRefused and the remote receives nothing at all. Judged by the simulator's request
// log, on the real API server, with the operator running as deploy/'s identity.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Operator } from "../../src/operator.js";
import {
  CLUSTER_SECRET_NAMESPACE,
  connectionRef,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
// The simulator accepts this password: were it sent, the set would converge and remove z3.
const PASSWORD = "sa-token-looks-like-a-password";
const log = captureLog();
let ns = "";
let obshell: ObshellSimulator;
let operator: Operator | undefined;

type Conditions = { status?: { conditions?: { type: string; status: string; reason: string }[] } };
const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;

/** A ServiceAccount token Secret as the token controller writes it (the harness runs none). */
const saToken = (namespace: string, name: string): RawObject => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/service-account-token",
  metadata: { name, namespace, annotations: { "kubernetes.io/service-account.name": "default" } },
  stringData: { password: PASSWORD, token: PASSWORD },
});
const tenantSet = (name: string, tenant: string, ref: Record<string, unknown>): RawObject => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name, namespace: ns },
  spec: { ...ref, tenant, zones: ["z1", "z2"], pollInterval: "10m" },
});

async function stalledWith(name: string, reason: string): Promise<void> {
  await eventually(`${name} Stalled with ${reason}`, async () => {
    const o = await raw.call<RawObject & Conditions>("GET", trsPath(name));
    return (o.status?.conditions ?? []).some(
      (c) => c.type === "Stalled" && c.status === "True" && c.reason === reason,
    );
  });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "secret-type");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: ["t_sa_ns", "t_sa_cluster"].map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
    },
  });
  await obshell.start();
  operator = startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
  });
});

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await raw.close();
});

describe("a connection naming a ServiceAccount token Secret", () => {
  it("DatabaseConnection: Stalled SecretTypeRefused, and the agent received nothing", async () => {
    await raw.apply(saToken(ns, "sa-token"));
    await raw.apply(obshellConnection({ namespace: ns, name: "sa-ob" }, obshell.url, "sa-token"));
    await raw.apply(tenantSet("sa-ns", "t_sa_ns", connectionRef("sa-ob")));
    await stalledWith("sa-ns", "SecretTypeRefused");
    expect(obshell.log).toEqual([]);
  });

  it("ClusterDatabaseConnection with a token in the operator's namespace: the same", async () => {
    const name = `sa-${ns}`;
    await raw.apply(saToken(CLUSTER_SECRET_NAMESPACE, name));
    await raw.apply(obshellConnection({ cluster: name, allowedNamespaces: [ns] }, obshell.url, name));
    await raw.apply(
      tenantSet("sa-cluster", "t_sa_cluster", connectionRef(name, "ClusterDatabaseConnection")),
    );
    await stalledWith("sa-cluster", "SecretTypeRefused");
    expect(obshell.log).toEqual([]);
    expect(log.lines.join("\n")).not.toContain(PASSWORD);
    await raw.call("DELETE", `/apis/dbfleet.io/v1alpha1/clusterdatabaseconnections/${name}`);
    await raw.call("DELETE", `/api/v1/namespaces/${CLUSTER_SECRET_NAMESPACE}/secrets/${name}`);
  });

  it("the same Secret retyped Opaque (a new Secret: type is immutable) is used: the set converges", async () => {
    await raw.apply({
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name: "sa-retyped", namespace: ns },
      stringData: { password: PASSWORD },
    });
    await raw.apply(obshellConnection({ namespace: ns, name: "sa-ob" }, obshell.url, "sa-retyped"));
    await eventually("sa-ns Ready", async () => {
      const o = await raw.call<RawObject & Conditions>("GET", trsPath("sa-ns"));
      return (o.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    });
    expect(obshell.cluster.tenants.get("t_sa_ns")?.replicas.map((r) => r.zone)).toEqual(["z1", "z2"]);
  });

  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
