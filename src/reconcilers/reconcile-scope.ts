// What every reconcile of a set starts with, and the logger bound to it. One reconciler serves several
// workers at once, so the per-reconcile logger lives in AsyncLocalStorage, not on the instance.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "pino";
import type { z } from "zod";
import { PAUSED_ANNOTATION } from "../api/group.js";
import { describeIssues } from "../api/parse.js";
import type { KubeObject } from "../controller/resource.js";
import type { Outcome } from "./outcome.js";

export class ReconcileLog {
  private readonly store = new AsyncLocalStorage<Logger>();
  constructor(private readonly fallback: Logger) {}

  /** The logger of the reconcile this code runs in. */
  get current(): Logger {
    return this.store.getStore() ?? this.fallback;
  }

  run<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
    return this.store.run(log, fn);
  }
}

/**
 * The parsed set, or undefined when there is nothing to do: gone, being deleted (deleting a set never
 * deletes anything remote), invalid (Stalled, InvalidSpec) or paused (spec or annotation).
 */
export async function openSet<S extends z.ZodType<{ spec: { paused: boolean } }>>(
  object: KubeObject | undefined,
  schema: S,
  kind: string,
  save: (object: KubeObject, outcome: Outcome) => Promise<unknown>,
): Promise<z.output<S> | undefined> {
  if (!object || object.metadata.deletionTimestamp) return undefined;
  const parsed = schema.safeParse(object);
  if (!parsed.success) {
    await save(object, {
      phase: "Stalled",
      reason: "InvalidSpec",
      message: `invalid ${kind}: ${describeIssues(parsed.error)}`,
    });
    return undefined;
  }
  if (parsed.data.spec.paused || object.metadata.annotations?.[PAUSED_ANNOTATION] === "true") {
    await save(object, { phase: "Paused", reason: "Paused", message: "paused: no remote call is made" });
    return undefined;
  }
  return parsed.data;
}
