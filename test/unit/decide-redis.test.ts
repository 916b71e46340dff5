import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import type { DeletionRecord, RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import { dcsInstance } from "../../src/providers/dcs/schemas.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import { observedRedis } from "../../src/reconcilers/redis/observe.js";
import {
  ACCEPTED_GONE_TIMEOUT_MS,
  BATCH_LIMIT,
  batches,
  MAX_DELETE_ATTEMPTS,
  type ObservedRedis,
  PENDING_RESOLVE_MS,
} from "../../src/reconcilers/redis/plan.js";
import { ago, identity, instance, NOW, type RedisSetOptions, redisSet } from "./sets.js";

interface Input {
  set?: RedisSetOptions;
  status?: RedisInstanceSetStatus;
  listed: ObservedRedis[];
  /** Instance name -> the other sets claiming it. */
  peers?: Record<string, string[]>;
  annotations?: Record<string, string>;
  namespace?: string;
}

function decide(c: Input): RedisStep {
  const set = redisSet({ ...c.set, ...(c.status ? { status: c.status } : {}) });
  return decideRedis({
    set,
    status: set.status,
    observed: { projectId: set.spec.dcs?.projectId ?? "", instances: c.listed },
    fleet: { peersOf: (i) => c.peers?.[i.name] ?? [] },
    remote: {
      endpoint: set.spec.dcs?.endpoint ?? "",
      projectId: set.spec.dcs?.projectId ?? "",
      identity: `dcs|${set.spec.dcs?.projectId ?? ""}`,
    },
    id: identity({
      name: set.metadata.name,
      ...(c.namespace ? { namespace: c.namespace } : {}),
      ...(c.annotations ? { annotations: c.annotations } : {}),
    }),
    now: NOW,
  });
}

const record = (name: string, o: Partial<DeletionRecord> = {}): DeletionRecord => ({
  id: `id-${name}`,
  name,
  requestedAt: ago(10_000),
  result: "success",
  attempts: 1,
  ...o,
});

/** An instance as observed from a DCS reply with exactly these busy fields (none given: none in the reply). */
const fromReply = (name: string, busyFields: Record<string, unknown>) =>
  observedRedis(dcsInstance.parse({ instance_id: `id-${name}`, name, status: "RUNNING", ...busyFields }));

const many = (n: number, prefix = "cache-x") =>
  Array.from({ length: n }, (_, i) => instance(`${prefix}${String(i).padStart(3, "0")}`));

function hashOf(c: Input): string {
  const step = decide(c);
  if (step.kind !== "AwaitApproval")
    throw new Error(`expected AwaitApproval, got ${step.kind}: ${step.message}`);
  return step.approval.hash;
}

// Three of four owned instances go: more than half, and more than a per-operation limit of 2.
const large: Input = {
  set: { instances: ["cache-1"], policy: { maxDeletionsPerOperation: 2 } },
  listed: [instance("cache-1"), instance("cache-2"), instance("cache-3"), instance("cache-4")],
};
const largeHash = hashOf(large);

interface Want {
  kind: RedisStep["kind"];
  reason: Reason;
  /** Names the step deletes (DeleteInstances) or would delete (DryRun). */
  targets?: string[] | undefined;
  approval?: string | undefined;
  message?: RegExp;
}

interface Case extends Input {
  reason: string;
  want: Want;
}

function project(step: RedisStep, want: Want): Want {
  const got: Want = { kind: step.kind, reason: step.reason };
  if ("targets" in want)
    got.targets =
      step.kind === "DeleteInstances"
        ? step.targets.map((t) => t.name)
        : step.kind === "DryRun"
          ? step.targets
          : undefined;
  if ("approval" in want) got.approval = step.kind === "DeleteInstances" ? step.approval : undefined;
  if (want.message) {
    expect(step.message).toMatch(want.message);
    got.message = want.message;
  }
  return got;
}

const cases: Case[] = [
  {
    reason: "every instance in scope is desired: Ready",
    listed: [instance("cache-1"), instance("other-9")],
    want: { kind: "Ready", reason: Reason.Converged },
  },
  {
    reason: "an instance outside the selector is never a target",
    set: { instances: ["cache-1"], selector: { namePrefix: "cache-", tags: { team: "checkout" } } },
    listed: [
      instance("cache-1", { tags: { team: "checkout" } }),
      instance("cache-2", { tags: { team: "search" } }),
      instance("other-3", { tags: { team: "checkout" } }),
      instance("cache-4", { tags: { team: "checkout" } }),
    ],
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-4"], approval: undefined },
  },
  {
    reason: "a desired name no instance has (a typo would delete the one meant): nothing is deleted",
    set: { instances: ["cache-01"] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Stall", reason: Reason.DesiredInstanceMissing, message: /cache-01/ },
  },
  {
    reason: "kept by id: the instance whose id is in spec.instances is not deleted",
    set: { instances: ["cache-1", "id-cache-2"] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Ready", reason: Reason.Converged },
  },
  {
    reason: "kept by id while another of the same name goes: ids tell them apart",
    set: { instances: ["cache-1", "id-a"] },
    listed: [instance("cache-1"), instance("cache-2", { id: "id-a" }), instance("cache-2", { id: "id-b" })],
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-2"] },
  },
  {
    reason: "an instance also in another set's scope is never touched: OwnershipConflict",
    listed: [instance("cache-1"), instance("cache-2")],
    peers: { "cache-2": ["prod/cache-b"] },
    want: { kind: "Stall", reason: Reason.OwnershipConflict, message: /cache-2.*prod\/cache-b/ },
  },
  {
    reason: "contested instances stay out of the targets while the others go",
    set: { policy: { approvalThreshold: 10 } },
    listed: [instance("cache-1"), instance("cache-2"), instance("cache-3")],
    peers: { "cache-2": ["prod/cache-b"] },
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      targets: ["cache-3"],
      message: /never touched/,
    },
  },
  {
    reason: "one instance to delete within the limits: DeleteInstances",
    listed: [instance("cache-1"), instance("cache-2"), instance("cache-3")],
    set: { instances: ["cache-1", "cache-3"] },
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-2"], approval: undefined },
  },
  {
    reason: "dry run: what would be deleted, nothing sent",
    set: { instances: ["cache-1", "cache-3"], policy: { dryRun: true } },
    listed: [instance("cache-1"), instance("cache-2"), instance("cache-3")],
    want: { kind: "DryRun", reason: Reason.DryRun, targets: ["cache-2"] },
  },
  {
    reason: "an instance being deleted by DCS is waited for",
    listed: [instance("cache-1"), instance("cache-2", { status: "DELETING" })],
    want: { kind: "Wait", reason: Reason.WaitingForDeletion },
  },
  {
    reason: "an instance mid-task (busy) is waited for, not deleted",
    listed: [instance("cache-1"), instance("cache-2", { busy: true })],
    want: { kind: "Wait", reason: Reason.WaitingForDeletion },
  },
  {
    reason:
      "DCS's reply shows none of task, task_status, service_task_id: busy-ness unknown, a person is asked, nothing sent",
    listed: [instance("cache-1"), fromReply("cache-2", {})],
    want: { kind: "Stall", reason: Reason.DeletionNeedsHuman, message: /cache-2.*none of task/ },
  },
  {
    reason: "busy-ness unknown for one, idle others still go: only the shown-idle one is a target",
    set: { policy: { approvalThreshold: 10 } },
    listed: [
      instance("cache-1"),
      fromReply("cache-2", {}),
      fromReply("cache-3", { task_status: null, service_task_id: "" }),
    ],
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      targets: ["cache-3"],
      message: /only a person can delete cache-2/,
    },
  },
  {
    reason: "a reply carrying only task: null shows the instance idle: it goes",
    listed: [instance("cache-1"), fromReply("cache-2", { task: null })],
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-2"] },
  },
  {
    reason: "accepted deletion still listed RUNNING (DCS is slow): never sent again",
    status: { deletions: [record("cache-2", { requestedAt: ago(ACCEPTED_GONE_TIMEOUT_MS - 1000) })] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Wait", reason: Reason.WaitingForDeletion },
  },
  {
    reason:
      "accepted deletion still listed after ACCEPTED_GONE_TIMEOUT_MS: a person is asked, nothing re-sent",
    status: { deletions: [record("cache-2", { requestedAt: ago(ACCEPTED_GONE_TIMEOUT_MS + 60_000) })] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Stall", reason: Reason.DeletionNeedsHuman, message: /cache-2.*accepted 16 min ago/ },
  },
  {
    reason: "lost reply, instance still listed within PENDING_RESOLVE_MS: it may yet go, wait",
    status: {
      deletions: [record("cache-2", { result: "pending", requestedAt: ago(PENDING_RESOLVE_MS - 1000) })],
    },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Wait", reason: Reason.WaitingForDeletion },
  },
  {
    reason: "lost reply, instance still listed after PENDING_RESOLVE_MS: the delete did not take, retried",
    status: {
      deletions: [record("cache-2", { result: "pending", requestedAt: ago(PENDING_RESOLVE_MS + 1000) })],
    },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-2"] },
  },
  {
    reason: "a refused deletion backs off before it is sent again",
    status: { deletions: [record("cache-2", { result: "failed", requestedAt: ago(10_000) })] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Wait", reason: Reason.WaitingForDeletion, message: /backing off/ },
  },
  {
    reason: "a refused deletion is sent again after its backoff",
    status: { deletions: [record("cache-2", { result: "failed", requestedAt: ago(31_000) })] },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "DeleteInstances", reason: Reason.Deleting, targets: ["cache-2"] },
  },
  {
    reason: "refused MAX_DELETE_ATTEMPTS times: a person is asked",
    status: {
      deletions: [
        record("cache-2", {
          result: "failed",
          attempts: MAX_DELETE_ATTEMPTS,
          requestedAt: ago(3_600_000),
          lastError: "DCS.4801",
        }),
      ],
    },
    listed: [instance("cache-1"), instance("cache-2")],
    want: { kind: "Stall", reason: Reason.DeletionNeedsHuman, message: /refused 3 times \(DCS.4801\)/ },
  },
  {
    reason: "frozen and nothing else to do: DeletionNeedsHuman",
    listed: [instance("cache-1"), instance("cache-2", { status: "FROZEN" })],
    want: { kind: "Stall", reason: Reason.DeletionNeedsHuman, message: /FROZEN/ },
  },
  {
    reason: "prepaid (yearly/monthly) and nothing else to do: DeletionNeedsHuman",
    listed: [instance("cache-1"), instance("cache-2", { prepaid: true })],
    want: { kind: "Stall", reason: Reason.DeletionNeedsHuman, message: /unsubscribe/ },
  },
  {
    reason: "frozen and prepaid instances are never targets while others go",
    set: { instances: ["cache-1", "cache-9"], policy: { approvalThreshold: 10 } },
    listed: [
      instance("cache-1"),
      instance("cache-2", { status: "FROZEN" }),
      instance("cache-3", { prepaid: true }),
      instance("cache-4"),
      instance("cache-9"),
    ],
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      targets: ["cache-4"],
      message: /only a person can delete cache-2/,
    },
  },
  {
    reason: "a frozen instance beside one being deleted: wait (the person is named in the message)",
    listed: [
      instance("cache-1"),
      instance("cache-2", { status: "FROZEN" }),
      instance("cache-3", { status: "DELETING" }),
    ],
    set: { policy: { approvalThreshold: 10 } },
    want: { kind: "Wait", reason: Reason.WaitingForDeletion, message: /only a person can delete cache-2/ },
  },
  {
    reason: "a large plan without the annotation waits for approval",
    ...large,
    want: { kind: "AwaitApproval", reason: Reason.ApprovalRequired, message: new RegExp(largeHash) },
  },
  {
    reason: "an approval for another plan's hash does not run this one",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: "fedcba9876543210" },
    want: { kind: "AwaitApproval", reason: Reason.ApprovalRequired },
  },
  {
    reason: "approved: the first operation's share goes and uses up the approval",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: largeHash },
    want: {
      kind: "DeleteInstances",
      reason: Reason.Deleting,
      targets: ["cache-2", "cache-3"],
      approval: largeHash,
    },
  },
  {
    reason: "approved but the approval was used once already: it does not run again",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: largeHash },
    status: { usedApprovals: [{ hash: largeHash, usedAt: ago(60_000) }] },
    want: { kind: "AwaitApproval", reason: Reason.ApprovalAlreadyUsed },
  },
];

