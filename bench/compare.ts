// make bench-compare: the latest results against the baseline kept in the repo. A figure that holds on a
// loaded machine (CPU seconds, counts, memory, in-run ratios) more than 10 % worse than its baseline is a
// REGRESSION and the command exits 1; a wall time or rate that much worse is only flagged (slower?), with both
// runs' load averages printed beside it, since a busy neighbour moves it. An operator / design minimum ratio,
// where both runs kept their samples, fails only when the interval of its move lies wholly over 10 %.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decidedlyWorse,
  isMinimumRatio,
  LOADED_RATIO_TOLERANCE,
  loadedRatioMoves,
  loadIndependent,
  MOVE_READING_TEXT,
  REGRESSION_TOLERANCE,
  verdict,
} from "./regression.js";
import { benchResults } from "./results-file.js";
import { format } from "./stats.js";

const dir = import.meta.dirname;
const load = (file: string) => {
  const parsed = benchResults.safeParse(JSON.parse(readFileSync(join(dir, file), "utf8")));
  if (!parsed.success) {
    console.error(
      `bench/${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    process.exit(1);
  }
  return parsed.data;
};
if (!existsSync(join(dir, "results", "latest.json"))) {
  console.error("no bench/results/latest.json: run make bench first");
  process.exit(1);
}
const latest = load("results/latest.json");
const baseline = load("baseline.json");
const base = new Map(baseline.rows.map((r) => [r.metric, r.value]));
const hogged = (r: typeof latest) => (r.cpuHog ? " (with a CPU hog on one core)" : "");
console.log(`baseline ${baseline.date}${hogged(baseline)}  vs  latest ${latest.date}${hogged(latest)}`);
const loads = (r: typeof latest) =>
  (r.phases ?? []).map((p) => `${p.phase} ${p.load1.toFixed(1)}`).join(", ") || "not recorded";
console.log(
  `load average (1 min) at the end of each phase: baseline ${loads(baseline)}; latest ${loads(latest)}\n`,
);
const width = Math.max(...latest.rows.map((r) => r.metric.length));
console.log(`${"metric".padEnd(width)}  ${"baseline".padStart(9)}  ${"latest".padStart(9)}  ratio`);
const regressions: string[] = [];
const slower: string[] = [];
/** Each operator / design minimum ratio's move, with its interval, where both runs kept their samples. */
const moves = new Map(loadedRatioMoves(latest, baseline).map((m) => [m.metric, m]));
for (const r of latest.rows) {
  const b = base.get(r.metric);
  const ratio = b === undefined || b === 0 ? "-" : `${(r.value / b).toFixed(2)}x`;
  const v = verdict(r, b);
  const move = moves.get(r.metric);
  const undecided = v === "worse" && move !== undefined && !decidedlyWorse(move);
  const fails = v === "worse" && loadIndependent(r) && !undecided;
  if (fails) regressions.push(r.metric);
  else if (v === "worse") slower.push(r.metric);
  const note = fails
    ? "  REGRESSION"
    : undecided
      ? `  worse? (90 % interval ${format(move.interval[0])}-${format(move.interval[1])}x: the samples cannot tell)`
      : v === "worse"
        ? "  slower? (wall time: compare the loads)"
        : "";
  console.log(
    `${r.metric.padEnd(width)}  ${(b === undefined ? "-" : format(b)).padStart(9)}  ${format(r.value).padStart(9)}  ${ratio.padStart(6)}${note}`,
  );
}
console.log(
  regressions.length === 0
    ? `\nno metric more than ${REGRESSION_TOLERANCE * 100} % worse than the baseline`
    : `\n${regressions.length} metric(s) more than ${REGRESSION_TOLERANCE * 100} % worse than the baseline`,
);
if (slower.length > 0)
  console.log(
    `${slower.length} figure(s) more than ${REGRESSION_TOLERANCE * 100} % worse but not failed: wall times (compare the loads) and ratios whose interval reaches under ${REGRESSION_TOLERANCE * 100} %`,
  );
// One run quiet and one with a CPU hog: issue 29 asks their operator / design minimum ratios to agree.
if (Boolean(latest.cpuHog) !== Boolean(baseline.cpuHog)) {
  const moved = latest.rows.filter(isMinimumRatio).filter((r) => {
    const b = base.get(r.metric);
    return b === undefined || Math.abs(r.value / b - 1) > LOADED_RATIO_TOLERANCE;
  });
  console.log(
    moved.length === 0
      ? `every operator / design minimum ratio within ${LOADED_RATIO_TOLERANCE * 100} % of the other run's`
      : `operator / design minimum ratios more than ${LOADED_RATIO_TOLERANCE * 100} % from the other run's: ${moved.map((r) => r.metric).join("; ")}`,
  );
  // How sure each of those is, from both runs' samples (bench/regression.ts readMove).
  for (const move of moves.values())
    console.log(
      `  ${move.label}: ${format(move.value)}x the other run's (90 % interval ${format(move.interval[0])}-${format(move.interval[1])}): ${MOVE_READING_TEXT[move.reading]}`,
    );
}
if (regressions.length > 0) process.exit(1);
