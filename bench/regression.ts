// Which benchmark figures got worse than the baseline: more than 10 % in the bad direction.
import type { Row } from "./stats.js";

/**
 * Issue 29: the operator / design minimum ratios of a run with a CPU hog on one core (`BENCH_CPU_HOG=1`)
 * within this much of a quiet run's, either way.
 */
export const LOADED_RATIO_TOLERANCE = 0.15;
/** The rows that tolerance is about. */
export const isMinimumRatio = (row: Pick<Row, "metric">): boolean =>
  /^latency p\d+ \/ design minimum p\d+ /.test(row.metric);

/** How much worse than the baseline a metric may get before it is flagged. */
export const REGRESSION_TOLERANCE = 0.1;

/** Whether a higher value of this row is better (throughput) or worse (time, memory, calls, ratios). */
export function higherIsBetter(row: Pick<Row, "unit" | "metric">): boolean {
  return row.unit === "1/s";
}

/**
 * Whether a figure holds on a loaded machine: CPU seconds, counts, memory and ratios taken within one run
 * (operator vs design minimum or watch floor, both timed beside each other). Wall times and rates are not:
 * a busy neighbour moves them, so compare flags them but does not fail on them.
 */
export function loadIndependent(row: Pick<Row, "unit" | "metric">): boolean {
  if (/\bCPU\b/.test(row.metric)) return true;
  return !["ms", "s", "1/s"].includes(row.unit);
}

/** "worse" beyond the tolerance, "better", or "same"; undefined when there is nothing to compare against. */
export function verdict(row: Row, baseline: number | undefined): "worse" | "better" | "same" | undefined {
  if (baseline === undefined || baseline === 0 || !Number.isFinite(baseline) || !Number.isFinite(row.value))
    return undefined;
  // Measured against the baseline's size, not as a ratio: a figure below zero (memory a change gave back)
  // that goes further below is better, where a ratio of two negatives would call it worse.
  const gain = (higherIsBetter(row) ? row.value - baseline : baseline - row.value) / Math.abs(baseline);
  return gain < -REGRESSION_TOLERANCE ? "worse" : gain > REGRESSION_TOLERANCE ? "better" : "same";
}
