// One tenant/engine file of mutation/modules.mjs, tested by only the test files that reach it
// (mutation/narrow-tenant.mjs): `MUTATION_FILE=src/... npx stryker run stryker.narrow-tenant.config.mjs`.
// To record the figures in mutation/baseline.json use `make mutation-tenant FILE=src/...` instead (the same
// narrowing through MUTATION_TESTS). A narrow score is a lower bound of stryker.config.mjs's. MUTATION_SLOT
// keeps the sandbox, incremental file and report apart from another run's (stryker.config.mjs).
import { TENANT_TESTS } from "./mutation/narrow-tenant.mjs";
import base from "./stryker.config.mjs";

const file = process.env.MUTATION_FILE ?? "";
const tests = TENANT_TESTS[file];
if (!tests) throw new Error(`MUTATION_FILE must be one of: ${Object.keys(TENANT_TESTS).join(", ")}`);
// Read by vitest.mutation.config.ts in Stryker's test runner processes, which inherit this environment.
process.env.MUTATION_TESTS = tests.join(",");

export default { ...base, mutate: [file] };
