// Fleet change budgets (issue 26): the arithmetic as a table (window edges, scopes, several budgets), the
// disruption records a set keeps in status, and the engine against the DCS simulator: a refused call gives
// its count back, a lost reply keeps it, and a fresh process (a restart, a new leader) counts from status.
// Wrong versions this is written against: a window that still counts at its end or drops work early; a
// budget that counts other scopes, or applies only the first of several budgets; a plan cut to fit; a
// refusal that keeps the budget spent; a lost reply that gives it back; counting from memory, not status.
import { afterEach, describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { BUDGET_SCOPES_SHOWN, shownBudgetUse } from "../../src/observability/metrics.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import type { ObshellClient } from "../../src/providers/obshell/client.js";
import {
  admit,
  type BudgetPolicy,
  budgetPolicyOf,
  budgetRemoteKey,
  budgetUsage,
  type DisruptionRequest,
  type RecordedDisruption,
} from "../../src/reconcilers/budget.js";
import {
  disruptionsOf,
  KEPT_DISRUPTIONS,
  refundBudget,
  spendBudget,
  type WithDisruptions,
} from "../../src/reconcilers/engine/disruptions.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { FleetBudgets } from "../../src/reconcilers/fleet-budgets.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { tenantKind } from "../../src/reconcilers/tenant/kind.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import { addDcsConnection, addSecret, refRedisManifest, resolverOf, world } from "./fleet-world.js";

const NOW = new Date("2026-11-23T10:00:00.000Z");
const HOUR = 3_600_000;
const at = (msBefore: number) => new Date(NOW.getTime() - msBefore).toISOString();

function budget(name: string, spec: Record<string, unknown>): BudgetPolicy {
  return budgetPolicyOf({
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "FleetDisruptionBudget",
    metadata: { name },
    spec: { window: "1h", ...spec },
  });
}

const R1 = "dcs|https://dcs.a:443|p1";
const R2 = "dcs|https://dcs.a:443|p2";

function spent(msBefore: number, count: number, o: Partial<RecordedDisruption> = {}): RecordedDisruption {
  return { startedAt: at(msBefore), unit: "instances", count, remote: R1, namespace: "a", ...o };
}

const ask = (count: number, o: Partial<DisruptionRequest> = {}): DisruptionRequest => ({
  unit: "instances",
  count,
  namespace: "a",
  remote: R1,
  ...o,
});

const five = budget("five", { per: "Fleet", maxInstancesDeleted: 5 });

describe("admit: every budget must admit the whole plan, counted over a sliding window", () => {
  it.each<[string, BudgetPolicy[], RecordedDisruption[], DisruptionRequest, string | true, number?]>([
    ["no budget: today's behaviour", [], [spent(0, 1000)], ask(1000), true],
    ["fits exactly", [five], [spent(60_000, 4)], ask(1), true],
    ["one over", [five], [spent(60_000, 4)], ask(2), Reason.BudgetExhausted, HOUR - 60_000],
    // Window edges: counted on [startedAt, startedAt + window).
    [
      "a disruption 1 ms short of the window still counts",
      [five],
      [spent(HOUR - 1, 5)],
      ask(1),
      Reason.BudgetExhausted,
      1,
    ],
    ["a disruption exactly one window old no longer counts", [five], [spent(HOUR, 5)], ask(5), true],
    [
      "a disruption from the future (clock skew) counts",
      [five],
      [spent(-60_000, 5)],
      ask(1),
      Reason.BudgetExhausted,
      HOUR + 60_000,
    ],
    [
      "a zero count (given back) counts nothing",
      [five],
      [spent(0, 0), spent(0, 5, { count: 0 })],
      ask(5),
      true,
    ],
    [
      "frees when the oldest enough have left: 2+2+1 used, 2 asked, the first 2 leave at +10 min",
      [five],
      [spent(50 * 60_000, 2), spent(40 * 60_000, 2), spent(10 * 60_000, 1)],
      ask(2),
      Reason.BudgetExhausted,
      10 * 60_000,
    ],
    ["a plan of 8 against 5 never fits: Stalled, never cut", [five], [], ask(8), Reason.BudgetTooSmall],
    [
      "a limit of 0 stops every plan",
      [budget("freeze", { maxInstancesDeleted: 0 })],
      [],
      ask(1),
      Reason.BudgetTooSmall,
    ],
    ["a zones budget does not limit instances", [budget("z", { maxZonesRemoved: 0 })], [], ask(3), true],
    ["an instances budget does not count zones", [five], [spent(0, 5, { unit: "zones" })], ask(5), true],
    // Per remote: only the same remote counts.
    [
      "per Remote: another remote's work does not count",
      [budget("r", { per: "Remote", maxInstancesDeleted: 5 })],
      [spent(0, 5, { remote: R2 })],
      ask(5),
      true,
    ],
    [
      "per Remote: the same remote's work counts, from any namespace",
      [budget("r", { per: "Remote", maxInstancesDeleted: 5 })],
      [spent(0, 5, { namespace: "b" })],
      ask(1),
      Reason.BudgetExhausted,
      HOUR,
    ],
    // Per namespace: only the same namespace counts.
    [
      "per Namespace: another namespace's work does not count",
      [budget("n", { per: "Namespace", maxInstancesDeleted: 5 })],
      [spent(0, 5, { namespace: "b" })],
      ask(5),
      true,
    ],
    [
      "per Namespace: the same namespace counts, on any remote",
      [budget("n", { per: "Namespace", maxInstancesDeleted: 5 })],
      [spent(0, 5, { remote: R2 })],
      ask(1),
      Reason.BudgetExhausted,
      HOUR,
    ],
    [
      "per Fleet: everything counts together",
      [five],
      [spent(0, 2, { namespace: "b" }), spent(0, 2, { remote: R2 })],
      ask(2),
      Reason.BudgetExhausted,
      HOUR,
    ],
    // spec.namespaces: other namespaces are neither limited nor counted.
    [
      "namespaces: a set elsewhere is not limited",
      [budget("only-b", { maxInstancesDeleted: 0, namespaces: ["b"] })],
      [],
      ask(3),
      true,
    ],
    [
      "namespaces: work elsewhere is not counted",
      [budget("only-a", { maxInstancesDeleted: 5, namespaces: ["a"] })],
      [spent(0, 5, { namespace: "b" })],
      ask(5),
      true,
    ],
    // Several budgets: each must admit.
    [
      "two budgets: the per-remote one admits, the fleet one does not",
      [budget("r", { per: "Remote", maxInstancesDeleted: 10 }), five],
      [spent(0, 4, { remote: R2 })],
      ask(2),
      Reason.BudgetExhausted,
      HOUR,
    ],
    [
      "two budgets refusing: the answer is the one that frees last",
      [five, budget("day", { window: "24h", maxInstancesDeleted: 5 })],
      [spent(30 * 60_000, 5)],
      ask(1),
      Reason.BudgetExhausted,
      24 * HOUR - 30 * 60_000,
    ],
    // Several must leave before the plan fits: it frees when the last of them has.
    [
      "frees once enough have left: 2+2+1 used, 4 asked, the first two records leave at +20 min",
      [five],
      [spent(50 * 60_000, 2), spent(40 * 60_000, 2), spent(10 * 60_000, 1)],
      ask(4),
      Reason.BudgetExhausted,
      20 * 60_000,
    ],
    [
      "the oldest leave first, in whatever order status keeps them (newest first)",
      [five],
      [spent(10 * 60_000, 1), spent(40 * 60_000, 2), spent(50 * 60_000, 2)],
      ask(2),
      Reason.BudgetExhausted,
      10 * 60_000,
    ],
    [
      "a disruption whose time does not parse counts, and frees only at the latest time a Date holds",
      [five],
      [spent(0, 5, { startedAt: "not a time" })],
      ask(1),
      Reason.BudgetExhausted,
      8.64e15 - NOW.getTime(),
    ],
    [
      "a plan that starts nothing passes, even a budget overspent since it was lowered",
      [budget("lowered", { per: "Fleet", maxInstancesDeleted: 2 })],
      [spent(0, 5)],
      ask(0),
      true,
    ],
    [
      "a budget that can never admit the plan is the answer, whatever another one would wait for",
      [budget("one", { per: "Fleet", maxInstancesDeleted: 1 }), five],
      [spent(0, 5)],
      ask(2),
      Reason.BudgetTooSmall,
    ],
    [
      "two budgets refusing, the one freeing last listed first: still the answer",
      [budget("day", { window: "24h", maxInstancesDeleted: 5 }), five],
      [spent(30 * 60_000, 5)],
      ask(1),
      Reason.BudgetExhausted,
      24 * HOUR - 30 * 60_000,
    ],
    [
      "a budget that does not parse stops every plan",
      [
        budgetPolicyOf({
          apiVersion: "dbfleet.io/v1alpha1",
          kind: "FleetDisruptionBudget",
          metadata: { name: "bad" },
          spec: { window: "0s" },
        }),
      ],
      [],
      ask(1),
      Reason.BudgetInvalid,
    ],
  ])("%s", (_, policies, recorded, req, expected, freesInMs) => {
    const verdict = admit(policies, req, recorded, NOW);
    if (expected === true) {
      expect(verdict).toEqual({ ok: true });
      return;
    }
    expect(verdict).toMatchObject({ ok: false, reason: expected });
    if (freesInMs !== undefined && !verdict.ok)
      expect(verdict.freesAt?.getTime()).toBe(NOW.getTime() + freesInMs);
  });

  it("the message names the budget, its window, the scope and when it frees", () => {
    const verdict = admit(
      [budget("per-project", { per: "Remote", maxInstancesDeleted: 5 })],
      ask(1),
      [spent(20 * 60_000, 5)],
      NOW,
    );
    expect(verdict.ok).toBe(false);
    if (!verdict.ok)
      expect(verdict.message).toBe(
        `FleetDisruptionBudget per-project (5 instance deletions per 1h on remote ${R1}) has 0 left of 5 and the plan starts 1: waiting until 2026-11-23T10:40:00.000Z`,
      );
  });
});

describe("what a refusal says: the budget, its limit, window and scope, what is left", () => {
  const waiting = `waiting until ${new Date(NOW.getTime() + HOUR).toISOString()}`;
  it.each<[string, BudgetPolicy[], RecordedDisruption[], DisruptionRequest, string]>([
    [
      "per Namespace",
      [budget("per-ns", { per: "Namespace", maxInstancesDeleted: 5 })],
      [spent(0, 3)],
      ask(3),
      `FleetDisruptionBudget per-ns (5 instance deletions per 1h in namespace a) has 2 left of 5 and the plan starts 3: ${waiting}`,
    ],
    [
      "per Fleet, zones",
      [budget("zones", { per: "Fleet", maxZonesRemoved: 2 })],
      [spent(0, 2, { unit: "zones" })],
      ask(1, { unit: "zones" }),
      `FleetDisruptionBudget zones (2 zone removals per 1h) has 0 left of 2 and the plan starts 1: ${waiting}`,
    ],
    [
      "a budget lowered below what was spent: none left, not a negative number",
      [budget("lowered", { per: "Fleet", maxInstancesDeleted: 2 })],
      [spent(0, 5)],
      ask(1),
      `FleetDisruptionBudget lowered (2 instance deletions per 1h) has 0 left of 2 and the plan starts 1: ${waiting}`,
    ],
    [
      "a plan larger than the budget ever allows",
      [five],
      [],
      ask(8),
      "the plan starts 8 instance deletions, more than FleetDisruptionBudget five (5 instance deletions per 1h) ever allows: lower the set's per-operation limit or raise the budget",
    ],
    [
      "two budgets refusing until the same time: the first listed, every time",
      [
        budget("first", { per: "Fleet", maxInstancesDeleted: 5 }),
        budget("second", { per: "Fleet", maxInstancesDeleted: 5 }),
      ],
      [spent(0, 5)],
      ask(1),
      `FleetDisruptionBudget first (5 instance deletions per 1h) has 0 left of 5 and the plan starts 1: ${waiting}`,
    ],
  ])("%s", (_, policies, recorded, req, message) => {
    const verdict = admit(policies, req, recorded, NOW);
    expect(verdict.ok ? "admitted" : verdict.message).toBe(message);
  });

  it("an invalid budget: named (or called unnamed), with every problem its object has", () => {
    const verdict = admit(
      [
        budgetPolicyOf({
          apiVersion: "dbfleet.io/v1alpha1",
          kind: "FleetDisruptionBudget",
          metadata: {},
          spec: { window: "0s", maxZonesRemoved: -1 },
        }),
      ],
      ask(1),
      [],
      NOW,
    );
    expect(verdict.ok ? "admitted" : verdict.message).toMatch(
      /^FleetDisruptionBudget \(unnamed\) is invalid \(\w.*; \w.*\): nothing destructive starts until it is fixed or deleted$/,
    );
  });
});

describe("budgetUsage: what the metrics and plan show", () => {
  it("a per-Fleet budget's use is one fleet scope, whatever the namespace or remote", () => {
    const usage = budgetUsage(
      [budget("f", { per: "Fleet", maxInstancesDeleted: 5 })],
      [spent(0, 2), spent(0, 1, { namespace: "b", remote: R2 })],
      NOW,
    );
    expect(usage).toEqual([{ budget: "f", unit: "instances", scope: "fleet", limit: 5, used: 3 }]);
  });

  it("per scope with any use, and the fleet scope always; other namespaces and old work left out", () => {
    const usage = budgetUsage(
      [budget("r", { per: "Remote", maxInstancesDeleted: 5 }), budget("f", { maxZonesRemoved: 2 })],
      [spent(0, 2), spent(0, 1, { remote: R2 }), spent(HOUR, 9)],
      NOW,
    );
    expect(usage).toEqual([
      { budget: "r", unit: "instances", scope: R1, limit: 5, used: 2 },
      { budget: "r", unit: "instances", scope: R2, limit: 5, used: 1 },
      { budget: "f", unit: "zones", scope: "fleet", limit: 2, used: 0 },
    ]);
  });
});

describe("budgetRemoteKey: a remote is what it is, not how its URL is spelled", () => {
  it.each([
    [{ endpoint: "https://DCS.a/", projectId: "p1", identity: "dcs|p1" }, "dcs|p1"],
    [{ endpoint: "https://10.0.0.9", projectId: "p1", identity: "dcs|p1" }, "dcs|p1"],
    [{ endpoint: "http://10.0.0.1:2886", identity: "obshell|c1#7" }, "obshell|c1#7"],
  ])("%j -> %s", (where, key) => {
    expect(budgetRemoteKey(where)).toBe(key);
  });
});

describe("status.disruptions: written with the intent, given back on refusal", () => {
  const spend = { unit: "instances" as const, count: 3, remote: R1 };
  it("a spend is recorded newest first; what is older than 24 h is dropped", () => {
    const old = { startedAt: at(24 * HOUR), unit: "zones" as const, count: 1, remote: R2 };
    const kept = { startedAt: at(HOUR), unit: "zones" as const, count: 1, remote: R2 };
    expect(spendBudget({ disruptions: [kept, old] }, spend, NOW).disruptions).toEqual([
      { startedAt: "2026-11-23T10:00:00.000Z", ...spend },
      kept,
    ]);
  });
  it.each([
    ["all refused: the record goes", 3, undefined],
    ["some refused: the rest stays counted", 2, 1],
    ["none refused", 0, 3],
  ])("%s", (_, refused, left) => {
    const s = spendBudget<WithDisruptions>({}, spend, NOW);
    const after = refundBudget(s, { unit: "instances", startedAt: "2026-11-23T10:00:00.000Z" }, refused);
    expect(after.disruptions?.[0]?.count).toBe(left);
  });
  it("past 200 records in a day, the oldest are folded into newer ones of their remote: every start stays counted", () => {
    expect(KEPT_DISRUPTIONS).toBe(200);
    // One start a minute for longer than the kept records reach back, each of 3 instances; a day's budget.
    let s: WithDisruptions = {
      disruptions: [{ startedAt: at(23 * HOUR), unit: "zones", count: 1, remote: R2 }],
    };
    const starts = KEPT_DISRUPTIONS + 5;
    for (let i = starts - 1; i >= 0; i--) s = spendBudget(s, spend, new Date(NOW.getTime() - i * 60_000));
    const records = s.disruptions ?? [];
    expect(records).toHaveLength(KEPT_DISRUPTIONS);
    expect(records.filter((d) => d.remote === R1).reduce((n, d) => n + d.count, 0)).toBe(starts * 3);
    // Folded forward in time (counted longer, never less), the other remote's lone record left as it was.
    expect(records.at(-2)).toEqual({ ...spend, startedAt: at((starts - 7) * 60_000), count: 7 * 3 });
    expect(records.at(-1)).toEqual({ startedAt: at(23 * HOUR), unit: "zones", count: 1, remote: R2 });
    const day = budget("day", { window: "24h", per: "Remote", maxInstancesDeleted: starts * 3 });
    const recorded = records.map((d) => ({ ...d, namespace: "a" }));
    expect(admit([day], ask(1), recorded, NOW).ok).toBe(false);
    expect(admit([day], ask(1), recorded.slice(0, 1), NOW).ok).toBe(true);
  });
  it("records that do not parse are not read", () => {
    expect(disruptionsOf({ disruptions: [{ startedAt: "x" }, { ...spend, startedAt: at(0) }] })).toHaveLength(
      1,
    );
  });
});

describe("the engine against the DCS simulator, with a budget of 2 instances per hour", () => {
  let sim: DcsSimulator | undefined;
  let pool: ConnectionClients<DcsClient> | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    await sim?.stop();
  });

  const instances = ["cache-keep", "cache-a", "cache-b", "cache-c", "cache-d"];
  const budgets = [
    {
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "FleetDisruptionBudget",
      metadata: { name: "two" },
      spec: { window: "1h", per: "Remote", maxInstancesDeleted: 2 },
    },
  ];

  async function fleet(sets: { name: string; prefix: string }[]) {
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: { p1: instances.map((name) => ({ name, id: `id-${name}` })) },
    });
    const url = await sim.start();
    const w = world();
    addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
    addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
    pool = new ConnectionClients<DcsClient>();
    const kind = redisKind({
      resolve: resolverOf(w),
      endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
      pool,
      listings: new SharedListings(),
    });
    const apis = sets.map(
      (s) =>
        new FakeApi(
          refRedisManifest({
            name: s.name,
            connection: { name: "dcs" },
            selector: { namePrefix: s.prefix },
            instances: [],
            policy: { allowEmpty: true, approvalThreshold: 10 },
          }),
          [],
        ),
    );
    const cache = () => apis.map((a) => a.stored);
    const make = (api: FakeApi, calls: Calls, book: FleetBudgets) =>
      new SetReconciler(kind, {
        cache: { get: () => api.stored },
        status: api.writer(),
        events: eventLog(calls),
        credentials: new MemoryCredentialHealth(),
        budgets: book,
        now: () => new Date(),
      });
    const book = () => new FleetBudgets({ budgets: () => budgets, sets: cache });
    // A watch that has delivered nothing yet: the sets as they were before any write.
    const before = apis.map((a) => structuredClone(a.stored));
    const lagging = () => new FleetBudgets({ budgets: () => budgets, sets: () => before });
    return { apis, make, book, lagging };
  }

  const deletes = () => (sim?.log ?? []).filter((r) => r.method === "DELETE");

  it("a refused batch gives its count back: the next set may delete", async () => {
    const { apis, make, book } = await fleet([
      { name: "a", prefix: "cache-a" },
      { name: "b", prefix: "cache-b" },
      { name: "c", prefix: "cache-c" },
    ]);
    // A plain 400: DCS refused the whole batch, nothing was deleted.
    sim?.addFault({ method: "DELETE", kind: "status", status: 400, times: 1 });
    const shared = book();
    const [a, b, c] = apis.map((api) => make(api, [], shared));
    await a?.reconcile(request(new AbortController().signal, "prod/a"));
    expect(apis[0]?.status.disruptions ?? []).toEqual([]);
    await b?.reconcile(request(new AbortController().signal, "prod/b"));
    await c?.reconcile(request(new AbortController().signal, "prod/c"));
    expect(deletes()).toHaveLength(3);
    expect(apis.map((api) => disruptionsOf(api.status).reduce((n, d) => n + d.count, 0))).toEqual([0, 1, 1]);
  });

  it("a lost reply keeps its count, and a fresh process counts it from status: the third set waits", async () => {
    const { apis, make, book } = await fleet([
      { name: "a", prefix: "cache-a" },
      { name: "b", prefix: "cache-b" },
      { name: "c", prefix: "cache-c" },
    ]);
    sim?.addFault({ method: "DELETE", kind: "reset", phase: "after", times: 1 });
    const first = book();
    await make(apis[0] as FakeApi, [], first).reconcile(request(new AbortController().signal, "prod/a"));
    expect(apis[0]?.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Ready", reason: Reason.DeleteOutcomeUnknown }),
    );
    await make(apis[1] as FakeApi, [], first).reconcile(request(new AbortController().signal, "prod/b"));
    expect(deletes()).toHaveLength(2);
    // A restart, or a new leader: nothing in memory, only the sets' status.
    const calls: Calls = [];
    const result = await make(apis[2] as FakeApi, calls, book()).reconcile(
      request(new AbortController().signal, "prod/c"),
    );
    expect(deletes()).toHaveLength(2);
    expect(apis[2]?.status.phase).toBe("Reconciling");
    expect(calls.some((c) => c.includes("BudgetExhausted"))).toBe(true);
    const ready = (apis[2]?.status.conditions as { reason: string; message: string }[] | undefined)?.[0];
    expect(ready?.reason).toBe(Reason.BudgetExhausted);
    const message = ready?.message ?? "";
    expect(message).toContain("FleetDisruptionBudget two (2 instance deletions per 1h on remote dcs|p1)");
    // Looked at again when the oldest disruption leaves the window, not at the poll interval.
    expect(result.requeueAfterMs).toBeGreaterThan(HOUR - 60_000);
    expect(result.requeueAfterMs).toBeLessThanOrEqual(HOUR);
  });

  it("four sets deciding at once, through a cache that lags their writes, do not take more than the budget", async () => {
    const { apis, make, lagging } = await fleet([
      { name: "a", prefix: "cache-a" },
      { name: "b", prefix: "cache-b" },
      { name: "c", prefix: "cache-c" },
      { name: "d", prefix: "cache-d" },
    ]);
    const shared = lagging();
    await Promise.all(
      apis.map((api, i) =>
        make(api, [], shared).reconcile(request(new AbortController().signal, `prod/${"abcd"[i]}`)),
      ),
    );
    expect(deletes()).toHaveLength(2);
    expect(apis.filter((api) => disruptionsOf(api.status).length > 0)).toHaveLength(2);
  });
});

