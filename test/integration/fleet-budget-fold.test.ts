// A set that started more operations in a budget's window than the records a set keeps (KEPT_DISRUPTIONS)
// still has every one counted (issue 29: the oldest record is folded into a newer one, not dropped). On the
// real API server, judged by what the DCS simulator was sent: the set's status already records
// KEPT_DISRUPTIONS deletions of the last half hour (as an operator that started them wrote them); a budget
// of KEPT_DISRUPTIONS + 1 per hour admits one more deletion, which makes the set hold one record more than it
// keeps, and then no other. Dropping the oldest record instead would admit a second DELETE. The set reaches
// DCS through an admin-owned DatabaseConnection; the operator runs as deploy/'s identity, two replicas with
// leader election as deploy/ runs it, and the standby that takes over counts the folded record too.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Disruption } from "../../src/api/fleet-disruption-budget.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import type { Operator } from "../../src/operator.js";
import { KEPT_DISRUPTIONS } from "../../src/reconcilers/engine/disruptions.js";
import { dcsRemote } from "../../src/reconcilers/remote-identity.js";
import { connectionRef, dcsConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, testLeaderElection } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { total } from "../harness/metrics-scrape.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { destructiveCalls } from "../simulators/destructive-calls.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const AK = "AKBUDGETFOLD00000001";
const SK = "SKbudgetfold000000000000000000000000000";
const PROJECT = "6a1f2e3d4c5b6a798877665544332211";
const LIMIT = KEPT_DISRUPTIONS + 1;
let ns = "";
let dcs: DcsSimulator;
/** The two replicas; one leads. */
let replicas: { operator: Operator; metrics: OperatorMetrics }[] = [];
const leading = () => replicas.find((r) => r.operator.manager.isLeader);
const log = captureLog();
const budgetName = () => `${ns}-fold`;
const setPath = () => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/fold`;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: { conditions?: Condition[]; disruptions?: Disruption[] } };

const ready = async () =>
  (await raw.call<SetObject>("GET", setPath())).status?.conditions?.find((c) => c.type === "Ready");

/** The instances DCS was sent a DELETE for. */
const sent = () => destructiveCalls({ dcs: dcs.log }).map((c) => c.target);
const target = (id: string) => `dcs:${PROJECT}/${id}`;

/** Reconciles of the leading replica (0 while none leads). */
async function reconciles(metrics = leading()?.metrics): Promise<number> {
  if (!metrics) return 0;
  return total(await metrics.registry.metrics(), "controller_runtime_reconcile_total", {
    controller: "redisinstanceset",
  });
}

/** What the leading replica counts against the budget (0 while none leads). */
async function budgetUsed(metrics = leading()?.metrics): Promise<number> {
  if (!metrics) return 0;
  return total(await metrics.registry.metrics(), "dbfleet_budget_used", { budget: budgetName() });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "budget-fold");
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: [{ name: "fold-keep" }] },
    deleteDelayMs: 50,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: "unused", accessKey: AK, secretKey: SK });
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, PROJECT));
  await raw.apply({
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "FleetDisruptionBudget",
    metadata: { name: budgetName() },
    // Only this file's namespace: a budget is cluster-wide and other files' operators share the API server.
    spec: { window: "1h", per: "Remote", maxInstancesDeleted: LIMIT, namespaces: [ns] },
  });
  replicas = ["a", "b"].map((identity) => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const operator = startRecommendedOperator(kubeconfig, {
      logger: log.logger,
      metrics,
      namespaces: [ns],
      redis: { deletePollMs: 100 },
      leaderElection: testLeaderElection(`${ns}-fold`, identity),
    });
    return { operator, metrics };
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.operator.stop(2000)));
  await raw
    .call("DELETE", `/apis/dbfleet.io/v1alpha1/fleetdisruptionbudgets/${budgetName()}`)
    .catch(() => {});
  await dcs?.stop();
  await raw.close();
});

describe(`a set that already started ${KEPT_DISRUPTIONS} deletions this half hour, under a budget of ${LIMIT} per hour`, () => {
  it("counts the recorded deletions", async () => {
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "fold", namespace: ns },
      spec: {
        ...connectionRef("dcs"),
        selector: { namePrefix: "fold-" },
        instances: ["fold-keep"],
        pollInterval: "1s",
        // This story is about the budget: each plan runs as soon as the budget admits it.
        policy: { settleTime: "0s" },
      },
    });
    await eventually("the set is Ready", async () => (await ready())?.status === "True");
    // What an operator that started them recorded, newest first, one instance each, the last 30 minutes.
    const now = Date.now();
    const records: Disruption[] = Array.from({ length: KEPT_DISRUPTIONS }, (_, i) => ({
      startedAt: new Date(now - 60_000 - i * 8_000).toISOString(),
      unit: "instances",
      count: 1,
      remote: dcsRemote(PROJECT),
    }));
    const current = await raw.call<SetObject>("GET", setPath());
    await raw.call("PUT", `${setPath()}/status`, {
      ...current,
      status: { ...current.status, disruptions: records },
    });
    await eventually(
      `the budget counts ${KEPT_DISRUPTIONS}`,
      async () => (await budgetUsed()) === KEPT_DISRUPTIONS,
    );
    expect(sent()).toEqual([]);
  });

  it("admits one more deletion; the set then holds no more records than it keeps, and still counts all", async () => {
    const gone = dcs.addInstance(PROJECT, { name: "fold-gone-1" });
    await eventually("fold-gone-1 was sent a DELETE", async () => sent().includes(target(gone.instance_id)));
    await eventually("the set is Ready again", async () => (await ready())?.reason === "Converged");
    const stored = await raw.call<SetObject>("GET", setPath());
    const records = stored.status?.disruptions ?? [];
    expect(records.length).toBeLessThanOrEqual(KEPT_DISRUPTIONS);
    expect(records.reduce((n, d) => n + d.count, 0)).toBe(LIMIT);
    await eventually(`the budget counts ${LIMIT}`, async () => (await budgetUsed()) === LIMIT);
  });

  it("refuses the next: no DELETE is sent, the set waits naming the budget", async () => {
    const next = dcs.addInstance(PROJECT, { name: "fold-gone-2" });
    await eventually(
      "the set waits for the budget",
      async () => (await ready())?.reason === "BudgetExhausted",
    );
    expect((await ready())?.message).toContain(`FleetDisruptionBudget ${budgetName()}`);
    // It waits for the window now; a change to the set makes it decide again at once, and still nothing
    // is sent: judged by what DCS was sent, not by the status.
    const seen = await reconciles();
    await raw.call(
      "PATCH",
      setPath(),
      { metadata: { annotations: { "test/poke": "1" } } },
      "application/merge-patch+json",
    );
    await eventually("the set was decided again", async () => (await reconciles()) > seen);
    expect((await ready())?.reason).toBe("BudgetExhausted");
    expect(sent()).toHaveLength(1);
    expect(sent()).not.toContain(target(next.instance_id));
    expect(dcs.instances(PROJECT).map((i) => i.name)).toContain("fold-gone-2");
    expect(log.forbidden()).toEqual([]);
  });

  it("the leader stops; the other replica leads, counts the folded record too, and sends nothing", async () => {
    const first = leading();
    if (!first) throw new Error("no replica leads");
    const second = replicas.find((r) => r !== first);
    if (!second) throw new Error("one replica only");
    await first.operator.stop(2000);
    await eventually("the other replica leads", async () => second.operator.manager.isLeader);
    await eventually(`it counts ${LIMIT}`, async () => (await budgetUsed(second.metrics)) === LIMIT);
    const seen = await reconciles(second.metrics);
    await raw.call(
      "PATCH",
      setPath(),
      { metadata: { annotations: { "test/poke": "2" } } },
      "application/merge-patch+json",
    );
    await eventually("the new leader decided the set", async () => (await reconciles(second.metrics)) > seen);
    expect((await ready())?.reason).toBe("BudgetExhausted");
    expect(sent()).toHaveLength(1);
    expect(log.forbidden()).toEqual([]);
  });
});
