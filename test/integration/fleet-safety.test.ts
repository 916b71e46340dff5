// The fleet stories: many sets, credentials and operations that outlive a spec, on the real API server with
// both simulators. Each is judged by what the simulators were actually sent (their request logs). Sets
// reach the remotes through admin-owned connections; the operator refuses inline connections and runs as
// deploy/'s identity (ClusterRole, Lease Role in dbfleet-system), and must never be refused (403).
import { scryptSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import { createOperator, type Operator } from "../../src/operator.js";
import { digest } from "../../src/reconcilers/connect.js";
import { dcsRemote } from "../../src/reconcilers/remote-identity.js";
import {
  CLUSTER_SECRET_NAMESPACE,
  connectionRef,
  dcsConnection,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually, loopbackConnections } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { operatorKubeAccess } from "../harness/recommended-operator.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
/** What an agent was sent beyond the question of which cluster it is (its key, GET /api/v1/ob/info). */
const beyondIdentity = (sim: ObshellSimulator) =>
  sim.log.filter((e) => !(e.method === "GET" && ["/api/v1/secret", "/api/v1/ob/info"].includes(e.path)));
const PASSWORD = "fleet-root-password";
const AK = "AKFLEET0000000000001";
const SK = "SKfleet00000000000000000000000000000000";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
let ns = "";
let ns2 = "";
/** Where the one story about inline connections runs, under an operator that allows them. */
let nsInline = "";
let obshell: ObshellSimulator;
let obshellB: ObshellSimulator;
/** Where a set's connection is repointed mid-operation: it must receive nothing. */
let obshellC: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator;
let inlineOperator: Operator | undefined;
const log = captureLog();
const inlineLog = captureLog();
/** The ClusterDatabaseConnection of the two-namespace story (its Secret in the operator's namespace). */
const clusterConnection = () => `fleet-${ns}`;

type Conditions = {
  conditions?: { type: string; status: string; reason: string; message: string }[] | undefined;
};
type SetObject<S> = RawObject & { metadata: { generation: number }; status?: S };

const trsPath = (namespace: string, name: string) =>
  `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

function tenantSet(
  namespace: string,
  name: string,
  tenant: string,
  zones: string[],
  policy: Record<string, unknown> = {},
  ref: Record<string, unknown> = connectionRef("obshell"),
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    // settleTime 0s: these stories are about other rules (settling: settle-time.test.ts).
    spec: { ...ref, tenant, zones, policy: { settleTime: "0s", ...policy }, pollInterval: "1s" },
  };
}

/** The inline spelling of a connection to `endpoint`, for the story about inline connections. */
const inlineObshell = (endpoint: string) => ({
  obshell: { endpoint, credentialsSecretRef: { name: "obshell" }, allowInsecureHTTP: true },
});

function redisSet(
  name: string,
  selector: Record<string, unknown>,
  instances: string[],
  connection = "dcs",
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef(connection),
      selector,
      instances,
      policy: { settleTime: "0s" },
      pollInterval: "1s",
    },
  };
}

async function condition<S extends Conditions>(
  path: string,
  type: string,
  reason: string,
  timeoutMs = 20_000,
): Promise<SetObject<S>> {
  let last: SetObject<S> | undefined;
  await eventually(
    `${path} ${type} (${reason})`,
    async () => {
      last = await raw.call<SetObject<S>>("GET", path);
      return (last.status?.conditions ?? []).some(
        (c) => c.type === type && c.status === "True" && c.reason === reason,
      );
    },
    timeoutMs,
  );
  if (!last) throw new Error("unreachable");
  return last;
}

const messageOf = (o: SetObject<Conditions>, type: string) =>
  o.status?.conditions?.find((c) => c.type === type)?.message ?? "";
const deletes = (sim: ObshellSimulator, tenant: string) =>
  sim.log.filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`);
