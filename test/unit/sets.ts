// Builders shared by the engine's unit tests: sets parsed through the real schemas, obshell DAGs, DCS
// instances as the planner sees them. Defaults describe a healthy set; each test overrides what it is about.
import { API_VERSION } from "../../src/api/group.js";
import {
  type RedisInstanceSet,
  type RedisInstanceSetStatus,
  redisInstanceSet,
} from "../../src/api/redis-instance-set.js";
import {
  type TenantOperation,
  type TenantReplicaSet,
  type TenantReplicaSetStatus,
  tenantReplicaSet,
} from "../../src/api/tenant-replica-set.js";
import { resolveConnection, type SetConnectionSpec } from "../../src/connections/resolve.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import type { SetIdentity } from "../../src/reconcilers/engine/kind.js";
import type { ObservedRedis } from "../../src/reconcilers/redis/plan.js";
import { LOCALITY_NODE, SCALE_IN_DAG } from "../../src/reconcilers/tenant/observe.js";
import type { TenantObservation } from "../../src/reconcilers/tenant/plan.js";

export const NOW = new Date("2026-11-23T10:00:00.000Z");
export const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

export const OBSHELL = "http://10.0.0.1:2886";

export interface TenantSetOptions {
  zones?: string[];
  tenant?: string;
  endpoint?: string;
  secret?: string;
  policy?: Record<string, unknown>;
  paused?: boolean;
  status?: TenantReplicaSetStatus;
  generation?: number;
  annotations?: Record<string, string>;
  /** spec.replicaTemplate: what an added replica is made of (scale-out). */
  replicaTemplate?: Record<string, unknown>;
}

export function tenantManifest(o: TenantSetOptions = {}) {
  return {
    apiVersion: API_VERSION,
    kind: "TenantReplicaSet",
    metadata: {
      name: "orders",
      namespace: "prod",
      generation: o.generation ?? 2,
      resourceVersion: "1",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      obshell: {
        endpoint: o.endpoint ?? OBSHELL,
        credentialsSecretRef: { name: o.secret ?? "obshell" },
        allowInsecureHTTP: true,
      },
      tenant: o.tenant ?? "orders",
      zones: o.zones ?? ["z1", "z2"],
      // The engine stories here are about other rules: a plan runs at once, as before settleTime (its own tests: settle-gate).
      policy: { settleTime: "0s", ...o.policy },
      ...(o.replicaTemplate ? { replicaTemplate: o.replicaTemplate } : {}),
      ...(o.paused ? { paused: true } : {}),
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

export function tenantSet(o: TenantSetOptions = {}): TenantReplicaSet {
  return tenantReplicaSet.parse(tenantManifest(o));
}

export function identity(
  o: { generation?: number; annotations?: Record<string, string>; namespace?: string; name?: string } = {},
): SetIdentity {
  return {
    namespace: o.namespace ?? "prod",
    name: o.name ?? "orders",
    generation: o.generation ?? 2,
    annotations: o.annotations ?? {},
  };
}

/** `"FULL@z1,READONLY@z3"` -> the tenant as observed. */
export function tenantSeen(
  locality: string,
  o: {
    status?: string;
    primaryZone?: string;
    pools?: { name: string; zones: string[] }[];
    unitNum?: number;
    unitConfigs?: string[];
  } = {},
): TenantObservation {
  return {
    name: "orders",
    status: o.status ?? "NORMAL",
    replicas: locality.split(",").map((part) => {
      const [type = "", zone = ""] = part.split("@");
      return { zone, type };
    }),
    primaryZone: o.primaryZone ?? "RANDOM",
    pools: o.pools ?? [],
    ...(o.unitNum === undefined ? {} : { unitNum: o.unitNum }),
    ...(o.unitConfigs === undefined ? {} : { unitConfigs: o.unitConfigs }),
  };
}

/** A replica-removal DAG of tenant orders removing `zones` zones, started a minute ago. */
export function dag(o: Partial<DagDetail> & { zones?: number } = {}): DagDetail {
  const { zones = 1, ...over } = o;
  return {
    id: "11",
    dag_id: 1,
    name: SCALE_IN_DAG,
    stage: 1,
    max_stage: zones + 1,
    state: "RUNNING",
    operator: "RUN",
    start_time: ago(60_000),
    end_time: "0001-01-01T00:00:00Z",
    maintenance_type: 3,
    maintenance_key: "orders",
    nodes: [
      ...Array.from({ length: zones }, (_, i) => ({ id: `n${i}`, name: LOCALITY_NODE, state: "SUCCEED" })),
      { id: "drop", name: "Drop resource pools", state: "PENDING" },
    ],
    ...over,
  };
}

/** The intent of removing `zones`, written two minutes ago for generation 2 on the default target. */
export function operation(o: Partial<TenantOperation> = {}): TenantOperation {
  return {
    kind: "RemoveZones",
    zones: ["z3"],
    startedAt: ago(120_000),
    retries: 0,
    generation: 2,
    endpoint: OBSHELL,
    tenant: "orders",
    credentialsSecretName: "obshell",
    credentialsSecretKey: "password",
    ...o,
  };
}

export const DCS = "https://dcs.example.test";

export interface RedisSetOptions {
  instances?: string[];
  policy?: Record<string, unknown>;
  endpoint?: string;
  projectId?: string;
  selector?: Record<string, unknown>;
  status?: RedisInstanceSetStatus;
  generation?: number;
  annotations?: Record<string, string>;
  name?: string;
}

export function redisManifest(o: RedisSetOptions = {}) {
  return {
    apiVersion: API_VERSION,
    kind: "RedisInstanceSet",
    metadata: {
      name: o.name ?? "cache",
      namespace: "prod",
      generation: o.generation ?? 2,
      resourceVersion: "1",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      dcs: {
        endpoint: o.endpoint ?? DCS,
        projectId: o.projectId ?? "p1",
        credentialsSecretRef: { name: "dcs" },
        allowInsecureHTTP: true,
      },
      selector: o.selector ?? { namePrefix: "cache-" },
      instances: o.instances ?? ["cache-1"],
      // The engine stories here are about other rules: a plan runs at once, as before settleTime (its own tests: settle-gate).
      policy: { settleTime: "0s", ...o.policy },
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

export function redisSet(o: RedisSetOptions = {}): RedisInstanceSet {
  return redisInstanceSet.parse(redisManifest(o));
}

/** An idle, pay-per-use instance named `name`, id `id-<name>`. */
export function instance(name: string, o: Partial<ObservedRedis> = {}): ObservedRedis {
  return { id: `id-${name}`, name, status: "RUNNING", tags: {}, busy: false, prepaid: false, ...o };
}

/** A resolver for inline connections whose Secrets hold `values`, as the operator's would with --allow-inline-connections. */
export function inlineResolver(values: Record<string, string>) {
  return (set: SetConnectionSpec) =>
    resolveConnection(set, {
      connections: { get: () => undefined },
      clusterConnections: { get: () => undefined },
      secrets: { get: () => ({ stringData: values }) },
      operatorNamespace: "dbfleet-system",
      allowInlineConnections: true,
    });
}

/** The simulators listen on loopback: allowlisted. */
export const loopbackPolicy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1" });
