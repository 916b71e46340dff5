// Which benchmark figures got worse than the baseline: more than 10 % in the bad direction.
import type { BenchResults } from "./results-file.js";
import { type Row, ratioMove } from "./stats.js";

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
export function verdict(
  row: Pick<Row, "metric" | "unit" | "value">,
  baseline: number | undefined,
): "worse" | "better" | "same" | undefined {
  if (baseline === undefined || baseline === 0 || !Number.isFinite(baseline) || !Number.isFinite(row.value))
    return undefined;
  // Measured against the baseline's size, not as a ratio: a figure below zero (memory a change gave back)
  // that goes further below is better, where a ratio of two negatives would call it worse.
  const gain = (higherIsBetter(row) ? row.value - baseline : baseline - row.value) / Math.abs(baseline);
  return gain < -REGRESSION_TOLERANCE ? "worse" : gain > REGRESSION_TOLERANCE ? "better" : "same";
}

/** One latency size's operator / design minimum ratio in one run against another's, with how sure it is. */
export interface RatioMove {
  label: string;
  value: number;
  interval: [number, number];
  reading: "within the tolerance" | "moved beyond the tolerance" | "undecided at these samples";
}

/**
 * Each p50 and p99 ratio of `latest` against `baseline`'s at each set count both kept samples for: the
 * move's 90 % bootstrap interval decides it, either way, or leaves it undecided.
 */
export function loadedRatioMoves(
  latest: Pick<BenchResults, "latencySamples">,
  baseline: Pick<BenchResults, "latencySamples">,
): RatioMove[] {
  const moves: RatioMove[] = [];
  const [low, high] = [1 - LOADED_RATIO_TOLERANCE, 1 + LOADED_RATIO_TOLERANCE];
  for (const [size, samples] of Object.entries(latest.latencySamples ?? {})) {
    const other = baseline.latencySamples?.[size];
    if (!other) continue;
    for (const p of [50, 99]) {
      const { value, interval } = ratioMove(samples, other, p);
      moves.push({
        label: `p${p} at ${size} sets`,
        value,
        interval,
        reading:
          interval[0] >= low && interval[1] <= high
            ? "within the tolerance"
            : interval[0] > high || interval[1] < low
              ? "moved beyond the tolerance"
              : "undecided at these samples",
      });
    }
  }
  return moves;
}
