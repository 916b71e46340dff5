// The RedisInstanceSet planner: pure. Which instances the set owns, which would go, which can go now.
import type { DeletionRecord, RedisInstanceSetSpec } from "../../api/redis-instance-set.js";
import { HUMAN_ERRORS, needsHuman } from "../../providers/dcs/human-errors.js";
import { MAX_BATCH_DELETE } from "../../providers/dcs/limits.js";
import { needsApproval } from "../approval.js";

export interface ObservedRedis {
  id: string;
  name: string;
  status: string;
  tags: Record<string, string>;
  /** Mid-operation per DCS (`task`, `task_status`, `service_task_id`), or not shown idle: never deleted now. */
  busy: boolean;
  /** DCS's reply carried none of the three busy fields: whether an operation runs cannot be told. */
  busyUnknown?: boolean;
  /** DCS `charging_mode` 1: yearly/monthly, deleted only by unsubscribing. */
  prepaid: boolean;
}

/** A DELETE carries at most DCS's batch limit. */
export const BATCH_LIMIT = MAX_BATCH_DELETE;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 600_000;
/** A deletion refused this often needs a person, not another try. */
export const MAX_DELETE_ATTEMPTS = 3;
/**
 * DCS may keep listing an accepted instance, status unchanged, for a while (specs: "Assumed"). An accepted
 * deletion is never sent again; after this long without the instance leaving, a person is asked.
 */
export const ACCEPTED_GONE_TIMEOUT_MS = 15 * 60_000;
/** A delete whose reply was lost: until this long has passed, an instance still listed may yet go. */
export const PENDING_RESOLVE_MS = 2 * 60_000;

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
  "PAYING",
]);
/** Why an instance whose busy-ness DCS's reply does not show is left to a person. */
export const BUSY_UNKNOWN =
  "DCS's reply carries none of task, task_status, service_task_id, so whether an operation runs on it cannot be told; delete it in the console, or keep it in spec.instances";
/** States only a person can leave (specs: "CREATEFAILED, ERROR and FROZEN are states that need a human"). */
const HUMAN_STATES = new Set(["FROZEN", "FREEZING", "CREATEFAILED", "ERROR"]);

/** Whether an instance is inside a selector: the one scope rule. */
export function inScope(
  selector: RedisInstanceSetSpec["selector"],
  instance: Pick<ObservedRedis, "name" | "tags">,
): boolean {
  if (selector.namePrefix === undefined && selector.tags === undefined) return false;
  if (selector.namePrefix !== undefined && !instance.name.startsWith(selector.namePrefix)) return false;
  for (const [key, value] of Object.entries(selector.tags ?? {}))
    if (instance.tags[key] !== value) return false;
  return true;
}

/** Why an instance cannot be deleted now, by its own state: undefined when it can. The one rule for the planner and the re-read. */
export function notDeletableNow(
  i: Pick<ObservedRedis, "status" | "busy" | "busyUnknown" | "prepaid">,
): "human" | "wait" | undefined {
  if (HUMAN_STATES.has(i.status) || i.prepaid || i.busyUnknown) return "human";
  if (WAIT_STATES.has(i.status) || i.busy) return "wait";
  return undefined;
}

/** Whether spec.instances keeps an instance: by name or by id. The one rule for "kept". */
export function isKept(
  spec: Pick<RedisInstanceSetSpec, "instances">,
  instance: Pick<ObservedRedis, "id" | "name">,
): boolean {
  return spec.instances.includes(instance.name) || spec.instances.includes(instance.id);
}

