// The fast tests Stryker runs against each mutant: unit and providers (simulators over real HTTP, no
// API server). Kept apart from vitest.config.ts because Stryker's vitest runner wants one flat project.
// MUTATION_TESTS (comma-separated globs) narrows them, for a quick run against a module's own table
// tests: each mutant re-imports its covering test files, which on a loaded machine dominates the run. A
// score measured so is a lower bound (the full set kills at least as many); the command recorded in
// mutation/baseline.json names the narrowing.
import { defineConfig } from "vitest/config";

const narrowed = process.env.MUTATION_TESTS?.split(",").filter((g) => g !== "");

export default defineConfig({
  test: {
    include: narrowed?.length ? narrowed : ["test/unit/**/*.test.ts", "test/providers/**/*.test.ts"],
    environment: "node",
    // Generous: the machine is shared, and a test that times out in the initial run stops Stryker.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
