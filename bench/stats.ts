// Percentiles and a printed table for benchmark results.
import { seededRandom } from "../test/simulators/http-sim.js";

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export interface Row {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  /** Whether the figure meets its target, where the target is a figure the operator owns. */
  met?: boolean;
  /** Where the figure would lie in 90 % of runs like this one (percentileRatioInterval), for a ratio. */
  interval?: [number, number];
}

/**
 * A percentile bootstrap interval of percentile(a, p) / percentile(b, p): both sides resampled with
 * replacement `rounds` times, the ratio's 5th and 95th percentiles. A p99 of 500 samples is their fifth
 * slowest, so its ratio moves between runs far more than a p50's; the interval says by how much, from the
 * run's own samples (the two sides are independent processes, so each is resampled on its own).
 */
export function percentileRatioInterval(
  a: readonly number[],
  b: readonly number[],
  p: number,
  options: { rounds?: number; random?: () => number } = {},
): [number, number] {
  if (a.length === 0 || b.length === 0) return [Number.NaN, Number.NaN];
  const rounds = options.rounds ?? 2000;
  const random = options.random ?? seededRandom(29);
  const resample = (values: readonly number[]) =>
    Array.from({ length: values.length }, () => values[Math.floor(random() * values.length)] ?? Number.NaN);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) ratios.push(percentile(resample(a), p) / percentile(resample(b), p));
  return [percentile(ratios, 5), percentile(ratios, 95)];
}

export function printTable(rows: readonly Row[]): void {
  const widths = [
    Math.max(6, ...rows.map((r) => r.metric.length)),
    Math.max(5, ...rows.map((r) => format(r.value).length)),
    Math.max(4, ...rows.map((r) => r.unit.length)),
  ];
  console.log(
    `${"metric".padEnd(widths[0] ?? 0)}  ${"value".padStart(widths[1] ?? 0)}  ${"unit".padEnd(widths[2] ?? 0)}  target`,
  );
  for (const r of rows)
    console.log(
      `${r.metric.padEnd(widths[0] ?? 0)}  ${format(r.value).padStart(widths[1] ?? 0)}  ${r.unit.padEnd(widths[2] ?? 0)}  ${r.target ?? ""}${r.met === undefined ? "" : r.met ? "  met" : "  MISSED"}${r.interval ? `  (90 % interval ${format(r.interval[0])}-${format(r.interval[1])})` : ""}`,
    );
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
