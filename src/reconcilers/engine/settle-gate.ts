// Plans must be stable before they run (issue 28): a plan that removes anything runs only once the same plan
// (same target hash) has been observed for spec.policy.settleTime, across at least two observations, counted
// from the first. A set applied a moment before a conflicting one, or corrected a moment later, never acts
// alone. The clock lives in status.pendingPlan, so a restart neither resets nor skips it.
import type { z } from "zod";
import type { pendingPlan } from "../../api/common.js";
import { Reason } from "../../api/reasons.js";
import type { CommonStep, PlannedTargets, StepBase } from "./step.js";

export type PendingPlan = z.infer<typeof pendingPlan>;

export type SettleGate =
  /** `pending`: the clock the run leaves in status (absent when the gate is off). */
  { run: true; pending?: PendingPlan } | { run: false; pending: PendingPlan; remainingMs: number };

/**
 * Whether the plan `planned` may run now, given the clock stored from earlier observations. Pure: the gate
 * of the controller and of `plan`.
 */
export function settleGate(
  stored: PendingPlan | undefined,
  planned: PlannedTargets,
  settleMs: number,
  now: Date,
): SettleGate {
  if (settleMs <= 0) return { run: true };
  const at = now.getTime();
  const first = stored?.hash === planned.hash ? Date.parse(stored.firstObservedAt) : Number.NaN;
  // A first observation in the future (another replica's clock, a clock set back) is not trusted: restarting
  // the clock can only delay a plan, never run it early.
  if (Number.isNaN(first) || first > at) {
    const pending = clock(planned, now, 1, at + settleMs);
    return { run: false, pending, remainingMs: settleMs };
  }
  const runsAt = first + settleMs;
  const pending = clock(planned, new Date(first), (stored?.observations ?? 0) + 1, runsAt);
  if (at >= runsAt) return { run: true, pending };
  return { run: false, pending, remainingMs: runsAt - at };
}

// Millisecond precision (not Kubernetes' whole seconds): truncating the first observation would run a plan
// up to a second early.
function clock(planned: PlannedTargets, first: Date, observations: number, runsAt: number): PendingPlan {
  return {
    hash: planned.hash,
    targets: [...planned.targets],
    firstObservedAt: first.toISOString(),
    observations,
    runsAt: new Date(runsAt).toISOString(),
  };
}

/** The destructive plan a step starts or asks approval for; RETRY, ROLLBACK and bookkeeping are no new plan. */
export function plannedBy(step: StepBase & { kind: string }): PlannedTargets | undefined {
  if (step.planned) return step.planned;
  if (step.kind === "AwaitApproval" && "approval" in step) {
    const { hash, targets } = (step as Extract<CommonStep, { kind: "AwaitApproval" }>).approval;
    return { hash, targets };
  }
  return undefined;
}

/**
 * The step a decision leads to once the settle gate has seen it: unchanged when it plans no removal, held
 * as a PlanSettling wait until its runsAt, or let through carrying the clock. Settling comes before
 * approval: a person is asked only about a plan that has settled, and the approval names the same hash.
 */
export function settled<T extends StepBase & { kind: string }>(
  step: T,
  stored: PendingPlan | undefined,
  settleMs: number,
  now: Date,
): T | CommonStep {
  const planned = plannedBy(step);
  if (!planned) return step;
  const gate = settleGate(stored, planned, settleMs, now);
  if (gate.run) return gate.pending ? { ...step, pendingPlan: gate.pending } : step;
  const { pending } = gate;
  const approval = step.kind === "AwaitApproval" && "approval" in step;
  const what = approval ? "asks for approval" : "runs";
  // Of a plan that will need approval, the summary only: how to approve is said once it has settled.
  const summary = approval
    ? (step as Extract<CommonStep, { kind: "AwaitApproval" }>).approval.summary
    : step.message;
  const message = `${summary}; ${what} after settle time ${seconds(settleMs)} at ${pending.runsAt} if the plan is still the same (plan ${pending.hash}, first observed ${pending.firstObservedAt}, observed ${pending.observations} time(s)); any change restarts the clock`;
  return {
    kind: "Wait",
    reason: Reason.PlanSettling,
    message,
    requeueAfterMs: gate.remainingMs,
    pendingPlan: pending,
    settling: { held: step },
    event: {
      type: "Normal",
      reason: Reason.PlanSettling,
      message: `plan ${pending.hash} (${pending.targets.join(", ")}) ${what} at ${pending.runsAt} if still the same`,
    },
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** status.pendingPlan after a step: the clock the step carries, or none (anything else restarts it). */
export function withPendingPlan<S extends { pendingPlan?: PendingPlan | undefined }>(
  s: S,
  step: { pendingPlan?: PendingPlan | undefined },
): S {
  if (step.pendingPlan) return { ...s, pendingPlan: step.pendingPlan };
  const { pendingPlan: _, ...rest } = s;
  return rest as S;
}
