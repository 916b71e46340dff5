// The operator: the engine joined to both kinds through the one generic set reconciler. Used by
// `dbfleet-operator run`, the demo, the benchmarks and the e2e tests.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { redisInstanceSet } from "./api/redis-instance-set.js";
import { tenantReplicaSet } from "./api/tenant-replica-set.js";
import { ConnectionClients } from "./connections/client-pool.js";
import {
  type ConnectionKind,
  connectionOf,
  inlineSecretsOf,
  secretsOfConnectionObject,
} from "./connections/dependencies.js";
import { EndpointPolicy } from "./connections/endpoint-policy.js";
import {
  locateConnection,
  type ResolveContext,
  resolveConnection,
  type SetConnectionSpec,
} from "./connections/resolve.js";
import type { KubeAccess } from "./controller/kube-access.js";
import {
  type DependencySpec,
  Manager,
  type ManagerOptions,
  type NamespacedInformers,
  type ReconcileContext,
} from "./controller/manager.js";
import type { KubeObject } from "./controller/resource.js";
import type { OperatorMetrics } from "./observability/metrics.js";
import type { DcsClient } from "./providers/dcs/client.js";
import type { ObshellClient } from "./providers/obshell/client.js";
import { SharedListings } from "./reconcilers/dcs-listings.js";
import type { CredentialHealth } from "./reconcilers/engine/credential-health.js";
import { LeaseCredentialHealth } from "./reconcilers/engine/lease-credential-health.js";
import { SetReconciler } from "./reconcilers/engine/set-reconciler.js";
import { FLEET_INDEX, fleetGroups, redisPeers, tenantPeers } from "./reconcilers/fleet-view.js";
import type { RedisTiming } from "./reconcilers/redis/decide.js";
import { redisKind } from "./reconcilers/redis/kind.js";
import {
  CLUSTER_DATABASE_CONNECTION,
  DATABASE_CONNECTION,
  REDIS_INSTANCE_SET,
  TENANT_REPLICA_SET,
} from "./reconcilers/resources.js";
import type { TenantTiming } from "./reconcilers/tenant/decide.js";
import { tenantKind } from "./reconcilers/tenant/kind.js";

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
}

export interface Operator {
  manager: Manager;
  /** Clients in use, per kind: released when no set uses them. */
  obshellClients: ConnectionClients<ObshellClient>;
  dcsClients: ConnectionClients<DcsClient>;
  listings: SharedListings;
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * A reconcile's deadline: longer than a remote's slowest honest answer (a 30 s request timeout, retried),
 * short enough that a few stuck remotes cannot hold every worker of a kind for long.
 */
const RECONCILE_TIMEOUT_MS = 300_000;
/** Failures back off per set in the work queue: 1 s doubling to 5 min (a remote is not hammered). */
const REMOTE_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 300_000 };

