// The RedisInstanceSet planner: pure, shared by the controller and `dbfleet-operator plan`.
import type { DeletionRecord, RedisInstanceSetSpec } from "../api/redis-instance-set.js";
import { inScope } from "../fleet/scope.js";
import { needsApproval, planHash } from "./approval.js";

// The scope predicate lives in src/fleet/scope.ts (shared with the ownership index); re-exported here.
export { inScope };

export interface ObservedRedis {
  id: string;
  name: string;
  status: string;
  tags: Record<string, string>;
  /** DCS's `task`: an operation in progress. */
  busy: boolean;
}

/** The batch limit of the DCS API documentation. */
export const BATCH_LIMIT = 50;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 600_000;
/** States in which a delete cannot succeed now: wait, do not send. */
const WAIT_STATES = new Set([
  "CREATING",
  "RESTARTING",
  "EXTENDING",
  "RESTORING",
  "FLUSHING",
  "MIGRATING",
  "UPGRADING",
  "DELETING",
]);

export interface RedisPlan {
  owned: ObservedRedis[];
  /** Owned, not desired: everything that would go. */
  toDelete: ObservedRedis[];
  /** What the next operation sends, in batches of at most 50. */
  batches: ObservedRedis[][];
  /** Being deleted, or in a state that cannot be deleted now: waited for. */
  waiting: ObservedRedis[];
  /** Failed before; retried after their backoff. */
  backingOff: ObservedRedis[];
  missing: string[];
  blockers: { reason: "DesiredInstanceMissing" | "EmptyWithoutAllowEmpty"; message: string }[];
  approval: { required: boolean; hash: string; summary: string };
  converged: boolean;
}

export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

export function planRedis(
  spec: RedisInstanceSetSpec,
  observed: readonly ObservedRedis[],
  deletions: readonly DeletionRecord[],
  now: Date,
): RedisPlan {
  const owned = observed.filter((i) => inScope(spec.selector, i));
  const keep = new Set(spec.instances);
  const toDelete = owned
    .filter((i) => !keep.has(i.name) && !keep.has(i.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  const missing = spec.instances.filter((k) => !owned.some((i) => i.name === k || i.id === k));
  const blockers: RedisPlan["blockers"] = [];
  if (missing.length > 0)
    blockers.push({
      reason: "DesiredInstanceMissing",
      message: `spec.instances names ${missing.join(", ")}, which no instance in scope has: nothing is deleted until the list is right (a typo would delete the instance meant)`,
    });
  if (spec.instances.length === 0 && !spec.policy.allowEmpty)
    blockers.push({
      reason: "EmptyWithoutAllowEmpty",
      message: "spec.instances is empty: set policy.allowEmpty to delete everything in scope",
    });

  const record = new Map(deletions.map((d) => [d.id, d]));
  const waiting: ObservedRedis[] = [];
  const backingOff: ObservedRedis[] = [];
  const ready: ObservedRedis[] = [];
  for (const i of toDelete) {
    const r = record.get(i.id);
    if (WAIT_STATES.has(i.status) || i.busy) waiting.push(i);
    else if (r?.result === "failed" && now.getTime() - Date.parse(r.requestedAt) < retryDelayMs(r.attempts))
      backingOff.push(i);
    else ready.push(i);
  }
  const next = ready.slice(0, spec.policy.maxDeletionsPerOperation);
  const batches: ObservedRedis[][] = [];
  for (let i = 0; i < next.length; i += BATCH_LIMIT) batches.push(next.slice(i, i + BATCH_LIMIT));
  const required = needsApproval(
    toDelete.length,
    owned.length,
    spec.policy.maxDeletionsPerOperation,
    spec.policy.approvalThreshold,
  );
  return {
    owned,
    toDelete,
    batches,
    waiting,
    backingOff,
    missing,
    blockers,
    approval: {
      required,
      hash: planHash(
        "DeleteInstances",
        toDelete.map((i) => i.id),
      ),
      summary: `delete ${toDelete.length} of ${owned.length} instance(s) in scope: ${toDelete
        .slice(0, 20)
        .map((i) => i.name)
        .join(", ")}${toDelete.length > 20 ? ", ..." : ""}`,
    },
    converged: toDelete.length === 0 && blockers.length === 0,
  };
}
