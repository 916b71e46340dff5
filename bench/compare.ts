// make bench-compare: the latest results against the baseline kept in the repo; a metric more than 10 % worse
// than its baseline is flagged REGRESSION and the command exits 1.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REGRESSION_TOLERANCE, verdict } from "./regression.js";
import { format, type Row } from "./stats.js";

const dir = import.meta.dirname;
const load = (file: string) =>
  JSON.parse(readFileSync(join(dir, file), "utf8")) as { date: string; rows: Row[] };
if (!existsSync(join(dir, "results", "latest.json"))) {
  console.error("no bench/results/latest.json: run make bench first");
  process.exit(1);
}
const latest = load("results/latest.json");
const baseline = load("baseline.json");
const base = new Map(baseline.rows.map((r) => [r.metric, r.value]));
console.log(`baseline ${baseline.date}  vs  latest ${latest.date}\n`);
const width = Math.max(...latest.rows.map((r) => r.metric.length));
console.log(`${"metric".padEnd(width)}  ${"baseline".padStart(9)}  ${"latest".padStart(9)}  ratio`);
const regressions: string[] = [];
for (const r of latest.rows) {
  const b = base.get(r.metric);
  const ratio = b === undefined || b === 0 ? "-" : `${(r.value / b).toFixed(2)}x`;
  const v = verdict(r, b);
  if (v === "worse") regressions.push(r.metric);
  console.log(
    `${r.metric.padEnd(width)}  ${(b === undefined ? "-" : format(b)).padStart(9)}  ${format(r.value).padStart(9)}  ${ratio.padStart(6)}${v === "worse" ? "  REGRESSION" : ""}`,
  );
}
console.log(
  regressions.length === 0
    ? `\nno metric more than ${REGRESSION_TOLERANCE * 100} % worse than the baseline`
    : `\n${regressions.length} metric(s) more than ${REGRESSION_TOLERANCE * 100} % worse than the baseline`,
);
if (regressions.length > 0) process.exit(1);
