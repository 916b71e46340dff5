// The RedisInstanceSet decision's whole step for a connectionRef set: what status says (message), when
// the set is looked at again (requeueAfterMs), and which outcome wins when several apply at once (a person
// needed beside a backoff, a contested instance beside a wait, long target lists). decide-redis.test.ts
// tables kinds and targets; these are the words and the cadence a user reads and relies on. Wrong versions
// this is written against: a Stall while a retry is still due, a conflict or a person dropped from the
// message, a poll that ignores deletePollMs or the spec's pollInterval, a name list cut one off.
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { type DeletionRecord, redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { identityOf } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import type { ObservedRedis } from "../../src/reconcilers/redis/plan.js";
import { addDcsConnection, refRedisManifest, remoteOf, world } from "./fleet-world.js";
import { ago, instance, NOW } from "./sets.js";

interface Case {
  reason: string;
  listed: ObservedRedis[];
  instances?: string[];
  policy?: Record<string, unknown>;
  pollInterval?: string;
  deletions?: DeletionRecord[];
  peers?: Record<string, string[]>;
  deletePollMs?: number;
  want: RedisStep;
}

function decide(c: Case): RedisStep {
  const w = world();
  addDcsConnection(w, "prod", "dcs", { endpoint: "https://dcs.example.test", projectId: "p1" });
  const object = refRedisManifest({
    connection: { name: "dcs" },
    instances: c.instances ?? ["cache-1"],
    policy: { approvalThreshold: 100, ...c.policy },
    ...(c.deletions ? { status: { deletions: c.deletions } } : {}),
  });
  const set = redisInstanceSet.parse({
    ...object,
    spec: { ...(object.spec as object), ...(c.pollInterval ? { pollInterval: c.pollInterval } : {}) },
  });
  return decideRedis(
    {
      set,
      status: set.status,
      observed: { projectId: "p1", instances: c.listed },
      fleet: { peersOf: (i) => c.peers?.[i.name] ?? [] },
      remote: remoteOf(w, object),
      id: identityOf(object),
      now: NOW,
    },
    { deletePollMs: c.deletePollMs ?? 5000 },
  );
}

const failed = (name: string, o: Partial<DeletionRecord> = {}): DeletionRecord => ({
  id: `id-${name}`,
  name,
  requestedAt: ago(10_000),
  result: "failed",
  attempts: 1,
  ...o,
});
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => instance(`cache-x${String(i).padStart(2, "0")}`));
const listOf = (items: ObservedRedis[]) => items.map((i) => i.name).join(", ");

