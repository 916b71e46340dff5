// Which benchmark figures got worse than the baseline: more than 10 % in the bad direction.
import type { BenchResults } from "./results-file.js";
import { type Row, ratioMove } from "./stats.js";

/**
 * Issue 29: the operator / design minimum ratios of a run with a CPU hog on one core (`BENCH_CPU_HOG=1`)
 * within this much of a quiet run's, either way.
 */
export const LOADED_RATIO_TOLERANCE = 0.15;
/** The row of the operator / design minimum ratio at percentile `p` with `sets` sets. */
export const minimumRatioMetric = (p: number, sets: number | string): string =>
  `latency p${p} / design minimum p${p} (${sets} sets)`;
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

/** How a move's 90 % interval reads against the tolerance: decided either way, undecided, or not measured. */
export type MoveReading = "within" | "beyond" | "undecided" | "unmeasured";

const TOLERANCE_PERCENT = LOADED_RATIO_TOLERANCE * 100;
/** What bench-compare prints for each reading. */
export const MOVE_READING_TEXT: Record<MoveReading, string> = {
  within: `the runs agree within ${TOLERANCE_PERCENT} %`,
  beyond: `the runs differ by more than ${TOLERANCE_PERCENT} %`,
  undecided: "these samples cannot tell",
  unmeasured: "no samples",
};

/**
 * An interval inside 1 +- the tolerance says the two runs' ratios agree within it; one wholly outside, that
 * they differ by more (for whatever reason the runs differ: a CPU hog, or the machine that day); one across a
 * bound, that these samples cannot tell.
 */
export function readMove(interval: readonly [number, number]): MoveReading {
  const [low, high] = [1 - LOADED_RATIO_TOLERANCE, 1 + LOADED_RATIO_TOLERANCE];
  if (!interval.every(Number.isFinite)) return "unmeasured";
  if (interval[0] >= low && interval[1] <= high) return "within";
  if (interval[0] > high || interval[1] < low) return "beyond";
  return "undecided";
}

/** One latency size's operator / design minimum ratio in one run against another's, with how sure it is. */
export interface RatioMove {
  /** The row of the ratio: `latency p99 / design minimum p99 (100 sets)`. */
  metric: string;
  label: string;
  value: number;
  interval: [number, number];
  reading: MoveReading;
}

/** Each p50 and p99 ratio of `latest` against `baseline`'s, at each set count both kept samples for. */
export function loadedRatioMoves(
  latest: Pick<BenchResults, "latencySamples">,
  baseline: Pick<BenchResults, "latencySamples">,
): RatioMove[] {
  const moves: RatioMove[] = [];
  for (const [size, samples] of Object.entries(latest.latencySamples ?? {})) {
    const other = baseline.latencySamples?.[size];
    if (!other) continue;
    for (const p of [50, 99]) {
      const { value, interval } = ratioMove(samples, other, p);
      moves.push({
        metric: minimumRatioMetric(p, size),
        label: `p${p} at ${size} sets`,
        value,
        interval,
        reading: readMove(interval),
      });
    }
  }
  return moves;
}

/**
 * A ratio row is a regression only when its move's whole interval lies over the tolerance: a p99 ratio's
 * point moves by more than 10 % between two runs of the same code (its interval says so), so the point
 * alone would fail runs that differ only in their samples.
 */
export function decidedlyWorse(move: Pick<RatioMove, "interval">): boolean {
  return move.interval[0] > 1 + REGRESSION_TOLERANCE;
}
