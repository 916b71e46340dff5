import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import type { DeletionRecord, RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { keepUsedApprovals, useApproval } from "../../src/reconcilers/engine/approval-gate.js";
import { resolveDeletions } from "../../src/reconcilers/redis/observe.js";
import { PENDING_RESOLVE_MS } from "../../src/reconcilers/redis/plan.js";
import * as redis from "../../src/reconcilers/redis/transitions.js";
import type { OperationTarget } from "../../src/reconcilers/tenant/decide.js";
import * as tenant from "../../src/reconcilers/tenant/transitions.js";
import { ago, dag, identity, instance, NOW, OBSHELL, operation, redisSet, tenantSeen } from "./sets.js";

const AT = "2026-11-23T10:00:00Z"; // NOW as status timestamps carry it
const target: OperationTarget = {
  endpoint: OBSHELL,
  tenant: "orders",
  credentialsSecretName: "obshell",
  credentialsSecretKey: "password",
};
const request = { hash: "h1", summary: "remove 2 of 4", targets: ["z3", "z4"] };
const mirror = {
  id: "11",
  dagId: 1,
  name: "Scale in tenant replicas",
  stage: 1,
  maxStage: 2,
  state: "RUNNING",
  operator: "RUN",
  startTime: ago(60_000),
};

interface TenantCase {
  reason: string;
  from: TenantReplicaSetStatus;
  apply: (s: TenantReplicaSetStatus) => TenantReplicaSetStatus;
  want: TenantReplicaSetStatus;
}

const tenantCases: TenantCase[] = [
  {
    reason: "withObservation of the tenant: the zones and replicas it has",
    from: { phase: "Ready" },
    apply: (s) =>
      tenant.withObservation(s, {
        kind: "tenant",
        tenant: tenantSeen("FULL@z1,READONLY@z3"),
        unfinished: [],
      }),
    want: {
      phase: "Ready",
      zones: ["z1", "z3"],
      replicas: [
        { zone: "z1", type: "FULL" },
        { zone: "z3", type: "READONLY" },
      ],
    },
  },
  {
    reason: "withObservation of an unknown tenant: the last known zones stay",
    from: { zones: ["z1"] },
    apply: (s) => tenant.withObservation(s, { kind: "tenant", tenant: undefined, unfinished: [] }),
    want: { zones: ["z1"] },
  },
  {
    reason: "withObservation of the operation's DAG: its mirror, without nodes, unset end time dropped",
    from: { operation: operation({ dagId: "11" }) },
    apply: (s) => tenant.withObservation(s, { kind: "operation", dag: dag() }),
    want: { operation: operation({ dagId: "11" }), dag: mirror },
  },
  {
    reason: "withObservation after a lost reply (no DAG known): nothing changes",
    from: { operation: operation() },
    apply: (s) => tenant.withObservation(s, { kind: "operation", dag: undefined, candidates: [dag()] }),
    want: { operation: operation() },
  },
  {
    reason:
      "startOperation: the intent with where, what, when and for which generation; the old DAG mirror goes",
    from: { zones: ["z1", "z3"], dag: mirror },
    apply: (s) => tenant.startOperation(s, target, ["z3"], NOW, 7),
    want: {
      zones: ["z1", "z3"],
      operation: {
        kind: "RemoveZones",
        zones: ["z3"],
        startedAt: AT,
        retries: 0,
        generation: 7,
        endpoint: OBSHELL,
        tenant: "orders",
        credentialsSecretName: "obshell",
        credentialsSecretKey: "password",
      },
    },
  },
  {
    reason: "startOperation without a generation: none is recorded",
    from: {},
    apply: (s) => tenant.startOperation(s, target, ["z3"], NOW, undefined),
    want: {
      operation: {
        kind: "RemoveZones",
        zones: ["z3"],
        startedAt: AT,
        retries: 0,
        endpoint: OBSHELL,
        tenant: "orders",
        credentialsSecretName: "obshell",
        credentialsSecretKey: "password",
      },
    },
  },
  {
    reason: "attachDag: the operation learns its DAG id, and the mirror is set",
    from: { operation: operation() },
    apply: (s) => tenant.attachDag(s, dag()),
    want: { operation: operation({ dagId: "11" }), dag: mirror },
  },
  {
    reason: "attachDag without an operation: only the mirror (no operation is invented)",
    from: {},
    apply: (s) => tenant.attachDag(s, dag({ state: "SUCCEED", end_time: AT })),
    want: { dag: { ...mirror, state: "SUCCEED", endTime: AT } },
  },
  {
    reason: "countRetry: the operation counts the RETRY sent",
    from: { operation: operation({ dagId: "11", retries: 1 }) },
    apply: (s) => tenant.countRetry(s, 2),
    want: { operation: operation({ dagId: "11", retries: 2 }) },
  },
  {
    reason: "countRetry without an operation: nothing",
    from: { phase: "Ready" },
    apply: (s) => tenant.countRetry(s, 2),
    want: { phase: "Ready" },
  },
  {
    reason: "clearOperation: the intent goes, the DAG mirror stays as the last one seen",
    from: { operation: operation({ dagId: "11" }), dag: mirror },
    apply: tenant.clearOperation,
    want: { dag: mirror },
  },
  {
    reason: "awaitApproval: the plan's hash, summary and targets",
    from: {},
    apply: (s) => tenant.awaitApproval(s, request),
    want: { pendingApproval: request },
  },
  {
    reason: "clearApproval: no pending approval",
    from: { pendingApproval: request, phase: "Stalled" },
    apply: tenant.clearApproval,
    want: { phase: "Stalled" },
  },
];

describe("tenant transitions", () => {
  it.each(tenantCases)("$reason", (c) => {
    const before = structuredClone(c.from);
    expect(c.apply(c.from)).toEqual(c.want);
    expect(c.from).toEqual(before); // transitions never mutate
  });
});

describe("recordTenant composes the transitions per step", () => {
  const ctx = (annotations: Record<string, string> = {}) => ({
    set: undefined,
    observed: undefined,
    id: identity({ annotations }),
    now: NOW,
  });

  it("RemoveZones with an approval: the intent, the approval used first in the list, no pending approval", () => {
    const s = tenant.recordTenant(
      { pendingApproval: request, usedApprovals: [{ hash: "h1", usedAt: ago(1000) }] },
      {
        kind: "RemoveZones",
        reason: Reason.RemovingZones,
        message: "",
        target,
        zones: ["z3"],
        approval: "h1",
      },
      ctx({ [APPROVE_PLAN_ANNOTATION]: "h1" }),
    );
    expect(s.operation).toMatchObject({ zones: ["z3"], startedAt: AT, generation: 2 });
    expect(s.usedApprovals).toEqual([{ hash: "h1", usedAt: AT }]);
    expect(s.pendingApproval).toBeUndefined();
  });

  it("AwaitApproval records the plan waiting; used approvals no longer annotated are forgotten", () => {
    const s = tenant.recordTenant(
      { usedApprovals: [{ hash: "old", usedAt: ago(1000) }] },
      { kind: "AwaitApproval", reason: Reason.ApprovalRequired, message: "", approval: request },
      ctx({ [APPROVE_PLAN_ANNOTATION]: "other" }),
    );
    expect(s.pendingApproval).toEqual(request);
    expect(s.usedApprovals).toBeUndefined();
  });

  it.each([
    { kind: "DeleteRefused", keeps: false },
    { kind: "EndOperation", keeps: false },
    { kind: "OutcomeUnknown", keeps: true },
    { kind: "Wait", keeps: true },
    { kind: "Stall", keeps: true },
  ] as const)("$kind: the intent stays = $keeps", ({ kind, keeps }) => {
    const step = {
      kind,
      reason: Reason.DeleteOutcomeUnknown,
      message: "",
      phase: "Reconciling",
      requeueAfterMs: 1,
    } as Parameters<typeof tenant.recordTenant>[1];
    const s = tenant.recordTenant({ operation: operation() }, step, ctx());
    expect(s.operation !== undefined).toBe(keeps);
  });

  it("AdoptDag and DagStarted attach the DAG; RetryDag counts the attempt", () => {
    const adopted = tenant.recordTenant(
      { operation: operation() },
      { kind: "AdoptDag", reason: Reason.DagFound, message: "", dag: dag({ id: "42" }) },
      ctx(),
    );
    expect(adopted.operation?.dagId).toBe("42");
    const started = tenant.recordTenant(
      { operation: operation() },
      {
        kind: "DagStarted",
        reason: Reason.DagRunning,
        message: "",
        dag: dag({ id: "43" }),
        requeueAfterMs: 1,
      },
      ctx(),
    );
    expect(started.operation?.dagId).toBe("43");
    const retried = tenant.recordTenant(
      { operation: operation({ dagId: "43" }) },
      { kind: "RetryDag", reason: Reason.DagRetried, message: "", dagId: "43", attempt: 1 },
      ctx(),
    );
    expect(retried.operation?.retries).toBe(1);
  });
});

const rec = (name: string, o: Partial<DeletionRecord> = {}): DeletionRecord => ({
  id: `id-${name}`,
  name,
  requestedAt: ago(10_000),
  result: "pending",
  attempts: 1,
  ...o,
});

interface RedisCase {
  reason: string;
  from: RedisInstanceSetStatus;
  apply: (s: RedisInstanceSetStatus) => RedisInstanceSetStatus;
  want: RedisInstanceSetStatus;
}

const set = redisSet({ instances: ["cache-1", "cache-9"] });

const redisCases: RedisCase[] = [
  {
    reason:
      "withObservation: the project listed, the instances in scope, their count, the desired ones missing",
    from: {},
    apply: (s) =>
      redis.withObservation(
        s,
        { projectId: "project-a", instances: [instance("cache-1"), instance("other-1")] },
        set,
        NOW,
      ),
    want: {
      projectId: "project-a",
      instances: [{ id: "id-cache-1", name: "cache-1", status: "RUNNING" }],
      observedCount: 1,
      deletions: [],
      missing: ["cache-9"],
    },
  },
  {
    reason: "withObservation without an observation (a failed read): nothing changes",
    from: { projectId: "project-a", observedCount: 3 },
    apply: (s) => redis.withObservation(s, undefined, set, NOW),
    want: { projectId: "project-a", observedCount: 3 },
  },
  {
    reason: "withObservation resolves the deletion records: an instance no longer listed is gone",
    from: { projectId: "project-a", deletions: [rec("cache-2", { result: "success" })] },
    apply: (s) =>
      redis.withObservation(
        s,
        { projectId: "project-b", instances: [instance("cache-1"), instance("cache-9")] },
        set,
        NOW,
      ),
    want: {
      projectId: "project-b",
      instances: [
        { id: "id-cache-1", name: "cache-1", status: "RUNNING" },
        { id: "id-cache-9", name: "cache-9", status: "RUNNING" },
      ],
      observedCount: 2,
      deletions: [rec("cache-2", { result: "success", goneAt: AT })],
    },
  },
  {
    reason: "recordDeletions: a pending record per target, attempts counted from the previous record",
    from: { deletions: [rec("cache-2", { result: "failed", attempts: 2, lastError: "x" }), rec("cache-3")] },
    apply: (s) =>
      redis.recordDeletions(
        s,
        [
          { id: "id-cache-2", name: "cache-2" },
          { id: "id-cache-4", name: "cache-4" },
        ],
        NOW,
      ),
    want: {
      deletions: [
        { id: "id-cache-2", name: "cache-2", requestedAt: AT, result: "pending", attempts: 3 },
        rec("cache-3"),
        { id: "id-cache-4", name: "cache-4", requestedAt: AT, result: "pending", attempts: 1 },
      ],
    },
  },
  {
    reason:
      "recordResults: accepted ones succeed, refused ones fail with the refusal, the batch kept verbatim",
    from: { deletions: [rec("cache-2"), rec("cache-3"), rec("cache-4", { result: "failed" })] },
    apply: (s) =>
      redis.recordResults(
        s,
        [
          { result: "success", instance: "id-cache-2" },
          { result: "failed", instance: "id-cache-3" },
          { result: "success", instance: "id-cache-4" },
        ],
        "400 DCS.4049",
      ),
    want: {
      deletions: [
        rec("cache-2", { result: "success" }),
        rec("cache-3", { result: "failed", lastError: "400 DCS.4049" }),
        rec("cache-4", { result: "failed" }), // not pending: not this batch's
      ],
      lastBatch: {
        requestedAt: ago(10_000),
        results: [
          { result: "success", instance: "id-cache-2" },
          { result: "failed", instance: "id-cache-3" },
          { result: "success", instance: "id-cache-4" },
        ],
      },
    },
  },
  {
    reason: "recordResults without a refusal text: the failure says DCS gave no reason",
    from: { deletions: [rec("cache-3")] },
    apply: (s) => {
      const next = redis.recordResults(s, [{ result: "failed", instance: "id-cache-3" }], undefined);
      return { deletions: next.deletions ?? [] };
    },
    want: {
      deletions: [
        rec("cache-3", {
          result: "failed",
          lastError: "DCS answered failed (it gives no reason); retried with backoff",
        }),
      ],
    },
  },
  {
    reason: "withObservation: an instance kept by id is not missing",
    from: {},
    apply: (s) =>
      redis.withObservation(
        s,
        { projectId: "project-a", instances: [instance("cache-1"), instance("cache-2")] },
        redisSet({ instances: ["cache-1", "id-cache-2"] }),
        NOW,
      ),
    want: {
      projectId: "project-a",
      instances: [
        { id: "id-cache-1", name: "cache-1", status: "RUNNING" },
        { id: "id-cache-2", name: "cache-2", status: "RUNNING" },
      ],
      observedCount: 2,
      deletions: [],
      missing: undefined,
    },
  },
  {
    reason:
      "recordResults: a pending record of an earlier batch (its reply lost) is not this batch's: it stays pending",
    from: { deletions: [rec("cache-2", { requestedAt: ago(60_000) }), rec("cache-3")] },
    apply: (s) =>
      redis.recordResults(s, [{ result: "failed", instance: "id-cache-3" }], "400 DCS.4800", "DCS.4800"),
    want: {
      deletions: [
        rec("cache-2", { requestedAt: ago(60_000) }),
        rec("cache-3", { result: "failed", lastError: "400 DCS.4800", lastErrorCode: "DCS.4800" }),
      ],
      lastBatch: { requestedAt: ago(10_000), results: [{ result: "failed", instance: "id-cache-3" }] },
    },
  },
  {
    reason: "awaitApproval and clearApproval",
    from: { phase: "Stalled" },
    apply: (s) => redis.clearApproval(redis.awaitApproval(s, request)),
    want: { phase: "Stalled" },
  },
];

describe("redis transitions", () => {
  it.each(redisCases)("$reason", (c) => {
    const before = structuredClone(c.from);
    expect(c.apply(c.from)).toEqual(c.want);
    expect(c.from).toEqual(before);
  });

  it("withObservation lists at most 500 instances in status (an object stays small), and counts them all", () => {
    const listed = Array.from({ length: 501 }, (_, i) => instance(`cache-${String(i).padStart(3, "0")}`));
    const s = redis.withObservation({}, { projectId: "p1", instances: listed }, set, NOW);
    expect(s.instances).toHaveLength(500);
    expect(s.instances?.at(-1)?.name).toBe("cache-499");
    expect(s.observedCount).toBe(501);
  });

  it("recordRedis: DeleteInstances writes the intent and uses the approval; DeletionsSent records results", () => {
    const ctx = {
      set,
      observed: {
        projectId: "project-a",
        instances: [instance("cache-1"), instance("cache-2"), instance("cache-9")],
      },
      id: identity({ name: "cache", annotations: { [APPROVE_PLAN_ANNOTATION]: "h1" } }),
      now: NOW,
    };
    const intent = redis.recordRedis(
      { pendingApproval: request },
      {
        kind: "DeleteInstances",
        reason: Reason.Deleting,
        message: "",
        targets: [{ id: "id-cache-2", name: "cache-2" }],
        approval: "h1",
      },
      ctx,
    );
    expect(intent.deletions).toEqual([
      { id: "id-cache-2", name: "cache-2", requestedAt: AT, result: "pending", attempts: 1 },
    ]);
    expect(intent.usedApprovals).toEqual([{ hash: "h1", usedAt: AT }]);
    expect(intent.pendingApproval).toBeUndefined();
    const sent = redis.recordRedis(
      intent,
      {
        kind: "DeletionsSent",
        reason: Reason.DeletionRequested,
        message: "",
        results: [{ result: "success", instance: "id-cache-2" }],
        requeueAfterMs: 1,
      },
      ctx,
    );
    expect(sent.deletions?.[0]?.result).toBe("success");
    expect(sent.usedApprovals).toEqual([{ hash: "h1", usedAt: AT }]);
  });
});

describe("resolveDeletions", () => {
  const listed = [instance("cache-2"), instance("cache-3", { status: "DELETING" })];
  const cases: { reason: string; record: DeletionRecord; want: Partial<DeletionRecord> }[] = [
    {
      reason: "accepted and no longer listed: gone now",
      record: rec("cache-9", { result: "success" }),
      want: { result: "success", goneAt: AT },
    },
    {
      reason: "pending (lost reply) and no longer listed: it went",
      record: rec("cache-9"),
      want: { result: "success", goneAt: AT },
    },
    {
      reason: "failed and no longer listed: gone, still marked failed (someone else deleted it)",
      record: rec("cache-9", { result: "failed" }),
      want: { result: "failed", goneAt: AT },
    },
    {
      reason: "already gone: the first goneAt is kept",
      record: rec("cache-9", { result: "success", goneAt: ago(60_000) }),
      want: { goneAt: ago(60_000) },
    },
    {
      reason: "pending and listed DELETING: DCS took it",
      record: rec("cache-3"),
      want: { result: "success" },
    },
    {
      reason: "pending and listed unchanged within PENDING_RESOLVE_MS: still pending",
      record: rec("cache-2", { requestedAt: ago(PENDING_RESOLVE_MS - 1) }),
      want: { result: "pending" },
    },
    {
      reason: "pending and listed unchanged after PENDING_RESOLVE_MS: failed, so it can be retried",
      record: rec("cache-2", { requestedAt: ago(PENDING_RESOLVE_MS + 1) }),
      want: { result: "failed", lastError: expect.stringContaining("reply was lost") },
    },
    {
      reason: "accepted and still listed RUNNING: stays accepted (never re-sent)",
      record: rec("cache-2", { result: "success", requestedAt: ago(3_600_000) }),
      want: { result: "success" },
    },
  ];
  it.each(cases)("$reason", ({ record, want }) => {
    const [resolved] = resolveDeletions([record], listed, NOW);
    expect(resolved).toMatchObject(want);
    if (!("goneAt" in want)) expect(resolved?.goneAt).toBeUndefined();
  });

  it("keeps every live record and the 50 newest gone ones", () => {
    const gone = Array.from({ length: 60 }, (_, i) =>
      rec(`g${i}`, { result: "success", goneAt: ago((60 - i) * 1000) }),
    );
    const out = resolveDeletions([rec("cache-2"), ...gone], listed, NOW);
    expect(out).toHaveLength(51);
    expect(out[0]?.name).toBe("cache-2");
    expect(out[1]?.name).toBe("g59");
    expect(out.map((r) => r.name)).not.toContain("g9");
  });
});

describe("approvals used once", () => {
  const id = (hash?: string) => identity(hash ? { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } : {});
  it.each([
    { reason: "kept while the annotation carries it", used: ["a"], annotated: "a", want: ["a"] },
    { reason: "forgotten once the annotation changes", used: ["a"], annotated: "b", want: undefined },
    {
      reason: "forgotten once the annotation is removed",
      used: ["a"],
      annotated: undefined,
      want: undefined,
    },
    { reason: "nothing used: nothing kept", used: [], annotated: "a", want: undefined },
  ])("keepUsedApprovals: $reason", ({ used, annotated, want }) => {
    const kept = keepUsedApprovals(
      used.map((hash) => ({ hash, usedAt: AT })),
      id(annotated),
    );
    expect(kept?.map((u) => u.hash)).toEqual(want);
  });

  it("useApproval puts the hash first, once, and keeps at most 20", () => {
    const used = Array.from({ length: 25 }, (_, i) => ({ hash: `h${i}`, usedAt: AT }));
    const out = useApproval(used, "h3", "2026-11-23T11:00:00Z");
    expect(out).toHaveLength(20);
    expect(out[0]).toEqual({ hash: "h3", usedAt: "2026-11-23T11:00:00Z" });
    expect(out.filter((u) => u.hash === "h3")).toHaveLength(1);
    expect(useApproval(undefined, "x", AT)).toEqual([{ hash: "x", usedAt: AT }]);
  });
});