describe("what each kind's actions count", () => {
  const tenant = tenantKind({
    resolve: async () => ({
      ok: false,
      step: { kind: "Stall", reason: Reason.ConnectionNotFound, message: "" },
    }),
    endpointPolicy: new EndpointPolicy(),
    pool: new ConnectionClients<ObshellClient>(),
  } as unknown as Parameters<typeof tenantKind>[0]);
  const remove = {
    kind: "RemoveZones",
    reason: Reason.RemovingZones,
    message: "",
    zones: ["z4", "z5"],
  } as unknown as Parameters<typeof tenant.disruptions.of>[0];
  it.each<[string, unknown, number]>([
    ["a DAG started: nothing given back", { kind: "DagStarted", reason: Reason.DagRunning }, 0],
    ["refused before a DAG (busy)", { kind: "DeleteRefused", reason: Reason.TenantBusy }, 2],
    ["refused before a DAG (bad request)", { kind: "DeleteRefused", reason: Reason.RemoteRefused }, 2],
    ["204: nothing to remove", { kind: "EndOperation", reason: Reason.NothingToRemove }, 2],
    ["reply lost: kept", { kind: "OutcomeUnknown", reason: Reason.DeleteOutcomeUnknown }, 0],
  ])("tenant RemoveZones of 2 zones, %s", (_, result, back) => {
    expect(tenant.disruptions.of(remove)).toEqual({ unit: "zones", count: 2 });
    expect(tenant.disruptions.refunded(remove as never, result as never)).toBe(back);
  });
  it("a RETRY or ROLLBACK of a DAG already counted counts nothing", () => {
    expect(tenant.disruptions.of({ kind: "RetryDag" } as never)).toBeUndefined();
    expect(tenant.disruptions.of({ kind: "RollbackDag" } as never)).toBeUndefined();
  });
  const redis = redisKind({
    endpointPolicy: new EndpointPolicy(),
    pool: new ConnectionClients<DcsClient>(),
    listings: new SharedListings(),
  } as unknown as Parameters<typeof redisKind>[0]);
  const del = {
    kind: "DeleteInstances",
    reason: Reason.Deleting,
    message: "",
    targets: [
      { id: "a", name: "a" },
      { id: "b", name: "b" },
      { id: "c", name: "c" },
    ],
  } as unknown as Parameters<typeof redis.disruptions.of>[0];
  it.each<[string, unknown, number]>([
    [
      "all accepted",
      { kind: "DeletionsSent", results: ["a", "b", "c"].map((i) => ({ instance: i, result: "success" })) },
      0,
    ],
    [
      "one refused",
      {
        kind: "DeletionsSent",
        results: [
          { instance: "a", result: "success" },
          { instance: "b", result: "failed" },
          { instance: "c", result: "success" },
        ],
      },
      1,
    ],
    [
      "the batch refused",
      { kind: "DeletionsSent", results: ["a", "b", "c"].map((i) => ({ instance: i, result: "failed" })) },
      3,
    ],
    ["reply lost: kept", { kind: "OutcomeUnknown" }, 0],
  ])("redis DeleteInstances of 3, %s", (_, result, back) => {
    expect(redis.disruptions.of(del)).toEqual({ unit: "instances", count: 3 });
    expect(redis.disruptions.refunded(del as never, result as never)).toBe(back);
  });
});

describe("budget metrics: bounded cardinality", () => {
  it(`at most ${BUDGET_SCOPES_SHOWN} scopes per budget and unit, those with the least left`, () => {
    const usage = Array.from({ length: 50 }, (_, i) => ({
      budget: "r",
      unit: "instances",
      scope: `remote-${i}`,
      limit: 10,
      used: i % 11,
    }));
    const shown = shownBudgetUse([
      ...usage,
      { budget: "f", unit: "zones", scope: "fleet", limit: 2, used: 0 },
    ]);
    expect(shown.filter((u) => u.budget === "r")).toHaveLength(BUDGET_SCOPES_SHOWN);
    // used 0..10, four scopes each: the 20 with the least left are those using 6 to 10.
    const shownUsed = shown.filter((u) => u.budget === "r").map((u) => u.used);
    expect(Math.min(...shownUsed)).toBe(6);
    expect(shownUsed.filter((u) => u === 10)).toHaveLength(4);
    expect(shown.filter((u) => u.budget === "f")).toHaveLength(1);
  });
});
