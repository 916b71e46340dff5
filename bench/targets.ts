// The targets the bench judges, besides the latency ratios (bench/latency.ts, which also carry an interval):
// the text a row prints and whether a figure meets it, in one place. A row takes both from `judged`, so the
// printed table, the results file and the README (test/unit/readme-figures.test.ts) give one verdict, and
// bench/reinterval.ts can judge a file recorded before a row carried its verdict by the text it printed.

export interface Target {
  readonly text: string;
  meets(value: number): boolean;
}

const atMost = (limit: number, unit: string): Target => ({
  text: `<= ${limit}${unit}`,
  meets: (value) => value <= limit,
});

/** Counts that must come out exact; `text` says why that count. */
const exactly = (count: number, text = `${count}`): Target => ({ text, meets: (value) => value === count });

/** The targets of a run whose throughput phase has `sets` sets of each kind. */
export function benchTargets(sets: number) {
  return {
    cpuPerReconcile: atMost(4, " ms"),
    writesPerConvergedSet: atMost(1.2, ""),
    coldStartRate: { text: ">= 300/s for 2,000 sets", meets: (value: number) => value >= 300 },
    // A window of one interval sees 1 or 2 listings per project by where its edges fall: 15 % of slack.
    dcsListsPerPoll: { text: "10", meets: (value: number) => value <= 10 * 1.15 },
    dcsListsPerSetPoll: {
      text: `${(10 / sets).toFixed(3)} (one per project per interval)`,
      meets: (value: number) => value <= (10 / sets) * 1.15,
    },
    statusWritesPerSteadyReconcile: exactly(0),
    batchDeletes: exactly(10, "10 (ceil(500/50))"),
    rssAt10000: { text: "< 150 MiB", meets: (value: number) => value < 150 },
    unrelatedSecretsRss: atMost(10, ""),
    fairness: atMost(2, " s"),
  } satisfies Record<string, Target>;
}

/** The row fields that state `target` and whether `value` meets it. */
export function judged(target: Target, value: number): { target: string; met: boolean } {
  return { target: target.text, met: target.meets(value) };
}