const operates = (sim: ObshellSimulator) =>
  sim.log.filter((e) => e.method === "POST" && e.path.startsWith("/api/v1/task/dag/"));

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "fleet");
  ns2 = await createTestNamespace(kubeConfigFor(kubeconfig), "fleet2");
  nsInline = await createTestNamespace(kubeConfigFor(kubeconfig), "fleet-inline");
  const zones = ["z1", "z2", "z3", "z4", "z5"].map((name) => ({ name, region: "hz" }));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones,
      tenants: [
        { name: "shared", zones: ["z1", "z2", "z3"] },
        { name: "t1", zones: ["z1", "z2", "z3", "z4", "z5"] },
        { name: "t2", zones: ["z1", "z2", "z3", "z4", "z5"] },
        { name: "t_spec", zones: ["z1", "z2", "z3"] },
        { name: "t_foreign", zones: ["z1", "z2", "z3"] },
        { name: "t_switch", zones: ["z1", "z2", "z3"] },
        { name: "t_moved", zones: ["z1", "z2", "z3"] },
      ],
    },
  });
  await obshell.start();
  obshellB = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: { zones, tenants: [{ name: "t_switch", zones: ["z1", "z2", "z3"] }] },
  });
  await obshellB.start();
  obshellC = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: { zones, tenants: [{ name: "t_moved", zones: ["z1", "z2", "z3"] }] },
  });
  await obshellC.start();
  const instance = (name: string) => ({ name, tags: { team: "checkout" } });
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: {
      [PROJECT]: [
        ...["cache-1", "cache-2", "cache-3", "cache-eu-1", "cache-eu-2", "cache-eu-3"].map(instance),
        ...["shared-1", "shared-2", "shared-3", "shared-4", "shared-5"].map(instance),
      ],
    },
    deleteDelayMs: 50,
  });
  await dcs.start();
  for (const namespace of [ns, ns2, nsInline])
    await applyCredentialSecrets(raw, namespace, { password: PASSWORD, accessKey: AK, secretKey: SK });
  for (const namespace of [ns, ns2])
    await raw.apply(obshellConnection({ namespace, name: "obshell" }, obshell.url));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, PROJECT));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs-wrong" }, dcs.url, PROJECT, "dcs-wrong"));
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: clusterConnection(), namespace: CLUSTER_SECRET_NAMESPACE },
    stringData: { password: PASSWORD },
  });
  await raw.apply(
    obshellConnection(
      { cluster: clusterConnection(), allowedNamespaces: [ns, ns2] },
      obshell.url,
      clusterConnection(),
    ),
  );
  operator = startFleetOperator();
}, 60_000);

function startFleetOperator(): Operator {
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns, ns2],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}

afterAll(async () => {
  await operator?.stop(2000);
  await inlineOperator?.stop(2000);
  await raw
    .call("DELETE", `/apis/dbfleet.io/v1alpha1/clusterdatabaseconnections/${clusterConnection()}`)
    .catch(() => undefined);
  await raw
    .call("DELETE", `/api/v1/namespaces/${CLUSTER_SECRET_NAMESPACE}/secrets/${clusterConnection()}`)
    .catch(() => undefined);
  await obshell?.stop();
  await obshellB?.stop();
  await obshellC?.stop();
  await dcs?.stop();
  await raw.close();
});

