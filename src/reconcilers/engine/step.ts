// The decision as data: what a reconcile does next. Each kind's `decide` returns one of these; the
// generic reconciler executes it and `dbfleet-operator plan` prints it (docs/architecture.md, "Steps").
import type { Reason } from "../../api/reasons.js";
import type { EventType } from "../../controller/events.js";
import type { PendingPlan } from "./settle-gate.js";

export type Phase = "Ready" | "Reconciling" | "Stalled" | "Paused" | "DryRun";

export interface StepEvent {
  type: EventType;
  reason: Reason;
  message: string;
}

/** What every step carries. */
export interface StepBase {
  reason: Reason;
  message: string;
  /** Look again after this long (a poll of work in flight); absent: the set's pollInterval. */
  requeueAfterMs?: number;
  /** Overrides the kind's phase (a refused operation that needs a human is Stalled). */
  phase?: Phase;
  /** An event worth recording besides the condition (every Stall raises a Warning anyway). */
  event?: StepEvent;
  /** The destructive plan this step starts or asks approval for: held until it has settled (settle-gate.ts). */
  planned?: PlannedTargets;
  /** The settle clock this step leaves in status.pendingPlan; absent: the clock is cleared. */
  pendingPlan?: PendingPlan;
}

/** A destructive plan as the settle gate and approvals know it: its target hash and what it removes. */
export interface PlannedTargets {
  hash: string;
  targets: string[];
}

/** What a plan would delete, waiting for the dbfleet.io/approve-plan annotation. */
export interface ApprovalRequest {
  hash: string;
  summary: string;
  targets: string[];
}

/** Steps both kinds share. */
export type CommonStep =
  /** Needs a human: a safety guard, a failure that will not heal, bad input. */
  | (StepBase & { kind: "Stall" })
  /** The remote matches the spec. */
  | (StepBase & { kind: "Ready" })
  /** Work in flight elsewhere (a DAG, deletions): look again later. */
  | (StepBase & { kind: "Wait"; requeueAfterMs: number; settling?: Settling })
  | (StepBase & { kind: "AwaitApproval"; approval: ApprovalRequest })
  | (StepBase & { kind: "DryRun"; targets: string[] })
  | (StepBase & { kind: "Paused" });

/** A destructive step held by the settle gate (reason PlanSettling): what it would do once settled. */
export interface Settling {
  held: StepBase & { kind: string };
}

export type CommonStepKind = CommonStep["kind"];

const COMMON_PHASE: Record<CommonStepKind, Phase> = {
  Stall: "Stalled",
  Ready: "Ready",
  Wait: "Reconciling",
  AwaitApproval: "Stalled",
  DryRun: "DryRun",
  Paused: "Paused",
};

/** The phase a step leaves the set in: every kind-specific step (an operation) is Reconciling. */
export function phaseOf(step: { kind: string; phase?: Phase | undefined }): Phase {
  return step.phase ?? COMMON_PHASE[step.kind as CommonStepKind] ?? "Reconciling";
}

export function stall(reason: Reason, message: string): CommonStep {
  return { kind: "Stall", reason, message };
}

export function wait(reason: Reason, message: string, requeueAfterMs: number): CommonStep {
  return { kind: "Wait", reason, message, requeueAfterMs };
}
