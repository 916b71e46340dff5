// The operator: the engine joined to every kind of the KINDS list through the one generic set reconciler.
// Used by `dbfleet-operator run`, the demo, the benchmarks and the e2e tests.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Reason } from "./api/reasons.js";
import {
  type ConnectionKind,
  connectionOf,
  inlineSecretsOf,
  secretsOfConnectionObject,
} from "./connections/dependencies.js";
import { locateConnection, type ResolveContext, resolveConnection } from "./connections/resolve.js";
import type { KubeAccess } from "./controller/kube-access.js";
import {
  type DependencySpec,
  Manager,
  type ManagerOptions,
  type NamespacedInformers,
  type ReconcileContext,
} from "./controller/manager.js";
import { collectionPath, type KubeObject, splitKey } from "./controller/resource.js";
import type { OperatorMetrics } from "./observability/metrics.js";
import { EndpointPolicy } from "./providers/endpoint-policy.js";
import type { CredentialHealth } from "./reconcilers/engine/credential-health.js";
import type { KindModule, KindRuntime } from "./reconcilers/engine/kind-module.js";
import { LeaseCredentialHealth } from "./reconcilers/engine/lease-credential-health.js";
import { FleetBudgets } from "./reconcilers/fleet-budgets.js";
import { FLEET_INDEX, keyOf, type LocateRemote } from "./reconcilers/fleet-view.js";
import { fleetGroups, isLookupGroup, KINDS, sameIndexInputs } from "./reconcilers/kinds.js";
import type { RedisTiming } from "./reconcilers/redis/decide.js";
import {
  CLUSTER_DATABASE_CONNECTION,
  DATABASE_CONNECTION,
  FLEET_DISRUPTION_BUDGET,
} from "./reconcilers/resources.js";
import type { TenantTiming } from "./reconcilers/tenant/decide.js";

export interface OperatorOptions extends Omit<ManagerOptions, "kubeConfig" | "logger" | "metrics"> {
  kubeConfig: KubeConfig | KubeAccess;
  logger: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  /** A deadline for one reconcile (default 5 minutes). */
  reconcileTimeoutMs?: number;
  tenant?: Partial<TenantTiming>;
  redis?: Partial<RedisTiming>;
  credentials?: CredentialHealth;
  /** Where remotes may be reached; by default loopback, link-local and the like are refused. */
  endpointPolicy?: EndpointPolicy;
  /** Sets may name their endpoint and Secret inline (spec.obshell / spec.dcs); off by default. */
  allowInlineConnections?: boolean;
  /** Receives every credential value read, so that logs, status and Events are scrubbed of it. */
  secretValues?: { add(value: string): void; scrub(text: string): string };
  /** Watch ClusterDatabaseConnections (cluster-scoped: off where the operator has only Roles). */
  clusterConnections?: boolean;
  /** Watch FleetDisruptionBudgets (cluster-scoped: off where the operator has only Roles). */
  disruptionBudgets?: boolean;
  /**
   * The clock the sets decide by (backoffs, the 15 min of an accepted deletion), so a test can move it; the
   * work queue, leases and request signing keep real time.
   */
  now?: () => Date;
}

const BUDGET_REASONS = new Set<string>([Reason.BudgetExhausted, Reason.BudgetTooSmall, Reason.BudgetInvalid]);

/** A set whose last decision a FleetDisruptionBudget held back. */
function heldByBudget(set: KubeObject): boolean {
  const conditions = (set.status as { conditions?: { type?: string; reason?: string }[] } | undefined)
    ?.conditions;
  const ready = Array.isArray(conditions) ? conditions.find((c) => c.type === "Ready") : undefined;
  return BUDGET_REASONS.has(ready?.reason ?? "");
}

export interface Operator {
  manager: Manager;
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * A reconcile's deadline: longer than a remote's slowest honest answer (a 30 s request timeout, retried),
 * short enough that a few stuck remotes cannot hold every worker of a kind for long.
 */
const RECONCILE_TIMEOUT_MS = 300_000;
/** Failures back off per set in the work queue: 1 s doubling to 5 min (a remote is not hammered). */
const REMOTE_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 300_000 };

