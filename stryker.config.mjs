// `make mutation`: Stryker mutates the modules that decide what gets deleted and what status says, and
// runs the fast tests (unit + providers, vitest.mutation.config.ts) against each mutant. The TypeScript
// checker drops mutants that do not compile before any test runs. Score and the survivors accepted as
// equivalent: mutation/baseline.json; the README "Mutation testing" section says how long it takes.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  coverageAnalysis: "perTest",
  // The CI machine has 2 cores; more workers only queue.
  concurrency: 2,
  timeoutMS: 10_000,
  mutate: [
    "src/reconcilers/tenant/decide.ts",
    "src/reconcilers/tenant/plan.ts",
    "src/reconcilers/redis/decide.ts",
    "src/reconcilers/redis/plan.ts",
    "src/reconcilers/engine/approval-gate.ts",
    "src/reconcilers/engine/status.ts",
    "src/reconcilers/engine/step.ts",
    "src/reconcilers/approval.ts",
    "src/providers/dcs/signer.ts",
    "src/controller/conditions.ts",
    "src/controller/status-writer.ts",
  ],
  ignorePatterns: ["dist", "coverage", ".cache", "bench/results", ".demo-kubeconfig", ".kind-kubeconfig"],
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "coverage/mutation/mutation.json" },
  htmlReporter: { fileName: "coverage/mutation/mutation.html" },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: "coverage/stryker-tmp",
};
