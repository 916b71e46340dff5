// Fleet rules keyed by what a remote is, not how its URL is spelled (issue 26), on the real API server with
// both simulators, through admin-owned DatabaseConnections, the operator as deploy/'s identity. Each
// simulator is reached as http://127.0.0.1:PORT by one connection and http://localhost:PORT by another:
// one remote, two spellings. Judged by what the simulators were sent (their request logs). Tenant names and
// the DCS project are this file's own: the API server is shared with other tests.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import { createOperator, type Operator } from "../../src/operator.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { connectionRef, dcsConnection, obshellConnection } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { operatorKubeAccess } from "../harness/recommended-operator.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "identity-root-password";
const AK = "AKIDENTITY0000000001";
const SK = "SKidentity000000000000000000000000000000";
const PROJECT = randomBytes(16).toString("hex");
const SUFFIX = randomBytes(3).toString("hex");
/** Tenant names of this file's own. */
const ORDERS = `ident_orders_${SUFFIX}`;
const PAYMENTS = `ident_payments_${SUFFIX}`;
const SHARED = `ident_shared_${SUFFIX}`;
const HELD = `ident_held_${SUFFIX}`;
const WAIT_MS = 40_000;
const log = captureLog();
// localhost is loopback, refused by default: both spellings are allowed, as an admin would list them.
const endpointPolicy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1,localhost" });
let ns = "";
let obshell: ObshellSimulator;
/** Another cluster, holding tenants of the same names as the first. */
let other: ObshellSimulator;
/** A third cluster, stopped once its set has identified it. */
let doomed: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & {
  metadata: { generation: number };
  status?: TenantReplicaSetStatus & { conditions?: Condition[] };
};
const path = (plural: string, name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/${plural}/${name}`;
const localhost = (url: string) => url.replace("127.0.0.1", "localhost");

/** Waits until the set's `type` condition is True for `reason` on its current generation; returns the set. */
async function condition(
  p: string,
  type: string,
  reason: string,
  unless?: () => boolean,
): Promise<SetObject> {
  let last: SetObject | undefined;
  await eventually(
    `${p} ${type}=True (${reason})`,
    async () => {
      last = await raw.call<SetObject>("GET", p);
      if (unless?.()) return true;
      return (last.status?.conditions ?? []).some(
        (c) => c.type === type && c.status === "True" && c.reason === reason,
      );
    },
    WAIT_MS,
  );
  if (!last) throw new Error("unreachable");
  return last;
}
const messageOf = (o: SetObject, type: string) =>
  o.status?.conditions?.find((c) => c.type === type)?.message ?? "";

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "ident");
  const cluster = (tenants: string[]) =>
    new ObshellSimulator({
      password: PASSWORD,
      stageMs: 40,
      seed: {
        zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
        tenants: tenants.map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
      },
    });
  obshell = cluster([ORDERS, PAYMENTS]);
  other = cluster([SHARED, HELD]);
  doomed = cluster([SHARED]);
  await Promise.all([obshell.start(), other.start(), doomed.start()]);
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: ["sp-1", "sp-eu-1", "sp-eu-2"].map((name) => ({ name })) },
    deleteDelayMs: 50,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: AK, secretKey: SK });
  await raw.apply(obshellConnection({ namespace: ns, name: "ob-ip" }, obshell.url));
  await raw.apply(obshellConnection({ namespace: ns, name: "ob-name" }, localhost(obshell.url)));
  await raw.apply(obshellConnection({ namespace: ns, name: "ob-other" }, other.url));
  await raw.apply(obshellConnection({ namespace: ns, name: "ob-doomed" }, doomed.url));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs-ip" }, dcs.url, PROJECT));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs-name" }, localhost(dcs.url), PROJECT));
  operator = createOperator({
    allowInlineConnections: false,
    endpointPolicy,
    kubeConfig: operatorKubeAccess(kubeconfig),
    logger: log.logger,
    metrics: new OperatorMetrics({ defaultMetrics: false }),
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
  void operator.manager.start();
});

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await other?.stop();
  await doomed?.stop();
  await dcs?.stop();
  await raw.close();
});

describe("one remote through two spellings of its URL", () => {
  it("the endpoint policy lets the operator reach both spellings (else these stories would prove nothing)", async () => {
    expect(await endpointPolicy.check(obshell.url, { allowInsecureHTTP: true })).toEqual({ ok: true });
    expect(await endpointPolicy.check(localhost(obshell.url), { allowInsecureHTTP: true })).toEqual({
      ok: true,
    });
  });

  it("DCS: set all (scope sp-, through 127.0.0.1) never deletes what set eu (sp-eu-, through localhost) keeps", async () => {
    const ris = (name: string, ref: string, prefix: string, instances: string[]): RawObject => ({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name, namespace: ns },
      spec: {
        ...connectionRef(ref),
        selector: { namePrefix: prefix },
        instances,
        policy: { approvalThreshold: 10, maxDeletionsPerOperation: 10 },
        pollInterval: "1s",
      },
    });
    await raw.apply(ris("eu", "dcs-name", "sp-eu-", ["sp-eu-1", "sp-eu-2"]));
    await condition(path("redisinstancesets", "eu"), "Ready", "Converged");
    await raw.apply(ris("all", "dcs-ip", "sp-", ["sp-1"]));
    const deletes = () => dcs.log.filter((e) => e.method === "DELETE");
    const all = await condition(
      path("redisinstancesets", "all"),
      "Stalled",
      "OwnershipConflict",
      () => deletes().length > 0,
    );
    expect(deletes()).toEqual([]);
    expect(messageOf(all, "Stalled")).toContain(`${ns}/eu`);
    // Both sets have looked again since (each is requeued by the other's change): still nothing sent.
    await condition(path("redisinstancesets", "eu"), "Stalled", "OwnershipConflict");
    expect(deletes()).toEqual([]);
    expect(
      dcs
        .instances(PROJECT)
        .map((i) => i.name)
        .sort(),
    ).toEqual(["sp-1", "sp-eu-1", "sp-eu-2"]);
  });

  it("obshell: two TenantReplicaSets on one tenant through 127.0.0.1 and localhost: neither removes a zone", async () => {
    const trs = (name: string, ref: string, zones: string[]): RawObject => ({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name, namespace: ns },
      spec: { ...connectionRef(ref), tenant: ORDERS, zones, pollInterval: "1s" },
    });
    await raw.apply(trs("orders-keep", "ob-ip", ["z1", "z2", "z3"]));
    await condition(path("tenantreplicasets", "orders-keep"), "Ready", "Converged");
    await raw.apply(trs("orders-shrink", "ob-name", ["z1", "z2"]));
    const deletes = () => obshell.log.filter((e) => e.method === "DELETE");
    const shrink = await condition(
      path("tenantreplicasets", "orders-shrink"),
      "Stalled",
      "OwnershipConflict",
      () => deletes().length > 0,
    );
    expect(deletes()).toEqual([]);
    expect(messageOf(shrink, "Stalled")).toContain(`${ns}/orders-keep`);
    await condition(path("tenantreplicasets", "orders-keep"), "Stalled", "OwnershipConflict");
    expect(deletes()).toEqual([]);
    expect(obshell.cluster.tenants.get(ORDERS)?.replicas.map((r) => r.zone)).toEqual(["z1", "z2", "z3"]);
    // Both recorded the one cluster the agent reports, whatever the spelling they reached it through.
    const keep = await raw.call<SetObject>("GET", path("tenantreplicasets", "orders-keep"));
    expect(keep.status?.remote?.identity).toBe(`obshell|obcluster#${obshell.clusterIdentity.id}`);
    expect(shrink.status?.remote?.identity).toBe(keep.status?.remote?.identity);
    // The agent was asked which cluster it belongs to through both spellings.
    expect(obshell.log.filter((e) => e.path === "/api/v1/ob/info").length).toBeGreaterThanOrEqual(2);
  });

  it("an agent that reports another cluster mid-operation: OperationTargetMoved, the failed DAG is not retried", async () => {
    obshell.cluster.failNextDag.set(PAYMENTS, 1);
    obshell.cluster.holdDags.add(PAYMENTS);
    const p = path("tenantreplicasets", "payments");
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name: "payments", namespace: ns },
      spec: {
        ...connectionRef("ob-ip"),
        tenant: PAYMENTS,
        zones: ["z1", "z2"],
        policy: { onDagFailure: "Retry", maxDagRetries: 3 },
        pollInterval: "1s",
      },
    });
    let dagId = "";
    await eventually(
      "the removal's DAG recorded and running",
      async () => {
        const s = (await raw.call<SetObject>("GET", p)).status;
        dagId = s?.operation?.dagId ?? "";
        return dagId !== "" && s?.operation?.remote === `obshell|obcluster#${obshell.clusterIdentity.id}`;
      },
      WAIT_MS,
    );
    // The same URL now leads to another cluster's agent (a load balancer or DNS name moved).
    obshell.clusterIdentity = { name: "obcluster-dr", id: obshell.clusterIdentity.id + 1 };
    const operated = () =>
      obshell.log.filter((e) => e.method === "POST" && e.path === `/api/v1/task/dag/${dagId}`);
    const moved = await condition(p, "Stalled", "OperationTargetMoved", () => operated().length > 0);
    expect(operated()).toEqual([]);
    expect(messageOf(moved, "Stalled")).toContain("obcluster-dr");
    // The DAG fails; the set asks the agent again on later polls and still operates nothing.
    obshell.cluster.holdDags.delete(PAYMENTS);
    await eventually(
      "the DAG FAILED on the agent",
      () => obshell.cluster.findDag(dagId).state === "FAILED",
      WAIT_MS,
    );
    const asked = obshell.log.filter((e) => e.path === "/api/v1/ob/info").length;
    await eventually(
      "three more identity checks after the DAG failed",
      () => obshell.log.filter((e) => e.path === "/api/v1/ob/info").length >= asked + 3,
      WAIT_MS,
    );
    expect(operated()).toEqual([]);
    expect((await raw.call<SetObject>("GET", p)).status?.operation?.dagId).toBe(dagId);
  });

  it("a peer identified once whose agent then goes down does not hold a same-named tenant on another cluster", async () => {
    const trs = (name: string, ref: string, zones: string[]): RawObject => ({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name, namespace: ns },
      spec: { ...connectionRef(ref), tenant: SHARED, zones, pollInterval: "1s" },
    });
    // "gone" keeps the tenant of that name on the doomed cluster, which it reaches once; then it is down.
    await raw.apply(trs("gone", "ob-doomed", ["z1", "z2", "z3"]));
    const gone = await condition(path("tenantreplicasets", "gone"), "Ready", "Converged");
    expect(gone.status?.remote?.identity).toBe(`obshell|obcluster#${doomed.clusterIdentity.id}`);
    await doomed.stop();
    await condition(path("tenantreplicasets", "gone"), "Reconciling", "ObserveFailed");
    // "shrink" names a tenant of the same name on another cluster: it is not gone's, so it is removed.
    await raw.apply(trs("shrink", "ob-other", ["z1", "z2"]));
    await condition(path("tenantreplicasets", "shrink"), "Ready", "Converged");
    const deletes = other.log.filter((e) => e.method === "DELETE");
    expect(deletes.map((e) => e.path)).toEqual([`/api/v1/tenant/${SHARED}/replicas`]);
    expect(other.cluster.tenants.get(SHARED)?.replicas.map((r) => r.zone)).toEqual(["z1", "z2"]);
    // gone kept its identity while its agent is down.
    const after = await raw.call<SetObject>("GET", path("tenantreplicasets", "gone"));
    expect(after.status?.remote?.identity).toBe(gone.status?.remote?.identity);
  });

  it("a peer never identified holds removals of a same-named tenant, naming it, until it is deleted", async () => {
    const trs = (name: string, ref: string, zones: string[]): RawObject => ({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name, namespace: ns },
      spec: { ...connectionRef(ref), tenant: HELD, zones, pollInterval: "1s" },
    });
    // "never" names the tenant through a connection to an agent that is down from the start, at an endpoint
    // no set has identified: its cluster is unknown, and it may be the one "held" reaches (the conservative
    // rule, README "Safety model").
    const dead = new ObshellSimulator({ password: PASSWORD });
    await dead.start();
    await dead.stop();
    await raw.apply(obshellConnection({ namespace: ns, name: "ob-dead" }, dead.url));
    await raw.apply(trs("never", "ob-dead", ["z1", "z2", "z3"]));
    await condition(path("tenantreplicasets", "never"), "Reconciling", "ObserveFailed");
    await raw.apply(trs("held", "ob-other", ["z1", "z2"]));
    const deletes = () => other.log.filter((e) => e.method === "DELETE" && e.path.includes(HELD));
    const held = await condition(
      path("tenantreplicasets", "held"),
      "Reconciling",
      "RemoteUnidentified",
      () => deletes().length > 0,
    );
    expect(deletes()).toEqual([]);
    expect(messageOf(held, "Reconciling")).toContain(`${ns}/never`);
    // Once the unknown set is gone, the removal proceeds.
    await raw.call("DELETE", path("tenantreplicasets", "never"));
    await condition(path("tenantreplicasets", "held"), "Ready", "Converged");
    expect(deletes().map((e) => e.path)).toEqual([`/api/v1/tenant/${HELD}/replicas`]);
  });
});
