// The targets the bench judges, besides the latency ratios (bench/latency.ts, which also carry an interval):
// the text a row prints and whether a figure meets it, in one place. A row takes both from `judgedRow`, so
// the printed table, the results file and the README (test/unit/readme-figures.test.ts) give one verdict,
// and bench/reinterval.ts can judge a file recorded before a row carried its verdict by the text it printed.
import type { Row } from "./stats.js";

export interface Target {
  readonly text: string;
  /** The figure the target is stated against (a limit, a floor, an exact count). */
  readonly bound: number;
  meets(value: number): boolean;
}

const atMost = (bound: number, unit: string): Target => ({
  text: `<= ${bound}${unit}`,
  bound,
  meets: (value) => value <= bound,
});

/** Counts that must come out exact; `text` says why that count. */
const exactly = (bound: number, text = `${bound}`): Target => ({
  text,
  bound,
  meets: (value) => value === bound,
});

/** The targets of a run whose throughput phase has `sets` sets of each kind. */
export function benchTargets(sets: number) {
  return {
    cpuPerReconcile: atMost(4, " ms"),
    writesPerConvergedSet: atMost(1.2, ""),
    coldStartRate: { text: ">= 300/s for 2,000 sets", bound: 300, meets: (value: number) => value >= 300 },
    // A window of one interval sees 1 or 2 listings per project by where its edges fall: 15 % of slack.
    dcsListsPerPoll: { text: "10", bound: 10, meets: (value: number) => value <= 10 * 1.15 },
    dcsListsPerSetPoll: {
      text: `${(10 / sets).toFixed(3)} (one per project per interval)`,
      bound: 10 / sets,
      meets: (value: number) => value <= (10 / sets) * 1.15,
    },
    statusWritesPerSteadyReconcile: exactly(0),
    batchDeletes: exactly(10, "10 (ceil(500/50))"),
    rssAt10000: { text: "< 150 MiB", bound: 150, meets: (value: number) => value < 150 },
    unrelatedSecretsRss: atMost(10, ""),
    fairness: atMost(2, " s"),
  } satisfies Record<string, Target>;
}

/** `row` with the target it is judged against and whether its own value meets it. */
export function judgedRow(target: Target, row: Omit<Row, "target" | "met">): Row {
  return { ...row, target: target.text, met: target.meets(row.value) };
}