/** A set as the connection resolver reads it; undefined when it does not parse. */
function connectionSpecOf(object: KubeObject): SetConnectionSpec | undefined {
  const namespace = object.metadata.namespace ?? "default";
  const trs = tenantReplicaSet.safeParse(object);
  if (trs.success) return { kind: "TenantReplicaSet", namespace, spec: trs.data.spec };
  const ris = redisInstanceSet.safeParse(object);
  if (ris.success) return { kind: "RedisInstanceSet", namespace, spec: ris.data.spec };
  return undefined;
}

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
    },
  });
  const credentials: CredentialHealth =
    options.credentials ?? new LeaseCredentialHealth(manager.http, operatorNamespace, options.logger);
  const onRequest = options.metrics.onRemoteRequest;
  const endpointPolicy = options.endpointPolicy ?? new EndpointPolicy();
  const obshellClients = new ConnectionClients<ObshellClient>();
  const dcsClients = new ConnectionClients<DcsClient>();
  const listings = new SharedListings();
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
  const resolve = (set: SetConnectionSpec) => resolveConnection(set, { ...lookups, secrets: secrets() });
  /** The Secrets a set names itself: an inline connection's, and those an operation in flight started with. */
  const ownSecrets = (object: KubeObject): string[] => {
    const set = connectionSpecOf(object);
    if (!set) return [];
    const keys = inlineSecretsOf(set, lookups.allowInlineConnections);
    const op = tenantReplicaSet.safeParse(object);
    const started = op.success ? op.data.status?.operation?.credentialsSecretName : undefined;
    if (started) keys.push(`${set.namespace}/${started}`);
    return keys;
  };
  /** A set's connection, of `kind`: it may arrive before or after the set, and change under it. */
  const connectionDependency = (
    kind: ConnectionKind,
    cache: NamespacedInformers,
  ): DependencySpec<KubeObject> => ({
    cache,
    refsOf: (object) => {
      const set = connectionSpecOf(object);
      const connection = set && connectionOf(set);
      return connection?.kind === kind ? [connection.key] : [];
    },
    secretsOf: (key, connection) => secretsOfConnectionObject(kind, key, connection, operatorNamespace),
  });
  const dependsOn = [
    connectionDependency("DatabaseConnection", connections),
    ...(clusterConnections ? [connectionDependency("ClusterDatabaseConnection", clusterConnections)] : []),
  ];
  const groups = fleetGroups((kind, namespace, spec) => locateConnection({ kind, namespace, spec }, lookups));
  const setController = {
    reconcileTimeoutMs: options.reconcileTimeoutMs ?? RECONCILE_TIMEOUT_MS,
    rateLimit: REMOTE_BACKOFF,
    secretsOf: ownSecrets,
    dependsOn,
    peers: { index: FLEET_INDEX, groupsOf: groups },
  };

  const operator: Operator = {
    manager,
    obshellClients,
    dcsClients,
    listings,
    async stop(deadlineMs = 10_000) {
      await manager.stop(deadlineMs);
      await obshellClients.closeAll();
      await dcsClients.closeAll();
    },
  };

  const deps = (ctx: ReconcileContext<KubeObject>) => ({
    cache: ctx.cache,
    status: ctx.status,
    events: ctx.events,
    credentials,
    metrics: options.metrics,
  });
  const connect = { resolve, endpointPolicy, onRequest };

  manager.addController<KubeObject>({
    name: "tenantreplicaset",
    type: TENANT_REPLICA_SET,
    workers: options.workers ?? 4,
    ...setController,
    reconciler: (ctx) => {
      secrets = () => ctx.secrets;
      return new SetReconciler(
        tenantKind({
          ...connect,
          pool: obshellClients,
          peers: (set, id, remote) => tenantPeers(ctx.cache, id, remote.endpoint, set.spec.tenant),
          ...(options.tenant ? { timing: options.tenant } : {}),
        }),
        deps(ctx),
      );
    },
    onGone: (key) => {
      obshellClients.release(key);
      const [namespace = "", name = ""] = key.split("/");
      options.metrics.forgetSet("TenantReplicaSet", namespace, name);
    },
  });
  manager.addController<KubeObject>({
    name: "redisinstanceset",
    type: REDIS_INSTANCE_SET,
    workers: options.workers ?? 4,
    ...setController,
    reconciler: (ctx) => {
      secrets = () => ctx.secrets;
      return new SetReconciler(
        redisKind({
          ...connect,
          pool: dcsClients,
          listings,
          peers: (id, remote, instance) =>
            redisPeers(ctx.cache, id, remote.endpoint, remote.projectId ?? "", instance),
          ...(options.redis ? { timing: options.redis } : {}),
        }),
        deps(ctx),
      );
    },
    onGone: (key) => {
      dcsClients.release(key);
      const [namespace = "", name = ""] = key.split("/");
      options.metrics.forgetSet("RedisInstanceSet", namespace, name);
    },
  });
  return operator;
}
