// What a TenantReplicaSet reconcile reads from obshell: the operation in flight (its DAG, or the
// candidates to be it after a lost reply), or else the tenant and the DAGs unfinished on it.
import { Reason } from "../../api/reasons.js";
import type { TenantReplicaSet } from "../../api/tenant-replica-set.js";
import { getCondition } from "../../controller/conditions.js";
import { NotFoundError } from "../../providers/errors.js";
import type { ObshellClient } from "../../providers/obshell/client.js";
import type { DagDetail } from "../../providers/obshell/schemas.js";
import { planTenant, type TenantObservation } from "./plan.js";

/** The DAG name obshell gives a replica removal (specs: DagDetailDTO `name`). */
export const SCALE_IN_DAG = "Scale in tenant replicas";
/** The DAG name obshell gives a replica addition (agent executor/tenant/enter.go DAG_SCALE_OUT_TENANT_REPLICA). */
export const SCALE_OUT_DAG = "Scale out tenant replicas";
/** The scale-out DAG's first node; it cannot be PASSed (its task sets no CanPass: scale_out_replicas.go). */
export const CREATE_POOLS_NODE = "Create and attach resource pools";
/** maintenance_type of a tenant-level DAG (since 4.3.1.0). */
export const TENANT_MAINTENANCE = 3;
/** One "Alter tenant locality" node per removed or added zone. */
export const LOCALITY_NODE = "Alter tenant locality";

export type TenantObserved =
  | {
      kind: "tenant";
      tenant: TenantObservation | undefined;
      /**
       * The DAGs unfinished on the tenant. Undefined only when they were not asked for: a poll found the
       * tenant converged (`observeTenantSet`), and nothing decides on them then.
       */
      unfinished: DagDetail[] | undefined;
    }
  | {
      kind: "operation";
      /** The DAG the operation recorded; undefined when its id was never learnt. */
      dag: DagDetail | undefined;
      /** On FAILED: the DAG with its nodes and logs. */
      detail?: DagDetail;
      /** Without an id: every unfinished DAG of the operation's tenant, with nodes. */
      candidates?: DagDetail[];
    };

/** The DAGs of one tenant: by maintenance key and type, the one rule for "the tenant's DAG". */
export function dagOfTenant(dag: DagDetail, tenant: string): boolean {
  return dag.maintenance_type === TENANT_MAINTENANCE && dag.maintenance_key === tenant;
}

export function dagRunning(dag: Pick<DagDetail, "state">): boolean {
  return dag.state === "READY" || dag.state === "RUNNING" || dag.state === "PENDING";
}

/**
 * Whether the set's last decision, made for the spec it has now, found the tenant converged: Ready for
 * reason Converged at this generation, no operation in flight. A spec change (a new generation) or any
 * other outcome reads as it always did.
 */
export function lastFoundConverged(set: Pick<TenantReplicaSet, "metadata" | "status">): boolean {
  const status = set.status;
  if (status === undefined || status.operation !== undefined) return false;
  const generation = set.metadata.generation;
  if (generation === undefined || status.observedGeneration !== generation) return false;
  const ready = getCondition(status.conditions, "Ready");
  return (
    ready?.status === "True" && ready.reason === Reason.Converged && ready.observedGeneration === generation
  );
}

export async function observeTenantSet(
  client: ObshellClient,
  set: Pick<TenantReplicaSet, "metadata" | "spec" | "status">,
): Promise<TenantObserved> {
  const { spec } = set;
  const tenant = spec.tenant;
  const operation = set.status?.operation;
  if (operation) {
    const onTenant = operation.tenant ?? tenant;
    if (operation.dagId) {
      const dag = await client.getDag(operation.dagId);
      if (dag.state === "FAILED")
        return { kind: "operation", dag, detail: await client.getDag(dag.id, true) };
      return { kind: "operation", dag };
    }
    const unfinished = (await client.unfinishedDags()).filter((d) => dagOfTenant(d, onTenant));
    const candidates = await Promise.all(unfinished.map((d) => client.getDag(d.id, true)));
    return { kind: "operation", dag: undefined, candidates };
  }
  // A poll of a converged set reads the tenant alone: while the tenant stays converged nothing decides on
  // its DAGs (decide.ts planNext answers Converged first), and their list is cluster-wide, the same answer
  // asked for every set of the cluster. Once the tenant has moved they are read, after it, before any
  // decision. Every other reconcile (a new spec above all) reads both at once, as the latency needs.
  let observed: TenantObservation | undefined;
  let unfinished: DagDetail[] | undefined;
  if (lastFoundConverged(set)) {
    observed = await observeTenant(client, tenant);
    if (observed === undefined || !planTenant(spec, observed).converged)
      unfinished = await client.unfinishedDags();
  } else [observed, unfinished] = await Promise.all([observeTenant(client, tenant), client.unfinishedDags()]);
  // The unit configs are read only when an add may be planned: the agent refuses an unknown one, and a
  // person must create it, so it is checked before anything is sent.
  const adding =
    observed !== undefined &&
    spec.replicaTemplate !== undefined &&
    spec.zones.some((z) => !observed.replicas.some((r) => r.zone === z));
  const withUnits =
    observed && adding
      ? { ...observed, unitConfigs: (await client.unitConfigs()).map((u) => u.name) }
      : observed;
  return {
    kind: "tenant",
    tenant: withUnits,
    unfinished: unfinished?.filter((d) => dagOfTenant(d, tenant)),
  };
}

/** undefined when obshell does not know the tenant; any other failure throws. */
export async function observeTenant(
  client: ObshellClient,
  name: string,
): Promise<TenantObservation | undefined> {
  try {
    const tenant = await client.getTenant(name);
    // The agent reads one UNIT_COUNT of the tenant's pools (service/tenant/tenant.go GetTenantUnitNum).
    const unitNum = (tenant.info.pools ?? []).find((p) => p.unit_num !== undefined)?.unit_num;
    return {
      ...(unitNum === undefined ? {} : { unitNum }),
      name: tenant.info.tenant_name,
      status: tenant.info.status,
      replicas: tenant.replicas,
      primaryZone: tenant.info.primary_zone,
      pools: (tenant.info.pools ?? []).map((p) => ({
        name: p.pool_name,
        zones: p.zone_list.split(";").filter((z) => z !== ""),
      })),
    };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
