// npx tsx bench/reinterval.ts FILE...: recomputes each operator / design minimum ratio's 90 % interval in a
// results file from the samples it kept, with bench/stats.ts as it is now. For when the interval's method
// changes after a run was recorded: the figures stay the run's, only their intervals are computed again.
import { readFileSync, writeFileSync } from "node:fs";
import { minimumRatioMetric } from "./regression.js";
import { benchResults } from "./results-file.js";
import { percentileRatioInterval } from "./stats.js";

for (const file of process.argv.slice(2)) {
  const text = JSON.parse(readFileSync(file, "utf8")) as { rows: { metric: string; interval?: unknown }[] };
  const parsed = benchResults.parse(text);
  let changed = 0;
  for (const [sets, samples] of Object.entries(parsed.latencySamples ?? {}))
    for (const p of [50, 99]) {
      const row = text.rows.find((r) => r.metric === minimumRatioMetric(p, sets));
      if (!row) throw new Error(`${file}: no row "${minimumRatioMetric(p, sets)}" for its kept samples`);
      row.interval = percentileRatioInterval(samples, p);
      changed++;
    }
  writeFileSync(file, `${JSON.stringify(text, null, 2)}\n`);
  console.log(`${file}: ${changed} intervals computed again from the kept samples`);
}
