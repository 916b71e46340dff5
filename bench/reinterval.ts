// npx tsx bench/reinterval.ts FILE...: recomputes each operator / design minimum ratio's 90 % interval in a
// results file from the samples it kept, with bench/stats.ts as it is now, and judges each row against the
// target it printed with bench/targets.ts as it is now. For when the interval's method or a verdict changes
// after a run was recorded: the figures stay the run's, only their intervals and verdicts are computed again.
import { readFileSync, writeFileSync } from "node:fs";
import { minimumRatioMetric } from "./regression.js";
import { benchResults } from "./results-file.js";
import { percentileRatioInterval } from "./stats.js";
import { benchTargets, type Target } from "./targets.js";

for (const file of process.argv.slice(2)) {
  const text = JSON.parse(readFileSync(file, "utf8")) as {
    rows: { metric: string; value: number | null; target?: string; met?: boolean; interval?: unknown }[];
  };
  const parsed = benchResults.parse(text);
  let intervals = 0;
  for (const [sets, samples] of Object.entries(parsed.latencySamples ?? {}))
    for (const p of [50, 99]) {
      const row = text.rows.find((r) => r.metric === minimumRatioMetric(p, sets));
      if (!row) throw new Error(`${file}: no row "${minimumRatioMetric(p, sets)}" for its kept samples`);
      row.interval = percentileRatioInterval(samples, p);
      intervals++;
    }
  const targets = new Map<string, Target>(Object.values(benchTargets(parsed.sets)).map((t) => [t.text, t]));
  let verdicts = 0;
  for (const row of text.rows) {
    const target = row.target === undefined ? undefined : targets.get(row.target);
    if (!target) continue;
    // A figure the run could not take (null) meets nothing.
    row.met = row.value !== null && target.meets(row.value);
    verdicts++;
  }
  writeFileSync(file, `${JSON.stringify(text, null, 2)}\n`);
  console.log(
    `${file}: ${intervals} intervals computed again from the kept samples, ${verdicts} rows judged`,
  );
}
