// One file of mutation/modules.mjs `redisDcs`, tested by only the test files that reach it (below), so one
// file's run fits on a loaded 2-core machine: `MUTATION_FILE=src/... npx stryker run stryker.narrow.config.mjs`.
// A mutant these tests kill is killed by the whole unit + providers run too, so a narrow score is a lower
// bound of stryker.config.mjs's. Report: coverage/mutation-narrow/<file>.json.
import base from "./stryker.config.mjs";

const redis = [
  "test/unit/decide-redis.test.ts",
  "test/unit/redis-decide-steps.test.ts",
  "test/unit/fleet-rules-*.test.ts",
  "test/unit/planners.test.ts",
  "test/unit/transitions.test.ts",
  "test/unit/mutation-kills.test.ts",
  "test/unit/ownership.test.ts",
  "test/unit/set-reconciler.test.ts",
  "test/providers/dcs-fidelity.test.ts",
  "test/providers/dcs-fleet-rules.test.ts",
  "test/providers/dcs-client.test.ts",
  "test/providers/redis-kind.test.ts",
];
const endpointPolicy = [
  "test/unit/endpoint-policy.test.ts",
  "test/unit/endpoint-policy-ranges.test.ts",
  "test/unit/fleet-rules-endpoint-policy.test.ts",
  "test/unit/run-endpoint-policy.test.ts",
  "test/providers/endpoint-policy.test.ts",
  "test/providers/transport-tls.test.ts",
  "test/providers/connection-to-client.test.ts",
  "test/providers/endpoint-authority.test.ts",
];

/** The tests each file is mutated against. */
const TESTS = {
  "src/providers/dcs/busy.ts": redis,
  "src/providers/dcs/human-errors.ts": redis,
  "src/reconcilers/redis/decide.ts": redis,
  "src/reconcilers/redis/plan.ts": redis,
  "src/reconcilers/redis/kind.ts": redis,
  "src/reconcilers/redis/observe.ts": redis,
  "src/reconcilers/redis/transitions.ts": redis,
  "src/providers/endpoint-policy.ts": endpointPolicy,
};

const file = process.env.MUTATION_FILE ?? "";
const tests = TESTS[file];
if (!tests) throw new Error(`MUTATION_FILE must be one of: ${Object.keys(TESTS).join(", ")}`);
// Read by vitest.narrow.config.ts in Stryker's test runner processes, which inherit this environment.
process.env.MUTATION_TESTS = tests.join(",");

export default {
  ...base,
  mutate: [file],
  vitest: { configFile: "vitest.narrow.config.ts" },
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: {
    fileName: `coverage/mutation-narrow/${file.replace(/^src\//, "").replace(/\//g, "_")}.json`,
  },
  incrementalFile: "coverage/stryker-narrow-incremental.json",
  tempDirName: "coverage/stryker-narrow-tmp",
};
