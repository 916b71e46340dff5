import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/reporters/summary-line.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "providers",
          include: ["test/providers/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/harness/global-setup.ts"],
          // Deadlines on conditions, not durations: generous, so a loaded machine is not a failure.
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // One API server is shared; files run in parallel, each in its own namespace.
          fileParallelism: true,
        },
      },
      {
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          // After the other projects, so its two operator processes do not load the machine under them.
          sequence: { groupOrder: 1 },
          environment: "node",
          globalSetup: ["test/harness/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
