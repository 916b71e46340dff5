// `make mutation-integration`: the modules only a running operator reaches (mutation/modules.mjs,
// `integration`), against the tests in vitest.mutation-integration.config.ts (unit, providers and three
// stories on the real API server). Slow: run one file at a time
// (`make mutation-integration FILE=src/reconcilers/connect.ts`). Its own incremental file and report.

import { integration } from "./mutation/modules.mjs";
import base from "./stryker.config.mjs";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: "vitest.mutation-integration.config.ts" },
  // A story waits on conditions for up to 3 min on a loaded machine.
  timeoutMS: 240_000,
  incrementalFile: "coverage/stryker-incremental-integration.json",
  mutate: integration,
  jsonReporter: { fileName: "coverage/mutation-integration/mutation.json" },
  htmlReporter: { fileName: "coverage/mutation-integration/mutation.html" },
  tempDirName: "coverage/stryker-tmp-integration",
};