export function createOperator(options: OperatorOptions): Operator {
  const operatorNamespace =
    options.operatorNamespace ?? options.leaderElection?.namespace ?? "dbfleet-system";
  const manager: Manager = new Manager({
    ...options,
    // Secrets are read in the operator's namespace only for ClusterDatabaseConnections.
    operatorNamespace: options.clusterConnections === false ? undefined : operatorNamespace,
    // Refusals remembered across restarts are read before anything is sent.
    beforeControllers: async () => {
      if (credentials instanceof LeaseCredentialHealth) await credentials.load();
      await seedBudgets();
    },
  });
  const credentials: CredentialHealth =
    options.credentials ?? new LeaseCredentialHealth(manager.http, operatorNamespace, options.logger);
  const onRequest = options.metrics.onRemoteRequest;
  const endpointPolicy = options.endpointPolicy ?? new EndpointPolicy();
  const connections = manager.informersFor(DATABASE_CONNECTION);
  const clusterConnections =
    options.clusterConnections === false ? undefined : manager.informersFor(CLUSTER_DATABASE_CONNECTION);
  let secrets: () => { get(key: string): unknown } = () => ({ get: () => undefined });
  const lookups: Omit<ResolveContext, "secrets"> = {
    connections,
    clusterConnections: clusterConnections ?? { get: () => undefined },
    operatorNamespace,
    allowInlineConnections: options.allowInlineConnections ?? false,
    ...(options.secretValues ? { secretValues: options.secretValues } : {}),
  };
  // Budgets are the admin's, whatever label selector shards the sets: every shard obeys every budget.
  const budgetObjects =
    options.disruptionBudgets === false
      ? undefined
      : manager.informersFor(FLEET_DISRUPTION_BUDGET, { allLabels: true });
  const setCaches: NamespacedInformers[] = [];
  const budgets = budgetObjects
    ? new FleetBudgets({
        budgets: () => budgetObjects.list(),
        sets: () => setCaches.flatMap((c) => c.list()),
      })
    : undefined;
  if (budgets) options.metrics.watchBudgets(() => budgets.usage(new Date()));
  /** On leading: every set's recorded disruptions from a fresh list, not only from the watch cache. */
  const seedBudgets = async () => {
    if (!budgets) return;
    const watched = options.namespaces?.length ? options.namespaces : [undefined];
    const query = options.labelSelector ? `?labelSelector=${encodeURIComponent(options.labelSelector)}` : "";
    try {
      for (const { type } of KINDS)
        for (const namespace of watched) {
          const list = await manager.http.json<{ items?: KubeObject[] }>(
            `${collectionPath(type, namespace)}${query}`,
          );
          budgets.seed((list.items ?? []).map((o) => ({ ...o, kind: type.kind })));
        }
    } catch (error) {
      // Counted from the watch cache alone: only work the previous leader wrote in its last moments can be missed.
      options.logger.warn(
        { err: error },
        "could not list the sets for the fleet's budgets; counting from the cache",
      );
    }
  };
  // A budget added, changed or removed: the sets it held back decide again now, not when their window frees.
  const heldQueues: { cache: NamespacedInformers; queue: { add(key: string): void } }[] = [];
  budgetObjects?.on((event) => {
    if (event.type === "resync") return;
    for (const { cache, queue } of heldQueues)
      for (const set of cache.list()) if (heldByBudget(set)) queue.add(keyOf(set));
  });
  const connect = {
    resolve: (set: Parameters<typeof resolveConnection>[0]) =>
      resolveConnection(set, { ...lookups, secrets: secrets() }),
    endpointPolicy,
    onRequest,
  };
  const locate: LocateRemote = (kind, namespace, spec) =>
    locateConnection({ kind, namespace, spec }, lookups);
  const groups = fleetGroups(locate);
  const timings = { tenant: options.tenant, redis: options.redis };
  const runtimes: KindRuntime[] = [];

  /** A set's connection, of `kind`: it may arrive before or after the set, and change under it. */
  const connectionDependency = (
    module: KindModule,
    kind: ConnectionKind,
    cache: NamespacedInformers,
  ): DependencySpec<KubeObject> => ({
    cache,
    refsOf: (object) => {
      const set = module.connectionSpec(object);
      const connection = set && connectionOf(set);
      return connection?.kind === kind ? [connection.key] : [];
    },
    secretsOf: (key, connection) => secretsOfConnectionObject(kind, key, connection, operatorNamespace),
  });

  const controllerOf = (module: KindModule) => {
    let runtime: KindRuntime | undefined;
    const cache = manager.addController<KubeObject>({
      name: module.controller,
      type: module.type,
      transform: (object) => module.cacheForm(object),
      workers: options.workers ?? 4,
      reconcileTimeoutMs: options.reconcileTimeoutMs ?? RECONCILE_TIMEOUT_MS,
      rateLimit: REMOTE_BACKOFF,
      // The Secrets a set names itself: an inline connection's, and those an operation in flight started with.
      secretsOf: (object) => {
        const set = module.connectionSpec(object);
        return set
          ? [...inlineSecretsOf(set, lookups.allowInlineConnections), ...module.startedSecrets(object)]
          : [];
      },
      dependsOn: [
        connectionDependency(module, "DatabaseConnection", connections),
        ...(clusterConnections
          ? [connectionDependency(module, "ClusterDatabaseConnection", clusterConnections)]
          : []),
      ],
      peers: { index: FLEET_INDEX, groupsOf: groups, lookupOnly: isLookupGroup },
      sameIndexInputs,
      reconciler: (ctx: ReconcileContext<KubeObject>) => {
        secrets = () => ctx.secrets;
        heldQueues.push({ cache: ctx.cache, queue: ctx.queue });
        runtime = module.create({ connect, fleet: ctx.cache, locate, timings });
        runtimes.push(runtime);
        return runtime.reconciler({
          cache: ctx.cache,
          status: ctx.status,
          events: ctx.events,
          credentials,
          metrics: options.metrics,
          ...(budgets ? { budgets } : {}),
          ...(options.now ? { now: options.now } : {}),
        });
      },
      onGone: (key) => {
        runtime?.release(key);
        const { namespace = "", name } = splitKey(key);
        options.metrics.forgetSet(module.kind, namespace, name);
      },
    });
    setCaches.push(cache);
  };
  for (const module of KINDS) controllerOf(module);

  return {
    manager,
    async stop(deadlineMs = 10_000) {
      await manager.stop(deadlineMs);
      await Promise.all(runtimes.map((r) => r.close()));
    },
  };
}
