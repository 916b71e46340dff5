// The status every set shares: phase, kstatus conditions and observedGeneration, computed from the step
// that was decided. Named transitions of each kind's own fields live beside its decide.
import type { Condition, RecordedRemote } from "../../api/common.js";
import type { Reason } from "../../api/reasons.js";
import { setCondition } from "../../controller/conditions.js";
import type { Phase } from "./step.js";

export interface Outcome {
  phase: Phase;
  reason: Reason;
  message: string;
}

export interface SharedStatus {
  phase?: string | undefined;
  observedGeneration?: number | undefined;
  conditions?: Condition[] | undefined;
  /** The remote the set's connection leads to, as identified (engine/set-reconciler.ts `withRemote`). */
  remote?: RecordedRemote | undefined;
}

/** Ready always present; Reconciling and Stalled only while True (kstatus reads a present False oddly). */
export function conditionsFor(
  current: readonly Condition[] | undefined,
  outcome: Outcome,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const { reason, message } = outcome;
  const is = (phase: Phase) => (outcome.phase === phase ? "True" : "False");
  let c = [...(current ?? [])];
  c = setCondition(c, { type: "Ready", status: is("Ready"), reason, message }, generation, now);
  c = setCondition(c, { type: "Reconciling", status: is("Reconciling"), reason, message }, generation, now);
  c = setCondition(c, { type: "Stalled", status: is("Stalled"), reason, message }, generation, now);
  return c;
}

/**
 * The outcome stamped on a status. `generation` is the one the decision was made for — not the stored
 * object's, which may be newer after a conflict: a status computed for an old spec must never claim the
 * new generation, or `kubectl wait --for=condition=Ready` would accept it.
 */
export function withOutcome<S extends SharedStatus>(
  status: S,
  outcome: Outcome,
  generation: number | undefined,
  now: Date,
): S {
  return {
    ...status,
    phase: outcome.phase,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: conditionsFor(status.conditions, outcome, generation, now),
  };
}

export { rfc3339 as timestamp } from "../../api/common.js";

/** Drops `undefined` members so a computed status compares equal to the stored one. */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
