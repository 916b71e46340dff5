// Percentiles and a printed table for benchmark results.
import { seededRandom } from "../test/simulators/http-sim.js";

/** The index of the p-th percentile in `n` sorted values: the nearest-rank definition. */
function rankIndex(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[rankIndex(sorted.length, p)] ?? Number.NaN;
}

/** `percentile` of a typed array, sorted in place (numeric order): the bootstrap's hot path. */
function percentileInPlace(values: Float64Array, p: number): number {
  if (values.length === 0) return Number.NaN;
  values.sort();
  return values[rankIndex(values.length, p)] ?? Number.NaN;
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
 * One run's latency samples, taken in turns: sample i of the operator, then sample i of the design
 * minimum, so index i of both saw the same machine.
 */
export interface PairedSamples {
  operator: readonly number[];
  minimum: readonly number[];
}

type Resampled = { operator: Float64Array; minimum: Float64Array };

interface BootstrapOptions {
  rounds?: number;
  random?: () => number;
}

/**
 * A moving-block bootstrap interval of a statistic of one or more runs: each run's turns resampled in blocks
 * of consecutive turns, both sides of a turn together, `rounds` times with a seeded generator (so a printed
 * interval can be computed again); the statistic's 5th and 95th percentiles over the rounds. Turns, not
 * single samples, because the two sides of a turn share the machine's state, and blocks because that state
 * drifts (a set's status grows with its first 200 disruptions; the fleet warms). Runs are resampled each on
 * its own: they are separate processes on separate API servers. Blocks are about the cube root of the
 * turns long (13 of 2,000), the usual choice for a quantile.
 */
export function blockBootstrap(
  runs: readonly PairedSamples[],
  statistic: (resampled: readonly Resampled[]) => number,
  options: BootstrapOptions = {},
): [number, number] {
  for (const run of runs)
    if (run.operator.length !== run.minimum.length)
      throw new Error(
        `paired samples of unequal length: ${run.operator.length} of the operator, ${run.minimum.length} of the design minimum`,
      );
  if (runs.length === 0 || runs.some((r) => r.operator.length === 0)) return [Number.NaN, Number.NaN];
  const rounds = options.rounds ?? 2000;
  const random = options.random ?? seededRandom(29);
  const resample = (run: PairedSamples): Resampled => {
    const n = run.operator.length;
    const block = Math.min(n, Math.max(1, Math.round(Math.cbrt(n))));
    const operator = new Float64Array(n);
    const minimum = new Float64Array(n);
    for (let filled = 0; filled < n; ) {
      const start = Math.floor(random() * (n - block + 1));
      for (let k = 0; k < block && filled < n; k++, filled++) {
        operator[filled] = run.operator[start + k] ?? Number.NaN;
        minimum[filled] = run.minimum[start + k] ?? Number.NaN;
      }
    }
    return { operator, minimum };
  };
  const stats: number[] = [];
  for (let i = 0; i < rounds; i++) stats.push(statistic(runs.map(resample)));
  return [percentile(stats, 5), percentile(stats, 95)];
}

const ratioAt = (r: Resampled | undefined, p: number) =>
  r ? percentileInPlace(r.operator, p) / percentileInPlace(r.minimum, p) : Number.NaN;

/**
 * A 90 % interval of percentile(operator, p) / percentile(minimum, p) of one run. A p99 is decided by a
 * side's slowest samples, so its ratio moves between runs far more than a p50's; the interval says by how
 * much, from the run's own samples.
 */
export function percentileRatioInterval(
  run: PairedSamples,
  p: number,
  options: BootstrapOptions = {},
): [number, number] {
  return blockBootstrap([run], ([r]) => ratioAt(r, p), options);
}

/**
 * How far one run's percentile ratio (operator / design minimum) lies from another's, as a ratio of the two,
 * with its 90 % interval over both runs' samples: whether two runs differ, or only their samples do.
 */
export function ratioMove(
  latest: PairedSamples,
  baseline: PairedSamples,
  p: number,
  options: BootstrapOptions = {},
): { value: number; interval: [number, number] } {
  const ratio = (run: PairedSamples) => percentile(run.operator, p) / percentile(run.minimum, p);
  return {
    value: ratio(latest) / ratio(baseline),
    interval: blockBootstrap([latest, baseline], ([a, b]) => ratioAt(a, p) / ratioAt(b, p), options),
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
