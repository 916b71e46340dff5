// Destructive calls read from the simulators' request logs, so "at most one per target" is checked on what
// was sent and accepted, not on the simulator's own state (which can never delete twice).
import type { LoggedRequest } from "./http-sim.js";

/** A request log entry: the simulator's own (LoggedRequest) or one read from its control port. */
export type LogEntry = Pick<LoggedRequest, "at" | "method" | "path" | "query" | "body" | "handled"> & {
  rawBody?: string;
};

export interface DestructiveCall {
  provider: "obshell" | "dcs";
  /** `dcs:<project>/<instance id>` or `obshell:<tenant>/<zone>`. */
  target: string;
  at: number;
  /** The remote acted on it: a DCS delete answered success for this id, an obshell DELETE that created a DAG. */
  accepted: boolean;
}

function jsonBody(entry: LogEntry): unknown {
  if (entry.body !== undefined) return entry.body;
  try {
    return JSON.parse(entry.rawBody ?? "");
  } catch {
    return undefined;
  }
}

function dcsCalls(log: readonly LogEntry[]): DestructiveCall[] {
  const calls: DestructiveCall[] = [];
  for (const entry of log) {
    if (entry.method !== "DELETE") continue;
    const match = /^\/v2\/([^/]+)\/instances(?:\/([^/]+))?\/?$/.exec(entry.path);
    if (!match) continue;
    const project = decodeURIComponent(match[1] ?? "");
    if (match[2] !== undefined) {
      calls.push({
        provider: "dcs",
        target: `dcs:${project}/${decodeURIComponent(match[2])}`,
        at: entry.at,
        accepted: entry.handled?.status === 204,
      });
      continue;
    }
    const ids = (jsonBody(entry) as { instances?: unknown } | undefined)?.instances;
    const results = (entry.handled?.body as { results?: { instance: string; result: string }[] } | undefined)
      ?.results;
    const acceptedIds = new Set((results ?? []).filter((r) => r.result === "success").map((r) => r.instance));
    if (entry.query.includes("all_failure=true"))
      for (const id of acceptedIds)
        calls.push({ provider: "dcs", target: `dcs:${project}/${id}`, at: entry.at, accepted: true });
    if (!Array.isArray(ids)) continue;
    for (const id of ids)
      if (typeof id === "string")
        calls.push({
          provider: "dcs",
          target: `dcs:${project}/${id}`,
          at: entry.at,
          accepted: acceptedIds.has(id),
        });
  }
  return calls;
}

function obshellCalls(log: readonly LogEntry[]): DestructiveCall[] {
  const calls: DestructiveCall[] = [];
  for (const entry of log) {
    if (entry.method !== "DELETE") continue;
    const match = /^\/api\/v1\/tenant\/([^/]+)\/replicas$/.exec(entry.path);
    if (!match) continue;
    const tenant = decodeURIComponent(match[1] ?? "");
    const zones = (jsonBody(entry) as { zones?: unknown } | undefined)?.zones;
    // 200 with a DAG: created; 204: none of the zones held a replica; an error: nothing started.
    const created = entry.handled?.status === 200;
    for (const zone of Array.isArray(zones) ? zones : [])
      if (typeof zone === "string")
        calls.push({
          provider: "obshell",
          target: `obshell:${tenant}/${zone}`,
          at: entry.at,
          accepted: created,
        });
  }
  return calls;
}

/** Every destructive call in the logs: each DELETE naming a DCS instance, each obshell DELETE of replicas. */
export function destructiveCalls(logs: {
  obshell?: readonly LogEntry[];
  dcs?: readonly LogEntry[];
}): DestructiveCall[] {
  return [...obshellCalls(logs.obshell ?? []), ...dcsCalls(logs.dcs ?? [])].sort((a, b) => a.at - b.at);
}

/**
 * Targets the remote accepted more than once, with the count: "at most one per target" holds when empty.
 * `sent: true` counts every call that arrived instead (a resend after a refused call included).
 */
export function repeatedTargets(
  calls: readonly DestructiveCall[],
  options: { sent?: boolean } = {},
): { target: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const call of calls)
    if (options.sent || call.accepted) counts.set(call.target, (counts.get(call.target) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([target, count]) => ({ target, count }))
    .sort((a, b) => a.target.localeCompare(b.target));
}

/**
 * The most accepted destructive calls whose arrivals fall within any `windowMs` (a sliding window starting
 * at each call), with the first call of that window: what a FleetDisruptionBudget's limit is judged by.
 */
export function mostInWindow(
  calls: readonly DestructiveCall[],
  windowMs: number,
): { count: number; from: number } {
  const times = calls
    .filter((c) => c.accepted)
    .map((c) => c.at)
    .sort((a, b) => a - b);
  let best = { count: 0, from: 0 };
  let end = 0;
  for (let start = 0; start < times.length; start++) {
    const from = times[start] ?? 0;
    while (end < times.length && (times[end] ?? 0) < from + windowMs) end++;
    if (end - start > best.count) best = { count: end - start, from };
  }
  return best;
}
