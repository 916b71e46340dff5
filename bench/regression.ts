// Which benchmark figures got worse than the baseline: more than 10 % in the bad direction.
import type { Row } from "./stats.js";

/** How much worse than the baseline a metric may get before it is flagged. */
export const REGRESSION_TOLERANCE = 0.1;

/** Whether a higher value of this row is better (throughput) or worse (time, memory, calls, ratios). */
export function higherIsBetter(row: Pick<Row, "unit" | "metric">): boolean {
  return row.unit === "1/s";
}

/** "worse" beyond the tolerance, "better", or "same"; undefined when there is nothing to compare against. */
export function verdict(row: Row, baseline: number | undefined): "worse" | "better" | "same" | undefined {
  if (baseline === undefined || baseline === 0 || !Number.isFinite(baseline) || !Number.isFinite(row.value))
    return undefined;
  const ratio = row.value / baseline;
  const worse = higherIsBetter(row) ? ratio < 1 - REGRESSION_TOLERANCE : ratio > 1 + REGRESSION_TOLERANCE;
  const better = higherIsBetter(row) ? ratio > 1 + REGRESSION_TOLERANCE : ratio < 1 - REGRESSION_TOLERANCE;
  return worse ? "worse" : better ? "better" : "same";
}
