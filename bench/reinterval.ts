// npx tsx bench/reinterval.ts FILE...: recomputes each operator / design minimum ratio's 90 % interval in a
// results file from the samples it kept, with bench/stats.ts as it is now. For when the interval's method
// changes after a run was recorded: the figures stay the run's, only their intervals are computed again.
import { readFileSync, writeFileSync } from "node:fs";
import { benchResults } from "./results-file.js";
import { percentileRatioInterval } from "./stats.js";

const ratioRow = /^latency p(\d+) \/ design minimum p\1 \((\d+) sets\)$/;

for (const file of process.argv.slice(2)) {
  const text = JSON.parse(readFileSync(file, "utf8")) as { rows: { metric: string; interval?: unknown }[] };
  const parsed = benchResults.parse(text);
  let changed = 0;
  for (const row of text.rows) {
    const [, p, n] = ratioRow.exec(row.metric) ?? [];
    if (p === undefined || n === undefined) continue;
    const samples = parsed.latencySamples?.[n];
    if (!samples) throw new Error(`${file}: no samples kept at ${n} sets`);
    row.interval = percentileRatioInterval(samples, Number(p));
    changed++;
  }
  writeFileSync(file, `${JSON.stringify(text, null, 2)}\n`);
  console.log(`${file}: ${changed} intervals computed again from the kept samples`);
}
