// The tests `make mutation-integration` runs against each mutant of the modules only a running operator
// reaches (set-reconciler, connect, connections, run): unit and providers, and the stories that run the
// operator in this process against the real API server and the simulators (a child-process operator
// would be invisible to Stryker's per-test coverage). Kept small: each surviving mutant re-runs them.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/unit/**/*.test.ts",
      "test/providers/**/*.test.ts",
      "test/integration/fleet-rules-in-flight.test.ts",
      "test/integration/fleet-safety.test.ts",
      "test/integration/credential-secrets.test.ts",
    ],
    environment: "node",
    globalSetup: ["test/harness/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
