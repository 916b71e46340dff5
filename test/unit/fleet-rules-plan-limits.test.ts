// Two per-set limits of a Redis plan: batches of at most 50 (BATCH_LIMIT), and dry run, which never deletes,
// also when the plan is large enough to need an approval and the approval is given. Wrong versions this is
// written against: a batch loop that overlaps or drops the tail; a dry-run check placed after the approval
// gate, or skipped when an approval was given or already used.
import { afterEach, describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { identityOf, SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { BATCH_LIMIT, batches } from "../../src/reconcilers/redis/plan.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import {
  addDcsConnection,
  addSecret,
  type RefRedisOptions,
  refRedisManifest,
  remoteOf,
  resolverOf,
  world,
} from "./fleet-world.js";
import { ago, instance, NOW } from "./sets.js";

describe("batches: at most BATCH_LIMIT (50) per DELETE, every item once, in order", () => {
  it("BATCH_LIMIT is the documented 50", () => {
    expect(BATCH_LIMIT).toBe(50);
  });
  it.each([
    [0, []],
    [1, [1]],
    [49, [49]],
    [50, [50]],
    [51, [50, 1]],
    [99, [50, 49]],
    [100, [50, 50]],
    [101, [50, 50, 1]],
    [120, [50, 50, 20]],
    [250, [50, 50, 50, 50, 50]],
  ])("%i items -> %j", (n, sizes) => {
    const items = Array.from({ length: n }, (_, i) => i);
    const out = batches(items);
    expect(out.map((b) => b.length)).toEqual(sizes);
    expect(out.flat()).toEqual(items);
  });
});

/** 60 to delete beside the one kept: more than half of what the set owns, so approval is needed. */
const LISTED = [
  instance("cache-keep"),
  ...Array.from({ length: 60 }, (_, i) => instance(`cache-${String(i).padStart(3, "0")}`)),
];

function decide(o: Partial<RefRedisOptions> = {}): RedisStep {
  const w = world();
  addDcsConnection(w, "prod", "dcs", { endpoint: "https://dcs.example.test", projectId: "p1" });
  const object = refRedisManifest({ connection: { name: "dcs" }, instances: ["cache-keep"], ...o });
  const set = redisInstanceSet.parse(object);
  return decideRedis({
    set,
    status: set.status,
    observed: { instances: LISTED },
    fleet: { peersOf: () => [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

const approval = (() => {
  const step = decide();
  if (step.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${step.kind}`);
  return step.approval.hash;
})();

describe("dry run with a large plan that needs approval", () => {
  const dryRun = { dryRun: true };
  it.each<[string, Partial<RefRedisOptions>]>([
    ["no approval given", { policy: dryRun }],
    ["the approval given", { policy: dryRun, annotations: { [APPROVE_PLAN_ANNOTATION]: approval } }],
    [
      "the approval given and already used once",
      {
        policy: dryRun,
        annotations: { [APPROVE_PLAN_ANNOTATION]: approval },
        status: { usedApprovals: [{ hash: approval, usedAt: ago(60_000) }] },
      },
    ],
    [
      "an approval for another plan",
      { policy: dryRun, annotations: { [APPROVE_PLAN_ANNOTATION]: "0123456789abcdef" } },
    ],
    [
      "a per-operation limit of 60 and the approval given",
      {
        policy: { ...dryRun, maxDeletionsPerOperation: 60 },
        annotations: { [APPROVE_PLAN_ANNOTATION]: approval },
      },
    ],
  ])("%s: DryRun showing what would go, never DeleteInstances, never a wait for approval", (_, o) => {
    const step = decide(o);
    expect(step).toMatchObject({ kind: "DryRun", reason: Reason.DryRun });
    if (step.kind === "DryRun") {
      expect(step.targets.length).toBeGreaterThan(0);
      expect(step.targets).not.toContain("cache-keep");
    }
  });

  it("the same plan without dry run waits for the approval, and runs with it", () => {
    expect(decide()).toMatchObject({ kind: "AwaitApproval", reason: Reason.ApprovalRequired });
    expect(decide({ annotations: { [APPROVE_PLAN_ANNOTATION]: approval } })).toMatchObject({
      kind: "DeleteInstances",
      approval,
    });
  });
});

describe("dry run with a large approved plan, through the engine against the DCS simulator", () => {
  let sim: DcsSimulator | undefined;
  let pool: ConnectionClients<DcsClient> | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    await sim?.stop();
  });

  it("sends no DELETE, re-reads no victim, and does not use the approval up", async () => {
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: { p1: LISTED.map((i) => ({ name: i.name, id: i.id })) },
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
    // The hash this set's plan has here (the simulator's endpoint), read the way `plan` would.
    const plain = refRedisManifest({ connection: { name: "dcs" }, instances: ["cache-keep"] });
    const probe = new SetReconciler(kind, {
      cache: { get: () => plain },
      status: new FakeApi(plain, []).writer(),
      events: eventLog([]),
      credentials: new MemoryCredentialHealth(),
    });
    const assessed = (await probe.assess(plain)).step;
    if (assessed.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${assessed.kind}`);

    const calls: Calls = [];
    const api = new FakeApi(
      refRedisManifest({
        connection: { name: "dcs" },
        instances: ["cache-keep"],
        policy: { dryRun: true, maxDeletionsPerOperation: 60 },
        annotations: { [APPROVE_PLAN_ANNOTATION]: assessed.approval.hash },
      }),
      calls,
    );
    const reconciler = new SetReconciler(kind, {
      cache: { get: () => api.stored },
      status: api.writer(),
      events: eventLog(calls),
      credentials: new MemoryCredentialHealth(),
    });
    for (let i = 0; i < 2; i++)
      await reconciler.reconcile(request(new AbortController().signal, "prod/cache"));
    // The second pass changes nothing, so only one status write happens.
    expect(calls.filter((c) => c.startsWith("status "))).toEqual(["status DryRun/DryRun"]);
    expect(sim.log.filter((r) => r.method === "DELETE")).toHaveLength(0);
    expect(sim.log.filter((r) => /\/instances\/[^/]+$/.test(r.path))).toHaveLength(0);
    expect(api.status.usedApprovals).toBeUndefined();
    expect(api.status.deletions ?? []).toEqual([]);
  });
});
