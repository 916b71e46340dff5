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
 * A percentile bootstrap interval of a statistic of independent groups of samples: each group resampled with
 * replacement `rounds` times (with a seeded generator, so a printed interval can be computed again), the
 * statistic's 5th and 95th percentiles over the rounds. Each group is resampled on its own: the groups are
 * independent processes or runs.
 */
export function bootstrapInterval(
  groups: readonly (readonly number[])[],
  statistic: (resampled: readonly Float64Array[]) => number,
  options: { rounds?: number; random?: () => number } = {},
): [number, number] {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return [Number.NaN, Number.NaN];
  const rounds = options.rounds ?? 2000;
  const random = options.random ?? seededRandom(29);
  const resample = (values: readonly number[]) => {
    const out = new Float64Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = values[Math.floor(random() * values.length)] ?? Number.NaN;
    return out;
  };
  const stats: number[] = [];
  for (let i = 0; i < rounds; i++) stats.push(statistic(groups.map(resample)));
  return [percentile(stats, 5), percentile(stats, 95)];
}

/** `percentile` of a typed array, sorted in place (numeric order): the bootstrap's hot path. */
function percentileInPlace(values: Float64Array, p: number): number {
  values.sort();
  const index = Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1));
  return values[index] ?? Number.NaN;
}

/**
 * A 90 % bootstrap interval of percentile(a, p) / percentile(b, p). A p99 of 500 samples is their fifth
 * slowest, so its ratio moves between runs far more than a p50's; the interval says by how much, from the
 * run's own samples.
 */
export function percentileRatioInterval(
  a: readonly number[],
  b: readonly number[],
  p: number,
  options: { rounds?: number; random?: () => number } = {},
): [number, number] {
  return bootstrapInterval(
    [a, b],
    ([x, y]) => (x && y ? percentileInPlace(x, p) / percentileInPlace(y, p) : Number.NaN),
    options,
  );
}

/**
 * How far one run's percentile ratio (operator / design minimum) lies from another's, as
 * (a / b) / (c / d) at p, with its 90 % bootstrap interval over all four sides' samples: whether a CPU hog
 * moved the ratio, or only the samples did.
 */
export function ratioMove(
  latest: { operator: readonly number[]; minimum: readonly number[] },
  baseline: { operator: readonly number[]; minimum: readonly number[] },
  p: number,
  options: { rounds?: number; random?: () => number } = {},
): { value: number; interval: [number, number] } {
  const ratio = (a: readonly number[], b: readonly number[]) => percentile(a, p) / percentile(b, p);
  return {
    value: ratio(latest.operator, latest.minimum) / ratio(baseline.operator, baseline.minimum),
    interval: bootstrapInterval(
      [latest.operator, latest.minimum, baseline.operator, baseline.minimum],
      ([a, b, c, d]) =>
        a && b && c && d
          ? percentileInPlace(a, p) /
            percentileInPlace(b, p) /
            (percentileInPlace(c, p) / percentileInPlace(d, p))
          : Number.NaN,
      options,
    ),
  };
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
