// The operator end to end: the real API server, both simulators over HTTP, sets reaching them through
// admin-owned DatabaseConnections, the operator running under the least-privileged identity deploy/ grants
// (its ClusterRole and Lease Role) and refusing inline connections.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { assessKstatus } from "../../src/observability/kstatus.js";
import type { Operator } from "../../src/operator.js";
import {
  connectionRef,
  dcsConnection,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, RawApiError, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, OTHER_PROJECT } from "../simulators/seed.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken, operatorToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const asOperator = new RawApi(server, caPem, operatorToken);
const PASSWORD = "e2e-root-password";
const AK = "AKE2E0000000000000001";
const SK = "SKe2e00000000000000000000000000000000000";
let ns = "";
let obshell: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator;
const log = captureLog();

type Condition = {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
};
type SetObject = RawObject & {
  metadata: { generation: number; annotations?: Record<string, string> };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: Condition[];
    dag?: { id: string; state: string; operator: string; stage: number; maxStage: number };
    operation?: { kind: string; zones: string[]; tenant?: string; dagId?: string };
    zones?: string[];
    deletions?: {
      id: string;
      name: string;
      result: string;
      lastError?: string;
      goneAt?: string;
      attempts: number;
    }[];
    pendingApproval?: { hash: string };
    observedCount?: number;
    lastBatch?: { results: { result: string; instance: string }[] };
  };
};

const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;
const get = (path: string) => raw.call<SetObject>("GET", path);