const cases: Case[] = [
  {
    reason: "Ready counts the instances in scope only",
    instances: ["cache-1", "cache-2"],
    listed: [instance("cache-1"), instance("cache-2"), instance("other-9")],
    want: { kind: "Ready", reason: Reason.Converged, message: "2 instance(s) in scope, all desired" },
  },
  {
    reason: "all desired but one also in a peer's scope: Stalled on the conflict, not Ready",
    instances: ["cache-1", "cache-2"],
    listed: [instance("cache-1"), instance("cache-2")],
    peers: { "cache-2": ["staging/cache", "qa/cache"] },
    want: {
      kind: "Stall",
      reason: Reason.OwnershipConflict,
      message: "cache-2 also in scope of staging/cache, qa/cache: never touched",
    },
  },
  {
    reason: "two contested with the same peer: the peer is named once",
    listed: [instance("cache-1"), instance("cache-2"), instance("cache-3")],
    instances: ["cache-1", "cache-2", "cache-3"],
    peers: { "cache-2": ["staging/cache"], "cache-3": ["staging/cache"] },
    want: {
      kind: "Stall",
      reason: Reason.OwnershipConflict,
      message: "cache-2, cache-3 also in scope of staging/cache: never touched",
    },
  },
  {
    reason: "waiting: looked at again after deletePollMs when the poll interval is longer",
    listed: [instance("cache-1"), instance("cache-2", { status: "DELETING" })],
    want: {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message: "waiting for 1 instance(s) being deleted or busy",
      requeueAfterMs: 5000,
    },
  },
  {
    reason: "waiting: looked at again after the poll interval when it is shorter than deletePollMs",
    pollInterval: "2s",
    listed: [instance("cache-1"), instance("cache-2", { busy: true })],
    want: {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message: "waiting for 1 instance(s) being deleted or busy",
      requeueAfterMs: 2000,
    },
  },
  {
    reason: "a frozen instance beside a refused one still backing off: a retry is due, so Wait, not Stall",
    listed: [instance("cache-1"), instance("cache-2"), instance("cache-3", { status: "FROZEN" })],
    deletions: [failed("cache-2")],
    want: {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message:
        "waiting for 0 instance(s) being deleted or busy, 1 backing off after a failed delete; only a person can delete cache-3 (id-cache-3): status FROZEN",
      requeueAfterMs: 5000,
    },
  },
  {
    reason: "a wait beside a contested instance: both said",
    listed: [instance("cache-1"), instance("cache-2", { status: "DELETING" }), instance("cache-3")],
    peers: { "cache-3": ["staging/cache"] },
    want: {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message:
        "waiting for 1 instance(s) being deleted or busy; cache-3 also in scope of staging/cache: never touched",
      requeueAfterMs: 5000,
    },
  },
  {
    reason:
      "only a person can go on, and one instance is contested: Stalled on the person, the conflict said",
    listed: [instance("cache-1"), instance("cache-2", { prepaid: true }), instance("cache-3")],
    peers: { "cache-3": ["staging/cache"] },
    want: {
      kind: "Stall",
      reason: Reason.DeletionNeedsHuman,
      message:
        "only a person can delete cache-2 (id-cache-2): yearly/monthly: unsubscribe it in the console; cache-3 also in scope of staging/cache: never touched",
    },
  },
  {
    reason: "two that need a person: both named, in name order",
    listed: [
      instance("cache-1"),
      instance("cache-3", { status: "ERROR" }),
      instance("cache-2", { status: "FROZEN" }),
    ],
    want: {
      kind: "Stall",
      reason: Reason.DeletionNeedsHuman,
      message:
        "only a person can delete cache-2 (id-cache-2): status FROZEN; cache-3 (id-cache-3): status ERROR",
    },
  },
  {
    reason: "deleting: the targets named, nothing else said when nothing else applies, no approval used",
    listed: [instance("cache-1"), instance("cache-3"), instance("cache-2")],
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      message: "deleting cache-2, cache-3",
      targets: [
        { id: "id-cache-2", name: "cache-2" },
        { id: "id-cache-3", name: "cache-3" },
      ],
      // The settle gate's key: the approval target hash of exactly these targets.
      planned: expect.objectContaining({ hash: expect.any(String) }),
    },
  },
  {
    reason: "deleting beside a contested and a frozen instance: the targets, the conflict, then the person",
    listed: [
      instance("cache-1"),
      instance("cache-2"),
      instance("cache-3", { status: "FROZEN" }),
      instance("cache-4"),
    ],
    peers: { "cache-4": ["staging/cache"] },
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      message:
        "deleting cache-2; cache-4 also in scope of staging/cache: never touched; only a person can delete cache-3 (id-cache-3): status FROZEN",
      targets: [{ id: "id-cache-2", name: "cache-2" }],
      planned: expect.objectContaining({ hash: expect.any(String) }),
    },
  },
  {
    reason: "dry run of 20: every name listed, no count",
    policy: { dryRun: true, maxDeletionsPerOperation: 50 },
    listed: [instance("cache-1"), ...many(20)],
    want: {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would delete ${listOf(many(20))}`,
      targets: many(20).map((i) => i.name),
      event: { type: "Normal", reason: Reason.DryRun, message: `dry run: would delete ${listOf(many(20))}` },
    },
  },
  {
    reason: "dry run of 21: the first 20 names, then the count",
    policy: { dryRun: true, maxDeletionsPerOperation: 50 },
    listed: [instance("cache-1"), ...many(21)],
    want: {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would delete ${listOf(many(20))}, ... (21)`,
      targets: many(21).map((i) => i.name),
      event: {
        type: "Normal",
        reason: Reason.DryRun,
        message: `dry run: would delete ${listOf(many(20))}, ... (21)`,
      },
    },
  },
];

describe("decideRedis: the whole step, for a connectionRef set", () => {
  it.each(cases)("$reason", (c) => {
    expect(decide(c)).toEqual(c.want);
  });
});
