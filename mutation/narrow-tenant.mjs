// The test files that reach each tenant/engine file of mutation/modules.mjs (found by grepping test/unit and
// test/providers for imports of the file and of the modules that call it). A run against only these is much
// faster on a loaded 2-core machine; a mutant they kill is killed by the whole unit + providers run too, so a
// score measured so is a lower bound of stryker.config.mjs's. Used by stryker.narrow-tenant.config.mjs and
// `make mutation-tenant FILE=...` (which records the figures, the narrowing named in the recorded command).
// `node mutation/narrow-tenant.mjs FILE` prints FILE's list, comma-separated (MUTATION_TESTS's form).

const tenant = [
  "test/unit/decide-tenant*.test.ts",
  "test/unit/transitions.test.ts",
  "test/unit/fleet-rules-*.test.ts",
  "test/unit/mutation-kills*.test.ts",
  "test/unit/plan-decisions.test.ts",
  "test/unit/planners.test.ts",
  "test/unit/set-reconciler.test.ts",
  "test/unit/ownership.test.ts",
  "test/unit/fleet-budget.test.ts",
  "test/unit/settle-gate.test.ts",
  "test/unit/remote-identity.test.ts",
  "test/unit/tenant-lookup-groups.test.ts",
  "test/providers/scale-out-refusals.test.ts",
];
/** The tenant kind's remote half (kind.ts) is also judged alone against the obshell simulator. */
const tenantKind = [...tenant, "test/providers/tenant-kind.test.ts"];
/** The add refusals: the table of obshell's codes, the decision, and the kind against the simulator. */
const addRefusals = [
  "test/unit/add-refusals.test.ts",
  "test/unit/decide-tenant-scaleout.test.ts",
  "test/providers/scale-out-refusals.test.ts",
  "test/providers/tenant-kind.test.ts",
];
/** The settle clock and the fleet budget: their tables and the engine that consults them. */
const settleGate = [
  "test/unit/settle-gate.test.ts",
  "test/unit/set-reconciler.test.ts",
  "test/unit/fleet-budget.test.ts",
];
/** Tenant ownership: the engine's and fleet rules' tests, and the table of peers with two claims. */
const tenantFleet = [...tenant, "test/unit/tenant-peers.test.ts"];
const budget = ["test/unit/fleet-budget.test.ts", "test/unit/set-reconciler.test.ts"];
const credentials = [
  "test/unit/credential-health.test.ts",
  "test/unit/fleet-rules-*.test.ts",
  "test/unit/set-reconciler.test.ts",
  "test/unit/events-on-change.test.ts",
  "test/unit/fleet-budget.test.ts",
  "test/unit/mutation-kills*.test.ts",
  "test/providers/credential-health-lease.test.ts",
  "test/providers/dcs-permission-denied.test.ts",
  "test/providers/dcs-fleet-rules.test.ts",
];

/** The tests each file is mutated against. */
export const TENANT_TESTS = {
  "src/reconcilers/tenant/decide.ts": tenant,
  "src/reconcilers/tenant/transitions.ts": tenant,
  "src/reconcilers/tenant/plan.ts": tenant,
  "src/reconcilers/tenant/kind.ts": tenantKind,
  "src/reconcilers/tenant/add-refusals.ts": addRefusals,
  "src/reconcilers/tenant/fleet.ts": tenantFleet,
  "src/reconcilers/engine/approval-gate.ts": tenant,
  "src/reconcilers/engine/settle-gate.ts": settleGate,
  "src/reconcilers/budget.ts": budget,
  "src/reconcilers/engine/credential-health.ts": credentials,
  "src/reconcilers/engine/memory-credential-health.ts": credentials,
  "src/reconcilers/engine/lease-credential-health.ts": credentials,
};

if (process.argv[1] === import.meta.filename) {
  const tests = TENANT_TESTS[process.argv[2] ?? ""];
  if (!tests) throw new Error(`one of: ${Object.keys(TENANT_TESTS).join(", ")}`);
  console.log(tests.join(","));
}
