// Fleet change budgets (issue 26), as the operator and `plan` read them: the FleetDisruptionBudgets, and
// the disruptions every set of every kind recorded in its status, read through the fleet's caches.
// Decisions that spend budget are serialised, from the last check to the intent written, and a set's
// own last write is remembered until the cache shows it, so two sets never both take the last unit.
import type { KubeObject } from "../controller/resource.js";
import {
  admit,
  applies,
  type BudgetPolicy,
  type BudgetUsage,
  type BudgetVerdict,
  budgetPolicyOf,
  budgetUsage,
  type DisruptionRequest,
  type RecordedDisruption,
} from "./budget.js";
import { disruptionsOf } from "./engine/disruptions.js";
import { keyOf } from "./fleet-view.js";

export interface BudgetSources {
  /** The FleetDisruptionBudget objects (unparsed: one that does not parse admits nothing). */
  budgets(): Iterable<unknown>;
  /** Every set of every kind, with its status. */
  sets(): Iterable<KubeObject>;
}

/** What the engine asks at the decision point (src/reconcilers/engine/set-reconciler.ts). */
export interface DisruptionBudgets {
  /** Whether the plan fits every budget now. */
  admit(request: DisruptionRequest, now: Date): BudgetVerdict;
  /** Whether any budget limits this request (an invalid one limits all): only then are decisions serialised. */
  limits(request: DisruptionRequest): boolean;
  /** Runs `decide` (the last check and the intent's write) alone among decisions that spend budget. */
  exclusive<T>(decide: () => Promise<T>): Promise<T>;
  /** A set's status as this process just wrote it: counted until the cache shows that write. */
  written(object: KubeObject): void;
}

interface Written {
  resourceVersion: string | undefined;
  namespace: string;
  disruptions: ReturnType<typeof disruptionsOf>;
}

export class FleetBudgets implements DisruptionBudgets {
  private readonly mine = new Map<string, Written>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly sources: BudgetSources) {}

  policies(): BudgetPolicy[] {
    return [...this.sources.budgets()].map(budgetPolicyOf);
  }

  /** Every recorded disruption of the fleet: the cache's, or this process's later write of a set. */
  recorded(): RecordedDisruption[] {
    const out: RecordedDisruption[] = [];
    const seen = new Set<string>();
    for (const set of this.sources.sets()) {
      const key = `${set.kind}/${keyOf(set)}`;
      seen.add(key);
      const namespace = set.metadata.namespace ?? "default";
      const written = this.mine.get(key);
      // Only the leader writes a set's status: its own last write is the newest, until the cache has it.
      if (written && written.resourceVersion === set.metadata.resourceVersion) this.mine.delete(key);
      const list = written && this.mine.has(key) ? written.disruptions : disruptionsOf(set.status);
      for (const d of list) out.push({ ...d, namespace });
    }
    // A set deleted after it started work: what it started still counts here, until this process restarts.
    for (const [key, w] of this.mine)
      if (!seen.has(key)) for (const d of w.disruptions) out.push({ ...d, namespace: w.namespace });
    return out;
  }

  admit(request: DisruptionRequest, now: Date): BudgetVerdict {
    const policies = this.policies();
    if (policies.length === 0) return { ok: true };
    return admit(policies, request, this.recorded(), now);
  }

  limits(request: DisruptionRequest): boolean {
    return this.policies().some(
      (p) =>
        p.invalid !== undefined || (p.limits[request.unit] !== undefined && applies(p, request.namespace)),
    );
  }

  usage(now: Date): BudgetUsage[] {
    const policies = this.policies();
    return policies.length === 0 ? [] : budgetUsage(policies, this.recorded(), now);
  }

  exclusive<T>(decide: () => Promise<T>): Promise<T> {
    const run = this.queue.then(decide, decide);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A fresh (quorum) list of the sets, read when this replica starts to lead: what the previous leader wrote
   * last counts even if this replica's watch has not delivered it yet (a cut watch, a lagging cache).
   */
  seed(objects: Iterable<KubeObject>): void {
    for (const object of objects) this.written(object);
  }

  written(object: KubeObject): void {
    const disruptions = disruptionsOf(object.status);
    const key = `${object.kind}/${keyOf(object)}`;
    if (disruptions.length === 0 && !this.mine.has(key)) return;
    this.mine.set(key, {
      resourceVersion: object.metadata.resourceVersion,
      namespace: object.metadata.namespace ?? "default",
      disruptions,
    });
  }
}