describe("fleet safety", () => {
  it("1. overlapping scopes: an instance in two sets' scopes is deleted by neither; both report it", async () => {
    await raw.apply(redisSet("wide", { namePrefix: "cache-" }, ["cache-1", "cache-2", "cache-3"]));
    await raw.apply(redisSet("eu", { namePrefix: "cache-eu-" }, ["cache-eu-1", "cache-eu-2", "cache-eu-3"]));
    const wide = await condition<RedisInstanceSetStatus>(risPath("wide"), "Stalled", "OwnershipConflict");
    const eu = await condition<RedisInstanceSetStatus>(risPath("eu"), "Stalled", "OwnershipConflict");
    expect(messageOf(wide, "Stalled")).toContain("cache-eu-1");
    expect(messageOf(wide, "Stalled")).toContain("eu");
    expect(messageOf(eu, "Stalled")).toContain("wide");
    expect(dcs.log.filter((e) => e.method === "DELETE")).toEqual([]);
    expect(dcs.instances(PROJECT).map((i) => i.name)).toEqual(
      expect.arrayContaining(["cache-eu-1", "cache-eu-2", "cache-eu-3"]),
    );
  });

  it("2. two sets naming one tenant on one endpoint, through different connections: neither touches it", async () => {
    // One through the ClusterDatabaseConnection both namespaces may use, one through its namespace's own.
    const cluster = connectionRef(clusterConnection(), "ClusterDatabaseConnection");
    await raw.apply(tenantSet(ns, "shared-a", "shared", ["z1", "z2"], {}, cluster));
    await raw.apply(tenantSet(ns2, "shared-b", "shared", ["z1", "z3"]));
    const a = await condition<TenantReplicaSetStatus>(
      trsPath(ns, "shared-a"),
      "Stalled",
      "OwnershipConflict",
    );
    await condition<TenantReplicaSetStatus>(trsPath(ns2, "shared-b"), "Stalled", "OwnershipConflict");
    expect(messageOf(a, "Stalled")).toContain(`${ns2}/shared-b`);
    expect(deletes(obshell, "shared")).toEqual([]);
  });

  it("3. an approval runs only the plan it was given for: a changed tenant needs a new one", async () => {
    await raw.apply(tenantSet(ns, "approve", "t1", ["z1", "z2"], { maxZonesPerOperation: 3 }));
    const pending = await condition<TenantReplicaSetStatus>(
      trsPath(ns, "approve"),
      "Stalled",
      "ApprovalRequired",
    );
    const hash = pending.status?.pendingApproval?.hash ?? "";
    await raw.call(
      "PATCH",
      trsPath(ns, "approve"),
      { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } },
      "application/merge-patch+json",
    );
    await condition<TenantReplicaSetStatus>(trsPath(ns, "approve"), "Ready", "Converged");
    expect(deletes(obshell, "t1").map((e) => e.body)).toEqual([{ zones: ["z3", "z4", "z5"] }]);
    // The same zones of another tenant, with the old annotation still on the set.
    await raw.call(
      "PATCH",
      trsPath(ns, "approve"),
      { spec: { tenant: "t2" } },
      "application/merge-patch+json",
    );
    const again = await condition<TenantReplicaSetStatus>(
      trsPath(ns, "approve"),
      "Stalled",
      "ApprovalRequired",
    );
    expect(again.status?.pendingApproval?.hash).not.toBe(hash);
    expect(deletes(obshell, "t2")).toEqual([]);
  });

  it("4. RETRY is never sent once the spec keeps the zone the failed DAG removes", async () => {
    obshell.cluster.failNextDag.set("t_spec", 1);
    await raw.apply(
      tenantSet(ns, "spec", "t_spec", ["z1", "z2"], { onDagFailure: "Retry", maxDagRetries: 3 }),
    );
    // Hold the DAG at stage 1 long enough to change the spec before it fails.
    obshell.stageMs = 1500;
    await eventually("the DAG running", async () => {
      const s = (await raw.call<SetObject<TenantReplicaSetStatus>>("GET", trsPath(ns, "spec"))).status;
      return s?.dag?.state === "RUNNING" || s?.dag?.state === "READY";
    });
    await raw.call(
      "PATCH",
      trsPath(ns, "spec"),
      { spec: { zones: ["z1", "z2", "z3"] } },
      "application/merge-patch+json",
    );
    const held = await condition<TenantReplicaSetStatus>(trsPath(ns, "spec"), "Stalled", "DagFailed");
    obshell.stageMs = 40;
    expect(messageOf(held, "Stalled")).toContain("no longer removes z3");
    expect(operates(obshell)).toEqual([]);
    expect(obshell.cluster.tenants.get("t_spec")?.replicas.map((r) => r.zone)).toContain("z3");
  });

  it("5. after a lost reply a person's failed scale-out DAG is never taken for ours or operated", async () => {
    obshell.cluster.failNextDag.set("t_foreign", 1);
    const foreign = obshell.cluster.addReplicas("t_foreign", [
      { name: "z4", unit_config_name: "t_foreign_unit", unit_num: 1 },
    ]);
    await eventually("the person's DAG failed", () => foreign.state === "FAILED");
    // The operator's DELETE is lost before the agent sees it: no DAG of ours exists.
    obshell.addFault({ method: "DELETE", path: /t_foreign/, kind: "reset", phase: "before", times: 1 });
    await raw.apply(tenantSet(ns, "foreign", "t_foreign", ["z1", "z2"], { onDagFailure: "Retry" }));
    await condition<TenantReplicaSetStatus>(trsPath(ns, "foreign"), "Ready", "Converged");
    expect(operates(obshell)).toEqual([]);
    expect(deletes(obshell, "t_foreign").filter((e) => e.executed).length).toBe(1);
  });

  it("6. inline: an operation is followed on the endpoint it started on, never looked up on the new one", async () => {
    // About inline connections (the endpoint is in the set's spec), so under an operator that allows them.
    inlineOperator = createOperator({
      ...loopbackConnections,
      kubeConfig: operatorKubeAccess(kubeconfig),
      logger: inlineLog.logger,
      metrics: new OperatorMetrics({ defaultMetrics: false }),
      namespaces: [nsInline],
      tenant: { dagPollMs: 50 },
    });
    void inlineOperator.manager.start();
    obshell.stageMs = 300;
    await raw.apply(
      tenantSet(
        nsInline,
        "switch",
        "t_switch",
        ["z1", "z2"],
        { onDagFailure: "Retry" },
        inlineObshell(obshell.url),
      ),
    );
    await eventually("the DAG id recorded", async () => {
      const s = (await raw.call<SetObject<TenantReplicaSetStatus>>("GET", trsPath(nsInline, "switch")))
        .status;
      return s?.operation?.dagId !== undefined;
    });
    const ours = (await raw.call<SetObject<TenantReplicaSetStatus>>("GET", trsPath(nsInline, "switch")))
      .status?.operation?.dagId;
    // On the other cluster, another team's failed DAGs, until one has the same generic id as ours.
    let theirs = "";
    for (let i = 0; i < 20 && theirs !== ours; i++) {
      obshellB.cluster.failNextDag.set("t_switch", 1);
      const dag = obshellB.cluster.addReplicas("t_switch", [
        { name: "z4", unit_config_name: "t_switch_unit", unit_num: 1 },
      ]);
      await eventually("their DAG failed", () => dag.state === "FAILED");
      theirs = String(obshellB.cluster.dagDto(dag, false).id);
    }
    expect(theirs).toBe(ours);
    await raw.call(
      "PATCH",
      trsPath(nsInline, "switch"),
      { spec: inlineObshell(obshellB.url) },
      "application/merge-patch+json",
    );
    obshell.stageMs = 40;
    await eventually(
      "our DAG finished on the first cluster",
      () => obshell.cluster.tenants.get("t_switch")?.replicas.every((r) => r.zone !== "z3") ?? false,
    );
    expect(ours).toBeDefined();
    expect(operates(obshellB)).toEqual([]);
    expect(obshellB.log.filter((e) => e.path.startsWith(`/api/v1/task/dag/${ours}`))).toEqual([]);
    await inlineOperator.stop(2000);
    inlineOperator = undefined;
  });

  it("6b. a connection repointed mid-operation: the operation stalls (OperationTargetMoved), nothing reaches the new endpoint, and it is followed again once the connection leads back", async () => {
    await raw.apply(obshellConnection({ namespace: ns, name: "moving" }, obshell.url));
    // Slow stages: the DAG must still run when the repointed connection reaches the operator, on any machine.
    obshell.stageMs = 2000;
    const moved = trsPath(ns, "moved");
    await raw.apply(tenantSet(ns, "moved", "t_moved", ["z1", "z2"], {}, connectionRef("moving")));
    let ours = "";
    await eventually("the DAG id recorded", async () => {
      ours = (await raw.call<SetObject<TenantReplicaSetStatus>>("GET", moved)).status?.operation?.dagId ?? "";
      return ours !== "";
    });
    // The admin repoints the connection while the DAG runs: it now leads to another cluster with a tenant of
    // the same name, where neither the operation nor a lookup of it may go.
    await raw.apply(obshellConnection({ namespace: ns, name: "moving" }, obshellC.url));
    const stalled = await condition<TenantReplicaSetStatus>(moved, "Stalled", "OperationTargetMoved");
    expect(messageOf(stalled, "Stalled")).toContain(obshell.url);
    expect(messageOf(stalled, "Stalled")).toContain(obshellC.url);
    expect(stalled.status?.operation?.dagId).toBe(ours);
    obshell.stageMs = 40;
    await eventually(
      "our DAG finished on the first cluster, on its own",
      () => obshell.cluster.tenants.get("t_moved")?.replicas.every((r) => r.zone !== "z3") ?? false,
    );
    // Still stalled, and the cluster the connection leads to was asked only which cluster it is (issue 26:
    // the agent's key and GET /api/v1/ob/info), never about the tenant or the DAG.
    await condition<TenantReplicaSetStatus>(moved, "Stalled", "OperationTargetMoved");
    expect(beyondIdentity(obshellC)).toEqual([]);
    expect(obshellC.cluster.tenants.get("t_moved")?.replicas.map((r) => r.zone)).toEqual(["z1", "z2", "z3"]);
    // Led back where it started, the operation is followed to its end: no second DELETE, no operate.
    await raw.apply(obshellConnection({ namespace: ns, name: "moving" }, obshell.url));
    const ready = await condition<TenantReplicaSetStatus>(moved, "Ready", "Converged");
    expect(ready.status?.dag?.id).toBe(ours);
    expect(deletes(obshell, "t_moved")).toHaveLength(1);
    expect(operates(obshell)).toEqual([]);
    expect(beyondIdentity(obshellC)).toEqual([]);
  });

  it("7. one wrong Secret on a shared AK: at most 2 bad signatures per 5 minutes, restarts included", async () => {
    // Credential health is kept in a Lease of the operator's namespace, which deploy/'s Lease Role grants.
    const restart = async () => {
      await operator.stop(2000);
      operator = startFleetOperator();
    };
    await restart();
    await raw.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "dcs-wrong", namespace: ns },
      stringData: { accessKey: AK, secretKey: "SKwrong0000000000000000000000000000000" },
    });
    for (let i = 1; i <= 4; i++)
      await raw.apply(redisSet(`share-${i}`, { namePrefix: `shared-${i}` }, [`shared-${i}`]));
    // The wrong key pair's entry in the Lease: the scrypt of the credential digest the operator keys it by
    // (that Lease is shared by every operator on this API server, so other entries may be there).
    const wrong = scryptSync(
      digest("dcs", dcsRemote(PROJECT), AK, digest("SKwrong0000000000000000000000000000000")),
      "dbfleet-credential-health",
      16,
    ).toString("hex");
    await raw.apply(redisSet("share-5", { namePrefix: "shared-5" }, ["shared-5"], "dcs-wrong"));
    await condition<RedisInstanceSetStatus>(risPath("share-5"), "Stalled", "AuthenticationFailed");
    for (let i = 1; i <= 4; i++)
      await condition<RedisInstanceSetStatus>(risPath(`share-${i}`), "Ready", "Converged");
    await eventually("the refusal of the wrong key stored in the Lease", async () => {
      const lease = await raw
        .call<{ metadata: { annotations?: Record<string, string> } }>(
          "GET",
          `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/dbfleet-operator-credential-health`,
        )
        .catch(() => undefined);
      const text = lease?.metadata.annotations?.["dbfleet.io/credential-health"] ?? "{}";
      return wrong in ((JSON.parse(text) as { failed?: Record<string, number> }).failed ?? {});
    });
    // Two restarts: each fresh process must remember the refusal and send nothing with the wrong key.
    for (let round = 0; round < 2; round++) {
      await restart();
      await condition<RedisInstanceSetStatus>(risPath("share-5"), "Stalled", "AuthenticationFailed");
      await condition<RedisInstanceSetStatus>(risPath("share-1"), "Ready", "Converged");
    }
    const bad = dcs.log.filter((e) => e.status === 401);
    expect(bad.length).toBeLessThanOrEqual(2);
    expect(bad.length).toBeGreaterThanOrEqual(1);
  });

  it("the operators, as deploy/ grants them, were never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
    expect(inlineLog.forbidden()).toEqual([]);
  });
});
