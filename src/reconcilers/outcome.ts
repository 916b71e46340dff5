// One place that turns a reconcile's outcome into kstatus conditions and a phase.
import type { z } from "zod";
import type { Condition } from "../api/common.js";
import { setCondition } from "../controller/conditions.js";
import type { KubeObject, ResourceType } from "../controller/resource.js";
import type { StatusWriter } from "../controller/status-writer.js";

export interface Outcome {
  phase: "Ready" | "Reconciling" | "Stalled" | "Paused" | "DryRun";
  reason: string;
  message: string;
}

export function conditionsFor(
  current: readonly Condition[] | undefined,
  outcome: Outcome,
  generation: number | undefined,
  now: Date,
): Condition[] {
  let c = [...(current ?? [])];
  const { reason, message } = outcome;
  const ready = outcome.phase === "Ready";
  c = setCondition(c, { type: "Ready", status: ready ? "True" : "False", reason, message }, generation, now);
  c = setCondition(
    c,
    { type: "Reconciling", status: outcome.phase === "Reconciling" ? "True" : "False", reason, message },
    generation,
    now,
  );
  c = setCondition(
    c,
    { type: "Stalled", status: outcome.phase === "Stalled" ? "True" : "False", reason, message },
    generation,
    now,
  );
  return c;
}

/** Seconds-precision RFC 3339, as Kubernetes writes times. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface StatusShape {
  phase?: string | undefined;
  observedGeneration?: number | undefined;
  conditions?: Condition[] | undefined;
}

/**
 * Writes the status computed from the stored one: `edit` first, then the outcome's phase, conditions
 * and observedGeneration. A stored status that no longer parses starts from empty.
 */
export function saveStatus<S extends StatusShape>(
  writer: StatusWriter,
  type: ResourceType,
  schema: z.ZodType<S>,
  object: KubeObject,
  outcome: Outcome | undefined,
  edit: (s: S) => S,
  now: Date,
): Promise<KubeObject> {
  return writer.update(type, object, (current) => {
    const parsed = schema.safeParse(current.status ?? {});
    let next = edit(parsed.success ? parsed.data : ({} as S));
    if (outcome) {
      const generation = current.metadata.generation;
      next = {
        ...next,
        phase: outcome.phase,
        ...(generation === undefined ? {} : { observedGeneration: generation }),
        conditions: conditionsFor(next.conditions, outcome, generation, now),
      };
    }
    return JSON.parse(JSON.stringify(next)) as S;
  });
}