export interface RedisPlan {
  owned: ObservedRedis[];
  /** Owned, not desired, not contested: everything that would go. */
  toDelete: ObservedRedis[];
  /** What the next operation sends (at most policy.maxDeletionsPerOperation). */
  next: ObservedRedis[];
  /** Being deleted, accepted, or in a state that cannot be deleted now: waited for. */
  waiting: ObservedRedis[];
  /** Failed before; retried after their backoff. */
  backingOff: ObservedRedis[];
  /** Would go, but only a person can make them go (frozen, prepaid, refused too often, accepted and stuck). */
  needHuman: { instance: ObservedRedis; why: string }[];
  /** In scope of another set too: never touched. */
  contested: { instance: ObservedRedis; peers: string[] }[];
  missing: string[];
  blockers: { reason: "DesiredInstanceMissing" | "EmptyWithoutAllowEmpty"; message: string }[];
  approval: { required: boolean; summary: string };
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
  peersOf: (instance: ObservedRedis) => string[] = () => [],
): RedisPlan {
  const owned = observed.filter((i) => inScope(spec.selector, i));
  const contested: RedisPlan["contested"] = [];
  const candidates: ObservedRedis[] = [];
  for (const i of owned) {
    // Contested whether kept or not: every set involved reports the conflict.
    const peers = peersOf(i);
    if (peers.length > 0) contested.push({ instance: i, peers });
    else if (!isKept(spec, i)) candidates.push(i);
  }
  const toDelete = candidates.sort((a, b) => a.name.localeCompare(b.name));
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
  const needHuman: RedisPlan["needHuman"] = [];
  const ready: ObservedRedis[] = [];
  for (const i of toDelete) {
    const r = record.get(i.id);
    const since = r ? now.getTime() - Date.parse(r.requestedAt) : 0;
    if (r?.result === "success" || r?.result === "pending") {
      // Accepted (or maybe accepted): never sent again while it may still go.
      if (r.result === "success" && since > ACCEPTED_GONE_TIMEOUT_MS)
        needHuman.push({
          instance: i,
          why: `accepted ${Math.round(since / 60_000)} min ago and still listed (${i.status})`,
        });
      else waiting.push(i);
    } else if (HUMAN_STATES.has(i.status)) needHuman.push({ instance: i, why: `status ${i.status}` });
    else if (i.prepaid) needHuman.push({ instance: i, why: "yearly/monthly: unsubscribe it in the console" });
    // Not a wait: a reply shape without these fields does not heal by itself, and the set must say why.
    else if (i.busyUnknown) needHuman.push({ instance: i, why: BUSY_UNKNOWN });
    else if (r?.result === "failed" && needsHuman(r.lastErrorCode))
      needHuman.push({
        instance: i,
        // Looked up as needsHuman matched it (trimmed): a padded code still names what a person must do.
        why: `refused with ${r.lastErrorCode}: ${HUMAN_ERRORS[(r.lastErrorCode ?? "").trim()]?.action ?? "see the DCS error code"}`,
      });
    else if (r?.result === "failed" && r.attempts >= MAX_DELETE_ATTEMPTS)
      needHuman.push({
        instance: i,
        why: `refused ${r.attempts} times${r.lastError ? ` (${r.lastError})` : ""}`,
      });
    else if (WAIT_STATES.has(i.status) || i.busy) waiting.push(i);
    else if (r?.result === "failed" && since < retryDelayMs(r.attempts)) backingOff.push(i);
    else ready.push(i);
  }
  const next = ready.slice(0, spec.policy.maxDeletionsPerOperation);
  const required = needsApproval(
    toDelete.length,
    owned.length,
    spec.policy.maxDeletionsPerOperation,
    spec.policy.approvalThreshold,
  );
  return {
    owned,
    toDelete,
    next,
    waiting,
    backingOff,
    needHuman,
    contested,
    missing,
    blockers,
    approval: {
      required,
      summary: `delete ${toDelete.length} of ${owned.length} instance(s) in scope: ${toDelete
        .slice(0, 20)
        .map((i) => i.name)
        .join(", ")}${toDelete.length > 20 ? ", ..." : ""}`,
    },
    converged: toDelete.length === 0 && blockers.length === 0,
  };
}

/** Batches of at most BATCH_LIMIT, in order. */
export function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH_LIMIT) out.push(items.slice(i, i + BATCH_LIMIT));
  return out;
}
