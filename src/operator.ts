// The operator: the engine joined to both kinds through the one generic set reconciler. Used by
// `dbfleet-operator run`, the demo, the benchmarks and the e2e tests.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type RedisInstanceSet, redisInstanceSet } from "./api/redis-instance-set.js";
import { type TenantReplicaSet, tenantReplicaSet } from "./api/tenant-replica-set.js";
import type { KubeAccess } from "./controller/kube-access.js";
import { Manager, type ManagerOptions, type ReconcileContext } from "./controller/manager.js";
import type { KubeObject } from "./controller/resource.js";
import type { OperatorMetrics } from "./observability/metrics.js";
import type { DcsClient } from "./providers/dcs/client.js";
import type { ObshellClient } from "./providers/obshell/client.js";
import { ClientPool } from "./reconcilers/connect.js";
import { SharedListings } from "./reconcilers/dcs-listings.js";
import type { CredentialHealth } from "./reconcilers/engine/credential-health.js";
import { MemoryCredentialHealth } from "./reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "./reconcilers/engine/set-reconciler.js";
import { informerSecrets } from "./reconcilers/informer-secrets.js";
import type { RedisTiming } from "./reconcilers/redis/decide.js";
import { redisKind } from "./reconcilers/redis/kind.js";
import { REDIS_INSTANCE_SET, TENANT_REPLICA_SET } from "./reconcilers/resources.js";
import type { TenantTiming } from "./reconcilers/tenant/decide.js";
import { tenantKind } from "./reconcilers/tenant/kind.js";

export interface OperatorOptions extends Omit<ManagerOptions, "kubeConfig" | "logger" | "metrics"> {
  kubeConfig: KubeConfig | KubeAccess;
  logger: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  tenant?: Partial<TenantTiming>;
  redis?: Partial<RedisTiming>;
  credentials?: CredentialHealth;
}

export interface Operator {
  manager: Manager;
  /** Clients in use, per kind: released when no set uses them. */
  obshellClients: ClientPool<ObshellClient>;
  dcsClients: ClientPool<DcsClient>;
  listings: SharedListings;
  stop(deadlineMs?: number): Promise<void>;
}

/** Failures back off per set in the work queue: 1 s doubling to 5 min (a remote is not hammered). */
const REMOTE_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 300_000 };

function secretsOf(object: KubeObject): string[] {
  const trs = tenantReplicaSet.safeParse(object);
  if (trs.success) {
    const names = [trs.data.spec.obshell.credentialsSecretRef.name];
    const ca = trs.data.spec.obshell.tls?.caSecretRef;
    if (ca) names.push(ca.name);
    const op = trs.data.status?.operation;
    if (op?.credentialsSecretName) names.push(op.credentialsSecretName);
    return names;
  }
  const ris = redisInstanceSet.safeParse(object);
  return ris.success ? [ris.data.spec.dcs.credentialsSecretRef.name] : [];
}

export function createOperator(options: OperatorOptions): Operator {
  const manager = new Manager(options);
  const onRequest = options.metrics.onRemoteRequest;
  const credentials = options.credentials ?? new MemoryCredentialHealth();
  const obshellClients = new ClientPool<ObshellClient>();
  const dcsClients = new ClientPool<DcsClient>();
  const listings = new SharedListings();
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
  });
  manager.addController<KubeObject>({
    name: "tenantreplicaset",
    type: TENANT_REPLICA_SET,
    workers: options.workers ?? 4,
    rateLimit: REMOTE_BACKOFF,
    secretsOf,
    reconciler: (ctx) =>
      new SetReconciler(
        tenantKind({
          secrets: informerSecrets(() => ctx.secrets),
          onRequest,
          pool: obshellClients,
          ...(options.tenant ? { timing: options.tenant } : {}),
        }),
        deps(ctx),
      ),
    onGone: (key) => obshellClients.release(key),
  });
  manager.addController<KubeObject>({
    name: "redisinstanceset",
    type: REDIS_INSTANCE_SET,
    workers: options.workers ?? 4,
    rateLimit: REMOTE_BACKOFF,
    secretsOf,
    reconciler: (ctx) =>
      new SetReconciler(
        redisKind({
          secrets: informerSecrets(() => ctx.secrets),
          onRequest,
          pool: dcsClients,
          listings,
          ...(options.redis ? { timing: options.redis } : {}),
        }),
        deps(ctx),
      ),
    onGone: (key) => dcsClients.release(key),
  });
  return operator;
}

export type { RedisInstanceSet, TenantReplicaSet };