describe("decideRedis", () => {
  it.each(cases)("$reason", (c) => {
    expect(project(decide(c), c.want)).toEqual(c.want);
  });

  it("covers every step kind decide can return", () => {
    const kinds = new Set(cases.map((c) => c.want.kind));
    for (const kind of ["Stall", "Ready", "Wait", "AwaitApproval", "DryRun", "DeleteInstances"])
      expect(kinds).toContain(kind);
  });

  it("an empty spec.instances without allowEmpty is refused by decide too (behind the schema)", () => {
    const set = redisSet();
    set.spec.instances = [];
    const step = decideRedis({
      set,
      status: undefined,
      observed: { projectId: set.spec.dcs?.projectId ?? "", instances: [instance("cache-1")] },
      fleet: { peersOf: () => [] },
      remote: {
        endpoint: set.spec.dcs?.endpoint ?? "",
        projectId: set.spec.dcs?.projectId ?? "",
        identity: `dcs|${set.spec.dcs?.projectId ?? ""}`,
      },
      id: identity({ name: "cache" }),
      now: NOW,
    });
    expect(step).toMatchObject({ kind: "Stall", reason: Reason.EmptyWithoutAllowEmpty });
  });

  it("more than 100 instances: one operation takes maxDeletionsPerOperation, sent in batches of 50", () => {
    const listed = [instance("cache-1"), ...many(250)];
    const step = decide({
      set: { policy: { maxDeletionsPerOperation: 120, approvalThreshold: 1000 } },
      listed,
    });
    if (step.kind !== "DeleteInstances") throw new Error(step.kind);
    expect(step.targets).toHaveLength(120);
    expect(new Set(step.targets.map((t) => t.id)).size).toBe(120);
    expect(step.targets.map((t) => t.name)).not.toContain("cache-1");
    expect(batches(step.targets).map((b) => b.length)).toEqual([BATCH_LIMIT, BATCH_LIMIT, 20]);
  });

  it("more than 100 instances with the default limit: approval first, then 10 per operation", () => {
    const listed = [instance("cache-1"), ...many(150)];
    const hash = hashOf({ listed });
    const step = decide({ listed, annotations: { [APPROVE_PLAN_ANNOTATION]: hash } });
    if (step.kind !== "DeleteInstances") throw new Error(step.kind);
    expect(step.targets).toHaveLength(10);
    expect(step.approval).toBe(hash);
  });

  it("the approval hash changes with the namespace, name, project and exact instance ids, not the endpoint", () => {
    const sameNamesOtherIds: Input = {
      ...large,
      listed: large.listed.map((i) => (i.name === "cache-1" ? i : { ...i, id: `${i.id}-new` })),
    };
    const variants = [
      largeHash,
      hashOf({ ...large, namespace: "staging" }),
      hashOf({ ...large, set: { ...large.set, name: "cache-2" } }),
      hashOf({ ...large, set: { ...large.set, projectId: "p2" } }),
      hashOf(sameNamesOtherIds),
    ];
    expect(new Set(variants).size).toBe(variants.length);
    expect(hashOf({ ...large, listed: [...large.listed].reverse() })).toBe(largeHash);
    // The same project through another endpoint is the same remote (issue 26).
    expect(hashOf({ ...large, set: { ...large.set, endpoint: "https://dcs.other.test" } })).toBe(largeHash);
    // Same names, other ids: an approval of the old instances does not delete the new ones.
    const step = decide({ ...sameNamesOtherIds, annotations: { [APPROVE_PLAN_ANNOTATION]: largeHash } });
    expect(step).toMatchObject({ kind: "AwaitApproval", reason: Reason.ApprovalRequired });
  });
});

