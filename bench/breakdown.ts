// Where the time of one latency sample goes, from timestamps outside the operator: the bare watch (when the
// API server delivers the spec change and the intent status write) and the obshell simulator's request log
// (when each read arrives and is answered, when the DELETE arrives). All on the machine's monotonic clock
// (monotonicMs), which the bench, the parties and the simulator's process share.
import type { ControlLogEntry } from "../test/simulators/control.js";
import { format } from "./stats.js";

export interface SampleTimes {
  /** PATCH of the spec sent. */
  t0: number;
  /** The bare watch saw the new generation. */
  specSeen?: number | undefined;
  /** The bare watch saw the next write of the same generation: the intent status write. */
  statusSeen?: number | undefined;
  /** obshell requests of this tenant and of the agent's cluster after t0, up to and including the DELETE. */
  requests: readonly ControlLogEntry[];
}

export interface Breakdown {
  watchDelivery: number;
  /**
   * Informer delivery to the operator, queue wait, reconcile prologue: spec seen -> the tenant's read arrives.
   * "Seen" is the bench's bare watch, a third watcher: when the party's own watch is served first and the bare
   * watch's process waits for a core (the CPU hog), this phase comes out below zero, and watchDelivery over.
   */
  queueAndPrologue: number;
  /** The tenant's read arrives -> the cluster re-check after it answered (the agent's cluster, asked again). */
  remoteReads: number;
  /** Re-check answered -> the bare watch sees the intent status (an upper bound: includes watch delivery). */
  intentWrite: number;
  /** Intent seen (or re-check answered) -> the DELETE arrives. */
  deleteSend: number;
  total: number;
}

const isTenantRead = (e: ControlLogEntry) => e.method === "GET" && e.path.startsWith("/api/v1/tenant/");

/**
 * Each phase is bounded by what belongs to this sample alone: the tenant's own read, its DELETE, the bare
 * watch's events of its set. The agent's cluster-wide requests (its cluster, its unfinished DAGs) name no
 * set: other sets' reconciles send them too (a first reconcile, a tenant that moved, the cluster's 60 s
 * refresh), so the earliest and latest of them around a sample may be another set's. Only the re-check is
 * taken from them: the first question for the agent's cluster to arrive once the tenant's read was answered.
 */
export function breakdown(sample: SampleTimes): Breakdown | undefined {
  const del = sample.requests.find((e) => e.method === "DELETE");
  if (!del || sample.specSeen === undefined) return undefined;
  const deleteAt = del.monotonicAt;
  const own = sample.requests.filter((e) => isTenantRead(e) && e.monotonicAt < deleteAt);
  if (own.length === 0) return undefined;
  const firstRead = Math.min(...own.map((e) => e.monotonicAt));
  const ownAnswered = Math.max(...own.map((e) => e.monotonicRepliedAt ?? e.monotonicAt));
  const recheck = sample.requests.find(
    (e) => e.path === "/api/v1/ob/info" && e.monotonicAt >= ownAnswered && e.monotonicAt < deleteAt,
  );
  const lastReply = Math.max(ownAnswered, recheck?.monotonicRepliedAt ?? recheck?.monotonicAt ?? 0);
  const intent =
    sample.statusSeen === undefined ? lastReply : Math.min(Math.max(sample.statusSeen, lastReply), deleteAt);
  return {
    watchDelivery: sample.specSeen - sample.t0,
    queueAndPrologue: firstRead - sample.specSeen,
    remoteReads: lastReply - firstRead,
    intentWrite: intent - lastReply,
    deleteSend: deleteAt - intent,
    total: deleteAt - sample.t0,
  };
}

export const PHASES: { key: keyof Breakdown; label: string }[] = [
  { key: "watchDelivery", label: "watch delivery (PATCH -> bare watch sees it)" },
  { key: "queueAndPrologue", label: "informer + queue wait + prologue (-> the tenant's read arrives)" },
  { key: "remoteReads", label: "remote reads, then the cluster re-check (-> its answer)" },
  { key: "intentWrite", label: "intent status write (-> bare watch sees it; includes watch delivery)" },
  { key: "deleteSend", label: "DELETE (-> arrives at the agent)" },
];

export function printBreakdown(title: string, b: Breakdown): void {
  console.log(`  ${title}: ${format(b.total)} ms`);
  for (const phase of PHASES)
    console.log(`    ${phase.label.padEnd(70)} ${format(b[phase.key]).padStart(7)} ms`);
}
