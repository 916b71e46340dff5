// Named status transitions of a RedisInstanceSet, composed by `recordRedis` for each step.
import type {
  DeletionRecord,
  RedisInstanceSet,
  RedisInstanceSetStatus,
} from "../../api/redis-instance-set.js";
import { awaitApproval, clearApproval, keepUsedApprovals, useApproval } from "../engine/approval-gate.js";
import type { RecordContext } from "../engine/kind.js";
import { timestamp } from "../engine/status.js";
import type { InstanceRef, RedisStep } from "./decide.js";
import { type RedisObserved, resolveDeletions } from "./observe.js";
import { inScope } from "./plan.js";

type Status = RedisInstanceSetStatus;
/** status.instances lists at most this many (observedCount has the number). */
const INSTANCES_SHOWN = 500;

/** What the listing showed of the set's scope, and its deletion records resolved against it. */
export function withObservation(
  s: Status,
  observed: RedisObserved | undefined,
  set: RedisInstanceSet | undefined,
  now: Date,
): Status {
  if (!observed || !set) return s;
  const owned = observed.instances.filter((i) => inScope(set.spec.selector, i));
  const missing = set.spec.instances.filter((k) => !owned.some((i) => i.name === k || i.id === k));
  return {
    ...s,
    ...(observed.projectId ? { projectId: observed.projectId } : {}),
    instances: owned.slice(0, INSTANCES_SHOWN).map((i) => ({ id: i.id, name: i.name, status: i.status })),
    observedCount: owned.length,
    deletions: resolveDeletions(s.deletions, observed.instances, now),
    missing: missing.length > 0 ? missing : undefined,
  };
}

/** The intent: a pending record per victim, written before the batch is sent. */
export function recordDeletions(s: Status, targets: readonly InstanceRef[], now: Date): Status {
  const requestedAt = timestamp(now);
  const records = new Map((s.deletions ?? []).map((d) => [d.id, d]));
  for (const t of targets) {
    const previous = records.get(t.id);
    records.set(t.id, {
      id: t.id,
      name: t.name,
      requestedAt,
      result: "pending",
      attempts: (previous?.attempts ?? 0) + 1,
    });
  }
  return { ...s, deletions: [...records.values()] };
}

/** DCS's answer per instance, and the batch's results[] verbatim. */
export function recordResults(
  s: Status,
  results: readonly { result: string; instance: string }[],
  refusal: string | undefined,
  refusalCode?: string,
): Status {
  const byId = new Map(results.map((r) => [r.instance, r.result]));
  let requestedAt: string | undefined;
  const deletions = (s.deletions ?? []).map((d): DeletionRecord => {
    const result = byId.get(d.id);
    if (result === undefined || d.result !== "pending") return d;
    requestedAt ??= d.requestedAt;
    if (result === "success") return { ...d, result: "success" };
    return {
      ...d,
      result: "failed",
      lastError: refusal ?? "DCS answered failed (it gives no reason); retried with backoff",
      ...(refusalCode ? { lastErrorCode: refusalCode } : {}),
    };
  });
  return {
    ...s,
    deletions,
    lastBatch: {
      requestedAt: requestedAt ?? s.lastBatch?.requestedAt ?? new Date(0).toISOString(),
      results: [...results],
    },
  };
}

/**
 * `ctx.observed` settles pending deletions, so it must be a listing taken after any call being recorded: the
 * engine passes none with the step a call returned (a slower reply would otherwise be judged as lost).
 */
export function recordRedis(
  status: Status,
  step: RedisStep,
  ctx: RecordContext<RedisObserved, RedisInstanceSet>,
): Status {
  let s = withObservation(status, ctx.observed, ctx.set, ctx.now);
  s = { ...s, usedApprovals: keepUsedApprovals(s.usedApprovals, ctx.id) };
  s = step.kind === "AwaitApproval" ? awaitApproval(s, step.approval) : clearApproval(s);
  switch (step.kind) {
    case "DeleteInstances":
      s = recordDeletions(s, step.targets, ctx.now);
      return step.approval
        ? { ...s, usedApprovals: useApproval(s.usedApprovals, step.approval, timestamp(ctx.now)) }
        : s;
    case "DeletionsSent":
      return recordResults(s, step.results, step.refusal, step.refusalCode);
    default:
      return s;
  }
}

export { awaitApproval, clearApproval };
