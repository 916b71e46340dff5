// Which files Stryker mutates, in groups that can be run alone (`make mutation-file FILE=...`), and which
// of them are decision modules (held to 85 % by test/unit/readme-figures.test.ts through
// mutation/baseline.json). stryker.config.mjs mutates `unit`; stryker.integration.config.mjs `integration`.

/** Tenant, engine, approvals, fleet view and status: killed by the unit + providers tests. */
export const tenantEngine = [
  "src/reconcilers/tenant/decide.ts",
  "src/reconcilers/tenant/plan.ts",
  "src/reconcilers/tenant/kind.ts",
  "src/reconcilers/tenant/observe.ts",
  "src/reconcilers/tenant/transitions.ts",
  "src/reconcilers/tenant/add-refusals.ts",
  "src/reconcilers/tenant/fleet.ts",
  "src/reconcilers/engine/approval-gate.ts",
  "src/reconcilers/engine/settle-gate.ts",
  "src/reconcilers/engine/status.ts",
  "src/reconcilers/engine/step.ts",
  "src/reconcilers/engine/credential-health.ts",
  "src/reconcilers/engine/memory-credential-health.ts",
  "src/reconcilers/engine/lease-credential-health.ts",
  "src/reconcilers/approval.ts",
  "src/reconcilers/budget.ts",
  "src/reconcilers/fleet-view.ts",
  "src/reconcilers/fleet-index.ts",
  "src/controller/conditions.ts",
  "src/controller/status-writer.ts",
];

/** Redis, DCS, endpoint policy, transport and logger: killed by the unit + providers tests. */
export const redisDcs = [
  "src/reconcilers/redis/decide.ts",
  "src/reconcilers/redis/plan.ts",
  "src/reconcilers/redis/kind.ts",
  "src/reconcilers/redis/observe.ts",
  "src/reconcilers/redis/transitions.ts",
  "src/reconcilers/redis/fleet.ts",
  "src/providers/dcs/client.ts",
  "src/providers/dcs/busy.ts",
  "src/providers/dcs/human-errors.ts",
  "src/providers/dcs/signer.ts",
  "src/providers/endpoint-policy.ts",
  "src/providers/transport.ts",
  "src/observability/logger.ts",
];

/** Reached only by the integration tests (the real API server): slow, its own configuration. */
export const integration = [
  "src/reconcilers/engine/set-reconciler.ts",
  "src/reconcilers/connect.ts",
  "src/connections/client-options.ts",
  "src/connections/client-pool.ts",
  "src/connections/dependencies.ts",
  "src/connections/resolve.ts",
  "src/cli/run.ts",
];

export const unit = [...tenantEngine, ...redisDcs];

/** Held to a score of at least 85 %: the modules that decide what is deleted, retried or approved. */
export const decision = [
  "src/reconcilers/tenant/decide.ts",
  "src/reconcilers/tenant/plan.ts",
  "src/reconcilers/tenant/kind.ts",
  "src/reconcilers/tenant/transitions.ts",
  "src/reconcilers/tenant/add-refusals.ts",
  "src/reconcilers/tenant/fleet.ts",
  "src/reconcilers/redis/decide.ts",
  "src/reconcilers/redis/plan.ts",
  "src/reconcilers/redis/kind.ts",
  "src/reconcilers/redis/transitions.ts",
  "src/reconcilers/redis/fleet.ts",
  "src/reconcilers/fleet-view.ts",
  "src/reconcilers/approval.ts",
  "src/reconcilers/budget.ts",
  "src/reconcilers/engine/approval-gate.ts",
  "src/reconcilers/engine/settle-gate.ts",
  "src/reconcilers/engine/credential-health.ts",
  "src/reconcilers/engine/memory-credential-health.ts",
  "src/reconcilers/engine/lease-credential-health.ts",
];
