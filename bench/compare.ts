// make bench-compare: the latest results against the baseline kept in the repo.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
for (const r of latest.rows) {
  const b = base.get(r.metric);
  const ratio = b === undefined || b === 0 ? "-" : `${(r.value / b).toFixed(2)}x`;
  console.log(
    `${r.metric.padEnd(width)}  ${(b === undefined ? "-" : format(b)).padStart(9)}  ${format(r.value).padStart(9)}  ${ratio}`,
  );
}
