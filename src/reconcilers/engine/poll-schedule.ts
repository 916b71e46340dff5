// When a settled set looks at its remote again. Each set polls at its own point in every interval, fixed by
// its name (Flux and Argo CD add jitter for the same reason): without it, sets that converged together (a
// cold start, a restart, a fleet applied at once) poll together for ever, a burst every interval that
// queues every other set's work behind it. The point is a fraction of the wall clock's interval, so every
// replica and restart keeps it, and a fleet's polls lie evenly over the interval whenever it converged.

/** The shortest wait to the next poll, as a fraction of the interval: no poll right after a reconcile. */
export const MIN_POLL_GAP_FRACTION = 0.1;

/** 32-bit FNV-1a of `text`: a stable, evenly spread number for a set's name. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Where in every interval `key` polls, in ms from a multiple of the interval (epoch time). */
export function pollPhaseMs(intervalMs: number, key: string): number {
  return Math.floor((fnv1a(key) / 2 ** 32) * intervalMs);
}

/**
 * Milliseconds from `nowMs` to the set's next poll: its point in the interval, at least a tenth of the
 * interval away. Settled, a set polls exactly once per interval; after other work (a change, an operation,
 * a restart) the next poll comes between a tenth and 1.1 intervals later.
 */
export function nextPollDelayMs(intervalMs: number, key: string, nowMs: number): number {
  if (!(intervalMs > 0)) return intervalMs;
  const phase = pollPhaseMs(intervalMs, key);
  let delay = (((phase - nowMs) % intervalMs) + intervalMs) % intervalMs;
  if (delay < intervalMs * MIN_POLL_GAP_FRACTION) delay += intervalMs;
  return delay;
}
