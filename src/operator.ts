// The operator: the engine joined to both reconcilers. Used by `dbfleet-operator run` and the e2e tests.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { redisInstanceSet } from "./api/redis-instance-set.js";
import { tenantReplicaSet } from "./api/tenant-replica-set.js";
import type { KubeAccess } from "./controller/kube-access.js";
import { Manager, type ManagerOptions } from "./controller/manager.js";
import type { KubeObject } from "./controller/resource.js";
import type { OperatorMetrics } from "./observability/metrics.js";
import { RedisInstanceSetReconciler, type RedisReconcilerOptions } from "./reconcilers/redis-instance-set.js";
import { REDIS_INSTANCE_SET, TENANT_REPLICA_SET } from "./reconcilers/resources.js";
import {
  type TenantReconcilerOptions,
  TenantReplicaSetReconciler,
} from "./reconcilers/tenant-replica-set.js";

export interface OperatorOptions extends Omit<ManagerOptions, "kubeConfig" | "logger" | "metrics"> {
  kubeConfig: KubeConfig | KubeAccess;
  logger: Logger;
  metrics: OperatorMetrics;
  workers?: number;
  tenant?: TenantReconcilerOptions;
  redis?: RedisReconcilerOptions;
}

export interface Operator {
  manager: Manager;
  tenants: TenantReplicaSetReconciler | undefined;
  redis: RedisInstanceSetReconciler | undefined;
  stop(deadlineMs?: number): Promise<void>;
}

function secretOf(schema: typeof tenantReplicaSet | typeof redisInstanceSet) {
  return (object: KubeObject): string[] => {
    const parsed = schema.safeParse(object);
    if (!parsed.success) return [];
    const spec = parsed.data.spec;
    return "obshell" in spec
      ? [spec.obshell.credentialsSecretRef.name]
      : [spec.dcs.credentialsSecretRef.name];
  };
}

export function createOperator(options: OperatorOptions): Operator {
  const manager = new Manager(options);
  const onRequest = options.metrics.onRemoteRequest;
  const operator: Operator = {
    manager,
    tenants: undefined,
    redis: undefined,
    async stop(deadlineMs = 10_000) {
      await manager.stop(deadlineMs);
      await operator.tenants?.clients.closeAll();
      await operator.redis?.clients.closeAll();
    },
  };
  manager.addController<KubeObject>({
    name: "tenantreplicaset",
    type: TENANT_REPLICA_SET,
    workers: options.workers ?? 4,
    secretsOf: secretOf(tenantReplicaSet),
    reconciler: (ctx) => {
      operator.tenants = new TenantReplicaSetReconciler(ctx, { onRequest, ...options.tenant });
      return operator.tenants;
    },
  });
  manager.addController<KubeObject>({
    name: "redisinstanceset",
    type: REDIS_INSTANCE_SET,
    workers: options.workers ?? 4,
    secretsOf: secretOf(redisInstanceSet),
    reconciler: (ctx) => {
      operator.redis = new RedisInstanceSetReconciler(ctx, { onRequest, ...options.redis });
      return operator.redis;
    },
  });
  return operator;
}
