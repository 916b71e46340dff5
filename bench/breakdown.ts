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
  /** Informer delivery to the operator, queue wait, reconcile prologue: spec seen -> first remote read arrives. */
  queueAndPrologue: number;
  /** First remote read arrives -> last read answered (the agent's cluster, asked again after the reads). */
  remoteReads: number;
  /** Last read answered -> the bare watch sees the intent status (an upper bound: includes watch delivery). */
  intentWrite: number;
  /** Intent seen (or last read answered) -> the DELETE arrives. */
  deleteSend: number;
  total: number;
}

export function breakdown(sample: SampleTimes): Breakdown | undefined {
  const del = sample.requests.find((e) => e.method === "DELETE");
  const reads = sample.requests.filter(
    (e) => e.method === "GET" && del !== undefined && e.monotonicAt < del.monotonicAt,
  );
  if (!del || reads.length === 0 || sample.specSeen === undefined) return undefined;
  const deleteAt = del.monotonicAt;
  const firstRead = Math.min(...reads.map((e) => e.monotonicAt));
  const lastReply = Math.max(...reads.map((e) => e.monotonicRepliedAt ?? e.monotonicAt));
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
  { key: "queueAndPrologue", label: "informer + queue wait + prologue (-> first obshell read arrives)" },
  { key: "remoteReads", label: "remote reads, then the cluster re-check (-> its answer)" },
  { key: "intentWrite", label: "intent status write (-> bare watch sees it; includes watch delivery)" },
  { key: "deleteSend", label: "DELETE (-> arrives at the agent)" },
];

export function printBreakdown(title: string, b: Breakdown): void {
  console.log(`  ${title}: ${format(b.total)} ms`);
  for (const phase of PHASES)
    console.log(`    ${phase.label.padEnd(70)} ${format(b[phase.key]).padStart(7)} ms`);
}
