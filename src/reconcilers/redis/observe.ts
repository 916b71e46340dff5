// What a RedisInstanceSet reconcile reads from DCS: the project's listing (shared by every set on the same
// client), each instance as the planner sees it, and the set's deletion records resolved against it.
import type { DeletionRecord } from "../../api/redis-instance-set.js";
import { busyState } from "../../providers/dcs/busy.js";
import type { DcsClient } from "../../providers/dcs/client.js";
import type { DcsInstance } from "../../providers/dcs/schemas.js";
import { timestamp } from "../engine/status.js";
import type { SharedListings } from "./listings.js";
import { type ObservedRedis, PENDING_RESOLVE_MS } from "./plan.js";

/** Records kept for instances already gone, newest first. */
const GONE_RECORDS_KEPT = 50;

export interface RedisObserved {
  /** The project listed (the connection's, or the inline spec's); observeRedisSet always sets it. */
  projectId?: string;
  /** Every instance the project's listing showed. */
  instances: ObservedRedis[];
}

export function observedRedis(i: DcsInstance): ObservedRedis {
  const tags: Record<string, string> = {};
  for (const t of i.tags ?? []) tags[t.key] = t.value ?? "";
  const busy = busyState(i);
  return {
    id: i.instance_id,
    name: i.name,
    status: i.status,
    tags,
    busy: busy !== "idle",
    ...(busy === "unknown" ? { busyUnknown: true } : {}),
    prepaid: i.charging_mode === 1,
  };
}

export async function observeRedisSet(
  client: DcsClient,
  listings: SharedListings,
  maxAgeMs: number,
): Promise<RedisObserved> {
  const listing = await listings.get(client, maxAgeMs);
  return { projectId: client.projectId, instances: listing.instances.map(observedRedis) };
}

/** Gone once the listing stops showing it; a lost reply is settled by looking, after DCS had time to act. */
export function resolveDeletions(
  records: readonly DeletionRecord[] | undefined,
  instances: readonly ObservedRedis[],
  now: Date,
): DeletionRecord[] {
  const listed = new Map(instances.map((i) => [i.id, i]));
  const at = timestamp(now);
  const resolved = (records ?? []).map((r): DeletionRecord => {
    const instance = listed.get(r.id);
    if (!instance)
      return r.goneAt ? r : { ...r, result: r.result === "failed" ? r.result : "success", goneAt: at };
    if (r.result !== "pending") return r;
    if (instance.status === "DELETING") return { ...r, result: "success" };
    if (now.getTime() - Date.parse(r.requestedAt) < PENDING_RESOLVE_MS) return r;
    return {
      ...r,
      result: "failed",
      lastError: `the delete's reply was lost and the instance is still listed (${instance.status}) after ${PENDING_RESOLVE_MS / 1000} s`,
    };
  });
  const live = resolved.filter((r) => !r.goneAt);
  const gone = resolved
    .filter((r) => r.goneAt)
    .sort((a, b) => (b.goneAt ?? "").localeCompare(a.goneAt ?? ""));
  return [...live, ...gone.slice(0, GONE_RECORDS_KEPT)];
}
