// kstatus conditions (docs/architecture.md "Status"), set in one place.
import { type Condition, type ConditionType, rfc3339 } from "../api/common.js";

export interface ConditionInput {
  type: ConditionType;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/**
 * The conditions after setting `input`: lastTransitionTime moves only when the status moves.
 * Reconciling and Stalled are removed rather than stored as False (kstatus reads a present False oddly).
 */
export function setCondition(
  current: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(current ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  if (input.type !== "Ready" && input.status === "False") {
    if (index >= 0) list.splice(index, 1);
    return list;
  }
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime:
      previous && previous.status === input.status ? previous.lastTransitionTime : rfc3339(now),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function removeCondition(current: readonly Condition[] | undefined, type: ConditionType): Condition[] {
  return (current ?? []).filter((c) => c.type !== type);
}

export function getCondition(
  current: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return current?.find((c) => c.type === type);
}
