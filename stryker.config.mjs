// `make mutation`: Stryker mutates the modules that decide what gets deleted and what status says
// (mutation/modules.mjs, `unit`), and runs the fast tests (unit + providers, vitest.mutation.config.ts)
// against each mutant. The TypeScript checker drops mutants that do not compile before any test runs.
// One file alone: `make mutation-file FILE=src/...` (scripts/mutation-record.ts runs
// `npx stryker run --mutate FILE` and records the file's figures in mutation/baseline.json).
// Incremental: results are kept in coverage/stryker-incremental.json, and a re-run only tests the mutants
// whose code or covering tests changed; files not mutated in a run keep their results there.
import { unit } from "./mutation/modules.mjs";

// MUTATION_SLOT=b keeps a second run's sandbox, incremental file and report apart from the first's, so two
// runs on different files can overlap without overwriting each other's results.
const slot = process.env.MUTATION_SLOT ? `-${process.env.MUTATION_SLOT}` : "";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  coverageAnalysis: "perTest",
  // 2 cores, shared with other work: one worker, and a timeout that a loaded machine does not hit.
  concurrency: 1,
  timeoutMS: 60_000,
  timeoutFactor: 3,
  incremental: true,
  incrementalFile: `coverage/stryker-incremental${slot}.json`,
  mutate: unit,
  ignorePatterns: ["dist", "coverage", ".cache", "bench/results", ".demo-kubeconfig", ".kind-kubeconfig"],
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: `coverage/mutation${slot}/mutation.json` },
  htmlReporter: { fileName: `coverage/mutation${slot}/mutation.html` },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: `coverage/stryker-tmp${slot}`,
};
