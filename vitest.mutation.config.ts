// The fast tests Stryker runs against each mutant: unit and providers (simulators over real HTTP, no
// API server). Kept apart from vitest.config.ts because Stryker's vitest runner wants one flat project.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/providers/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
  },
});
