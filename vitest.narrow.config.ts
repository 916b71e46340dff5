// The tests stryker.narrow.config.mjs runs against each mutant of one file: MUTATION_TESTS, comma-separated
// globs (set by that configuration); unit + providers, as vitest.mutation.config.ts, when unset.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: (process.env.MUTATION_TESTS ?? "test/unit/**/*.test.ts,test/providers/**/*.test.ts").split(","),
    environment: "node",
    testTimeout: 30_000,
  },
});