describe("observedRedis: DCS's instance as the planner sees it", () => {
  const listed = (extra: Record<string, unknown>) =>
    dcsInstance.parse({ instance_id: "i1", name: "cache-1", status: "RUNNING", ...extra });
  it.each([
    {
      reason: "task null, task_status null, service_task_id empty: idle",
      extra: { task: null, task_status: null, service_task_id: "" },
      busy: false,
    },
    { reason: "a task object: mid-operation", extra: { task: { name: "restart" } }, busy: true },
    {
      reason: "no task field but a task_status (Huawei's batch-delete example): busy",
      extra: { task_status: "RUNNING" },
      busy: true,
    },
    { reason: "no task field but a service_task_id: busy", extra: { service_task_id: "st-1" }, busy: true },
    {
      reason: "task null but task_status set: busy",
      extra: { task: null, task_status: "EXTENDING" },
      busy: true,
    },
    {
      reason: "none of the three fields: not shown idle, so busy and flagged unknown",
      extra: {},
      busy: true,
      unknown: true,
    },
  ])("$reason", ({ extra, busy, unknown }) => {
    const seen = observedRedis(listed(extra));
    expect(seen.busy).toBe(busy);
    expect(seen.busyUnknown ?? false).toBe(unknown ?? false);
  });

  it("reads tags, and charging_mode 1 as prepaid", () => {
    expect(
      observedRedis(
        listed({
          charging_mode: 1,
          task_status: null,
          service_task_id: "",
          tags: [
            { key: "team", value: "checkout" },
            { key: "empty", value: null },
          ],
        }),
      ),
    ).toEqual({
      id: "i1",
      name: "cache-1",
      status: "RUNNING",
      tags: { team: "checkout", empty: "" },
      busy: false,
      prepaid: true,
    });
    expect(observedRedis(listed({ charging_mode: 0 })).prepaid).toBe(false);
  });
});
