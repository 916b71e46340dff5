// The RedisInstanceSet decision: pure. From the spec, the listing, the deletion records and the fleet, the
// one next step; the controller executes it and `plan` prints it (docs/architecture.md, "Steps").
import { durationMs } from "../../api/common.js";
import { Reason } from "../../api/reasons.js";
import type { RedisInstanceSet, RedisInstanceSetStatus } from "../../api/redis-instance-set.js";
import { targetHash } from "../approval.js";
import { approvalGate } from "../engine/approval-gate.js";
import type { DecideInput } from "../engine/kind.js";
import { type CommonStep, type StepBase, stall, wait } from "../engine/step.js";
import { type RedisObserved, resolveDeletions } from "./observe.js";
import { type ObservedRedis, planRedis } from "./plan.js";

export interface InstanceRef {
  id: string;
  name: string;
}

export type RedisStep =
  | CommonStep
  /** Re-read each victim, record the intent (pending records), then batch-delete. */
  | (StepBase & {
      kind: "DeleteInstances";
      reason: typeof Reason.Deleting;
      message: string;
      targets: InstanceRef[];
      /** The approval this operation uses up, when it needed one. */
      approval?: string;
    })
  /** What DCS answered, per instance. */
  | (StepBase & {
      kind: "DeletionsSent";
      reason: typeof Reason.DeletionRequested;
      message: string;
      results: { result: string; instance: string }[];
      /** Why the refused ones were refused, when DCS said (a 400 for the whole batch). */
      refusal?: string;
      /** DCS's error code for that refusal. */
      refusalCode?: string;
      requeueAfterMs: number;
    })
  /** The batch's reply was lost: the records stay pending until the listing tells. */
  | (StepBase & {
      kind: "OutcomeUnknown";
      reason: typeof Reason.DeleteOutcomeUnknown;
      message: string;
      requeueAfterMs: number;
    });

export interface RedisTiming {
  /** How soon to look again while deletions are in flight. */
  deletePollMs: number;
}

export const DEFAULT_REDIS_TIMING: RedisTiming = { deletePollMs: 5000 };

/** For each instance, the other sets (same endpoint and project) whose scope holds it too. */
export interface RedisFleet {
  peersOf(instance: ObservedRedis): string[];
}

type Input = DecideInput<RedisInstanceSet, RedisInstanceSetStatus, RedisObserved, RedisFleet>;

const names = (items: readonly { name: string }[], max = 20) =>
  `${items
    .slice(0, max)
    .map((i) => i.name)
    .join(", ")}${items.length > max ? `, ... (${items.length})` : ""}`;

export function decideRedis(input: Input, timing: RedisTiming = DEFAULT_REDIS_TIMING): RedisStep {
  const { set, observed, id, now, fleet } = input;
  const spec = set.spec;
  const deletions = resolveDeletions(input.status?.deletions, observed.instances, now);
  const plan = planRedis(spec, observed.instances, deletions, now, (i) => fleet.peersOf(i));
  const first = plan.blockers[0];
  if (first) return stall(first.reason, plan.blockers.map((b) => b.message).join("; "));
  const human =
    plan.needHuman.length > 0
      ? `only a person can delete ${plan.needHuman.map((h) => `${h.instance.name} (${h.instance.id}): ${h.why}`).join("; ")}`
      : undefined;
  const conflict =
    plan.contested.length > 0
      ? `${names(plan.contested.map((c) => c.instance))} also in scope of ${[...new Set(plan.contested.flatMap((c) => c.peers))].join(", ")}: never touched`
      : undefined;
  if (plan.converged) {
    if (conflict) return stall(Reason.OwnershipConflict, conflict);
    return {
      kind: "Ready",
      reason: Reason.Converged,
      message: `${plan.owned.length} instance(s) in scope, all desired`,
    };
  }
  const poll = Math.min(durationMs(spec.pollInterval), timing.deletePollMs);
  if (plan.next.length === 0 && plan.waiting.length === 0 && plan.backingOff.length === 0 && human)
    return stall(Reason.DeletionNeedsHuman, `${human}${conflict ? `; ${conflict}` : ""}`);
  if (plan.next.length === 0)
    return wait(
      Reason.WaitingForDeletion,
      `waiting for ${plan.waiting.length} instance(s) being deleted or busy${plan.backingOff.length ? `, ${plan.backingOff.length} backing off after a failed delete` : ""}${conflict ? `; ${conflict}` : ""}${human ? `; ${human}` : ""}`,
      poll,
    );
  // A dry run never deletes, so it never waits for an approval either: it shows the plan.
  if (spec.policy.dryRun)
    return {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would delete ${names(plan.next)}`,
      targets: plan.next.map((i) => i.name),
      event: { type: "Normal", reason: Reason.DryRun, message: `dry run: would delete ${names(plan.next)}` },
    };
  const request = {
    hash: targetHash({
      kind: "DeleteInstances",
      namespace: id.namespace,
      name: id.name,
      remote: input.remote.identity,
      scope: input.remote.projectId ?? "",
      targets: plan.toDelete.map((i) => i.id),
    }),
    summary: plan.approval.summary,
    targets: plan.toDelete.map((i) => i.name),
  };
  const gate = approvalGate(plan.approval.required, request, id, "ris", input.status?.usedApprovals);
  if (!gate.run) return gate.step;
  return {
    kind: "DeleteInstances",
    reason: Reason.Deleting,
    message: `deleting ${names(plan.next)}${conflict ? `; ${conflict}` : ""}${human ? `; ${human}` : ""}`,
    targets: plan.next.map((i) => ({ id: i.id, name: i.name })),
    ...(gate.consumes ? { approval: gate.consumes } : {}),
  };
}