/** What `kubectl wait --for=condition=X` checks: the condition is True for the current generation. */
async function waitFor(
  path: string,
  type: "Ready" | "Stalled",
  reason?: string,
  timeoutMs = 20_000,
): Promise<SetObject> {
  let last: SetObject | undefined;
  await eventually(
    `${path} ${type}${reason ? ` (${reason})` : ""}`,
    async () => {
      last = await get(path);
      const c = last.status?.conditions?.find((x) => x.type === type);
      return (
        c?.status === "True" &&
        c.observedGeneration === last.metadata.generation &&
        (!reason || c.reason === reason)
      );
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last status: ${JSON.stringify(last?.status)}`);
  });
  return last as SetObject;
}

function tenantSet(
  name: string,
  tenant: string,
  zones: string[],
  policy: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef("obshell"),
      tenant,
      zones,
      policy,
      pollInterval: "2s",
      ...extra,
    },
  };
}

function redisSet(
  name: string,
  project: string,
  selector: Record<string, unknown>,
  instances: string[],
  policy: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef(`dcs-${project}`),
      selector,
      instances,
      policy,
      pollInterval: "2s",
      ...extra,
    },
  };
}

const deletesOf = (tenant: string) =>
  obshell.log.filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`);

/** The generic ids (as obshell reports them) of every DAG the simulator started on `tenant`. */
const dagIdsOf = (tenant: string) =>
  obshell.cluster.dags
    .filter((d) => d.tenant === tenant)
    .map((d) => String(obshell.cluster.dagDto(d, false).id));

type CoreEvent = { reason: string; message: string; involvedObject: { name: string; kind: string } };
async function eventsOf(name: string, reason: string): Promise<CoreEvent[]> {
  const list = await raw.call<{ items: CoreEvent[] }>("GET", `/api/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
}

/** Runs `body` with the simulated DAG stages slowed, so a DAG is still unfinished when it is looked up. */
async function withSlowDags<T>(body: () => Promise<T>): Promise<T> {
  obshell.stageMs = 400;
  try {
    return await body();
  } finally {
    obshell.stageMs = 40;
  }
}

function startOperator(): Operator {
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "e2e");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: [
        { name: "orders", zones: ["z1", "z2", "z3"], primaryZone: "z1;z2,z3" },
        { name: "billing", zones: ["z1", "z2", "z3"], primaryZone: "z1" },
        ...["t_hold", "t_retry", "t_lost", "t_restart", "t_crash", "t_intent", "t_dry", "t_ghost"].map(
          (name) => ({
            name,
            zones: ["z1", "z2", "z3"],
          }),
        ),
      ],
    },
  });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: demoDcsSeed(),
    deleteDelayMs: 80,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: AK, secretKey: SK });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  for (const project of [DEMO_PROJECT, OTHER_PROJECT])
    await raw.apply(dcsConnection({ namespace: ns, name: `dcs-${project}` }, dcs.url, project));
  operator = startOperator();
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await dcs?.stop();
  await raw.close();
  await asOperator.close();
});

describe("TenantReplicaSet end to end", () => {
  it("removes the undesired zone through one DAG, mirrors it in status and becomes Ready", async () => {
    await raw.apply(tenantSet("orders", "orders", ["z1", "z2"]));
    const ready = await waitFor(trsPath("orders"), "Ready");
    expect(ready.status?.zones).toEqual(["z1", "z2"]);
    expect(ready.status?.dag).toMatchObject({ state: "SUCCEED", operator: "RUN", maxStage: 2 });
    expect(ready.status?.phase).toBe("Ready");
    expect(ready.status?.conditions?.map((c) => c.type)).toEqual(["Ready"]);
    expect(obshell.cluster.tenants.get("orders")?.replicas.map((r) => r.zone)).toEqual(["z1", "z2"]);
    expect(deletesOf("orders").map((e) => e.body)).toEqual([{ zones: ["z3"] }]);
    expect(assessKstatus(ready).status).toBe("Current");
  });

  it("refuses to remove a zone the primary zone needs, and says why", async () => {
    await raw.apply(tenantSet("billing", "billing", ["z2", "z3"]));
    const stalled = await waitFor(trsPath("billing"), "Stalled", "PrimaryZoneNeeded");
    expect(stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message).toContain("z1");
    expect(deletesOf("billing")).toEqual([]);
    expect(assessKstatus(stalled).status).toBe("Failed");
  });

  it("refuses to act on a tenant obshell does not know", async () => {
    await raw.apply(tenantSet("ghost", "no_such_tenant", ["z1"]));
    await waitFor(trsPath("ghost"), "Stalled", "TenantNotFound");
  });

  it("holds a FAILED DAG with the failing node's log (onDagFailure: Hold)", async () => {
    obshell.cluster.failNextDag.set("t_hold", 1);
    await raw.apply(tenantSet("hold", "t_hold", ["z1", "z2"]));
    const stalled = await waitFor(trsPath("hold"), "Stalled", "DagFailed");
    expect(stalled.status?.dag).toMatchObject({ state: "FAILED", operator: "RUN" });
    expect(stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message).toContain(
      "Alter tenant locality",
    );
    expect(deletesOf("t_hold").length).toBe(1);
  });

  it("retries a FAILED DAG through obshell (onDagFailure: Retry) and converges", async () => {
    obshell.cluster.failNextDag.set("t_retry", 1);
    await raw.apply(tenantSet("retry", "t_retry", ["z1", "z2"], { onDagFailure: "Retry", maxDagRetries: 2 }));
    await waitFor(trsPath("retry"), "Ready");
    const operations = obshell.log.filter(
      (e) => e.method === "POST" && e.path.startsWith("/api/v1/task/dag/"),
    );
    expect(operations.map((e) => e.body)).toEqual([{ operator: "RETRY" }]);
    expect(deletesOf("t_retry").length).toBe(1);
  });

  it("finds the DAG again when the delete's reply was lost, and never sends the delete twice", async () => {
    obshell.addFault({ method: "DELETE", path: /t_lost/, kind: "reset", phase: "after", times: 1 });
    // Slow stages keep the DAG unfinished when it is looked up: with fast ones it may end first, and the
    // set would become Ready through IntentResolved without the lookup ever being proven.
    const ready = await withSlowDags(async () => {
      await raw.apply(tenantSet("lost", "t_lost", ["z1", "z2"]));
      return waitFor(trsPath("lost"), "Ready", undefined, 30_000);
    });
    expect(deletesOf("t_lost").length).toBe(1);
    expect(deletesOf("t_lost")[0]?.executed).toBe(true);
    expect(deletesOf("t_lost")[0]?.status).toBe("reset");
    // Found again, not merely ended: one DAG on the tenant, its id in status and in the DagFound event.
    const dags = dagIdsOf("t_lost");
    expect(dags.length).toBe(1);
    expect(ready.status?.dag).toMatchObject({ id: dags[0], state: "SUCCEED" });
    const found = await eventsOf("lost", "DagFound");
    expect(found.length).toBe(1);
    expect(found[0]?.message).toContain(`DAG ${dags[0]} `);
    expect(await eventsOf("lost", "IntentResolved")).toEqual([]);
  });

  it("writes the intent to status before it sends the DELETE", async () => {
    // The DELETE is held at the simulator for a while before it runs: status is read while it is in flight.
    obshell.addFault({ method: "DELETE", path: /t_intent/, kind: "latency", latencyMs: 1500, times: 1 });
    await raw.apply(tenantSet("intent", "t_intent", ["z1", "z2"]));
    await eventually("the DELETE arriving", () => deletesOf("t_intent").length === 1);
    const inFlight = await get(trsPath("intent"));
    expect(deletesOf("t_intent")[0]?.executed).toBe(false);
    expect(inFlight.status?.operation).toMatchObject({
      kind: "RemoveZones",
      zones: ["z3"],
      tenant: "t_intent",
    });
    expect(inFlight.status?.operation?.dagId).toBeUndefined();
    const ready = await waitFor(trsPath("intent"), "Ready");
    expect(deletesOf("t_intent").length).toBe(1);
    expect(ready.status?.dag?.id).toBe(dagIdsOf("t_intent")[0]);
  });

  it("finds its DAG again after the operator was stopped while the DELETE was in flight", async () => {
    obshell.addFault({ method: "DELETE", path: /t_crash/, kind: "latency", latencyMs: 1500, times: 1 });
    const ready = await withSlowDags(async () => {
      await raw.apply(tenantSet("crash", "t_crash", ["z1", "z2"]));
      await eventually("the DELETE arriving", () => deletesOf("t_crash").length === 1);
      await operator.stop(500);
      // The simulator still runs the DELETE it received: the DAG exists, but the stopped operator never
      // learned its id. Only the intent is in status.
      await eventually("the DELETE executed", () => deletesOf("t_crash")[0]?.executed === true);
      const stopped = await get(trsPath("crash"));
      expect(stopped.status?.operation).toMatchObject({ zones: ["z3"] });
      expect(stopped.status?.operation?.dagId).toBeUndefined();
      operator = startOperator();
      return waitFor(trsPath("crash"), "Ready", undefined, 30_000);
    });
    expect(deletesOf("t_crash").length).toBe(1);
    const dags = dagIdsOf("t_crash");
    expect(dags.length).toBe(1);
    expect(ready.status?.dag).toMatchObject({ id: dags[0], state: "SUCCEED" });
    const found = await eventsOf("crash", "DagFound");
    expect(found.length).toBe(1);
    expect(found[0]?.message).toContain(`DAG ${dags[0]} `);
  });

  it("plans and records but never deletes in dry-run", async () => {
    await raw.apply(tenantSet("dry", "t_dry", ["z1", "z2"], { dryRun: true }));
    await eventually("phase DryRun", async () => (await get(trsPath("dry"))).status?.phase === "DryRun");
    expect(deletesOf("t_dry")).toEqual([]);
  });

  it("follows the same DAG after the operator is stopped mid-operation and started again", async () => {
    obshell.stageMs = 400;
    await raw.apply(tenantSet("restart", "t_restart", ["z1", "z2"]));
    let followed = "";
    await eventually("the DAG running", async () => {
      followed = (await get(trsPath("restart"))).status?.operation?.dagId ?? "";
      return followed !== "";
    });
    await operator.stop(1000);
    operator = startOperator();
    obshell.stageMs = 40;
    const ready = await waitFor(trsPath("restart"), "Ready");
    expect(deletesOf("t_restart").length).toBe(1);
    // The same DAG, followed by its recorded id: no second DAG, and no lookup was needed.
    expect(dagIdsOf("t_restart")).toEqual([followed]);
    expect(ready.status?.dag).toMatchObject({ id: followed, state: "SUCCEED" });
    expect(await eventsOf("restart", "DagFound")).toEqual([]);
  });
});

describe("RedisInstanceSet end to end", () => {
  it("deletes what is in scope and not desired, never sends frozen or prepaid instances, stalls naming them, and never touches anything outside the selector", async () => {
    const keep = Array.from({ length: 8 }, (_, i) => `cache-eu-${i + 1}`);
    await raw.apply(
      redisSet("checkout", DEMO_PROJECT, { namePrefix: "cache-eu-", tags: { team: "checkout" } }, keep),
    );
    const stalled = await waitFor(risPath("checkout"), "Stalled", "DeletionNeedsHuman");
    const status = stalled.status;
    expect(status?.deletions?.filter((x) => x.goneAt).length).toBe(4);
    const message = stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "";
    expect(message).toContain("cache-eu-frozen");
    expect(message).toContain("cache-eu-yearly");
    expect(status?.lastBatch?.results.length).toBeGreaterThan(0);
    const remaining = dcs.instances(DEMO_PROJECT).map((i) => i.name);
    for (const name of [...keep, "session-store", "cache-eu-frozen", "cache-eu-yearly", "cache-eu-failed"])
      expect(remaining).toContain(name);
    expect(remaining.filter((n) => n.startsWith("search-eu-")).length).toBe(10);
    const deletes = dcs.log.filter((e) => e.method === "DELETE");
    expect(deletes.every((e) => !e.query.includes("all_failure"))).toBe(true);
    const sentNames = deletes.flatMap((e) => (e.body as { instances: string[] }).instances ?? []);
    const nameOf = new Map(
      [...dcs.instances(DEMO_PROJECT), ...dcs.deleted].map((i) => [i.instance_id, i.name]),
    );
    for (const id of sentNames) expect(nameOf.get(id)).toMatch(/^cache-eu-(9|1[0-2])$/);
    expect((deletes[0]?.body as { is_recycle?: boolean } | undefined)?.is_recycle).toBe(true);
  });

  it("waits for approval of a large plan and acts once the annotation carries the plan's hash", async () => {
    await raw.apply(redisSet("analytics", OTHER_PROJECT, { namePrefix: "analytics-" }, ["analytics-1"]));
    const stalled = await waitFor(risPath("analytics"), "Stalled", "ApprovalRequired");
    const hash = stalled.status?.pendingApproval?.hash ?? "";
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(dcs.instances(OTHER_PROJECT).length).toBe(6);
    await raw.call(
      "PATCH",
      risPath("analytics"),
      { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } },
      "application/merge-patch+json",
    );
    const ready = await waitFor(risPath("analytics"), "Ready", undefined, 30_000);
    expect(ready.status?.observedCount).toBe(1);
    expect(dcs.instances(OTHER_PROJECT).map((i) => i.name)).toEqual(["analytics-1"]);
  });

  it("makes no remote call while paused", async () => {
    const before = dcs.log.length;
    await raw.apply(
      redisSet("paused", DEMO_PROJECT, { namePrefix: "search-eu-" }, ["search-eu-1"], {}, { paused: true }),
    );
    await eventually("phase Paused", async () => (await get(risPath("paused"))).status?.phase === "Paused");
    expect(dcs.log.slice(before).filter((e) => e.method === "DELETE")).toEqual([]);
    expect(dcs.instances(DEMO_PROJECT).filter((i) => i.name.startsWith("search-eu-")).length).toBe(10);
  });
});

describe("credentials", () => {
  it("stalls without its connection's Secret, and a Secret created later requeues the set", async () => {
    // The approval test's set owns the same scope: two owners would be an ownership conflict.
    await raw.call("DELETE", risPath("analytics"));
    await raw.apply(dcsConnection({ namespace: ns, name: "late" }, dcs.url, OTHER_PROJECT, "dcs-late"));
    await raw.apply({
      ...redisSet("late-secret", OTHER_PROJECT, { namePrefix: "analytics-" }, ["analytics-1"]),
      spec: {
        ...(redisSet("late-secret", OTHER_PROJECT, { namePrefix: "analytics-" }, ["analytics-1"])
          .spec as object),
        ...connectionRef("late"),
      },
    });
    const stalled = await waitFor(risPath("late-secret"), "Stalled", "CredentialsMissing");
    expect(stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message).toContain("dcs-late");
    await raw.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "dcs-late", namespace: ns },
      stringData: { accessKey: AK, secretKey: SK },
    });
    await waitFor(risPath("late-secret"), "Ready");
  });

  it("never writes a credential into status or events", async () => {
    const events = await raw.call<{ items: unknown[] }>("GET", `/api/v1/namespaces/${ns}/events`);
    const sets = await raw.call<{ items: unknown[] }>(
      "GET",
      `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets`,
    );
    const tenants = await raw.call<{ items: unknown[] }>(
      "GET",
      `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`,
    );
    const text = JSON.stringify([events.items, sets.items, tenants.items]);
    expect(events.items.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, SK, AK]) expect(text).not.toContain(secret);
  });
});

describe("least privilege", () => {
  it("the operator's identity can read Secrets but cannot delete them or write a spec", async () => {
    await asOperator.call("GET", `/api/v1/namespaces/${ns}/secrets/obshell`);
    const denied = await asOperator.call("DELETE", `/api/v1/namespaces/${ns}/secrets/obshell`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(RawApiError);
    expect((denied as RawApiError).status).toBe(403);
    const specWrite = await asOperator
      .call("PATCH", trsPath("orders"), { spec: { zones: ["z1"] } }, "application/merge-patch+json")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((specWrite as RawApiError).status).toBe(403);
  });

  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
