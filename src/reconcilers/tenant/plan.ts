// The TenantReplicaSet planner: pure, shared by the controller and `dbfleet-operator plan`.
import type { ReplicaType, TenantReplicaSetSpec } from "../../api/tenant-replica-set.js";
import { firstPriorityZones, type Replica } from "../../providers/obshell/locality.js";
import { needsApproval } from "../approval.js";

export interface TenantObservation {
  name: string;
  status: string;
  replicas: Replica[];
  primaryZone: string;
  pools: { name: string; zones: string[] }[];
  /** The tenant's unit number (its pools' unit_num), as the agent compares an add's unit_num with it. */
  unitNum?: number | undefined;
  /** Names of the cluster's unit configs: read only when an add is planned. */
  unitConfigs?: string[] | undefined;
}

/** One replica an add creates: exactly what goes into the POST's zone_list. */
export interface ReplicaToAdd {
  zone: string;
  unitConfigName: string;
  unitNum: number;
  type: ReplicaType;
}

export type TenantBlocker =
  | { reason: "TenantNotFound"; message: string }
  | { reason: "TenantNotNormal"; message: string }
  | { reason: "DesiredZoneMissing"; message: string; zones: string[] }
  | { reason: "WouldRemoveLastReplica"; message: string }
  | { reason: "PaxosMajority"; message: string }
  | { reason: "PrimaryZoneNeeded"; message: string; zones: string[] }
  | { reason: "LeftoverPool"; message: string; pools: string[] }
  | { reason: "UnitConfigNotFound"; message: string; zones: string[] }
  | { reason: "UnitNumMismatch"; message: string }
  | { reason: "ZoneHasPool"; message: string; zones: string[] }
  | { reason: "ReadonlyPrimaryZone"; message: string; zones: string[] };

export interface TenantPlan {
  /**
   * What the next operation does. Adds come first: a zone being replaced is added before the old one is
   * removed, and nothing is removed while a desired zone lacks its replica.
   */
  action: "add" | "remove" | "none";
  /** Zones observed but not desired: everything that would go. */
  zonesToRemove: string[];
  /** The zones the next operation removes (at most policy.maxZonesPerOperation). */
  nextOperation: string[];
  /** Desired zones without a replica, with what each new replica is made of (spec.replicaTemplate). */
  toAdd: ReplicaToAdd[];
  /** The replicas the next operation adds (at most policy.maxZonesPerOperation). */
  nextAdd: ReplicaToAdd[];
  blockers: TenantBlocker[];
  approval: { required: boolean; summary: string };
  converged: boolean;
}

export function planTenant(spec: TenantReplicaSetSpec, observed: TenantObservation | undefined): TenantPlan {
  const empty = {
    action: "none" as const,
    zonesToRemove: [],
    nextOperation: [],
    toAdd: [],
    nextAdd: [],
    approval: { required: false, summary: "" },
    converged: false,
  };
  if (!observed) {
    return {
      ...empty,
      blockers: [{ reason: "TenantNotFound", message: `obshell does not know tenant "${spec.tenant}"` }],
    };
  }
  const desired = new Set(spec.zones);
  const zones = observed.replicas.map((r) => r.zone);
  const zonesToRemove = zones.filter((z) => !desired.has(z)).sort();
  const blockers: TenantBlocker[] = [];
  const missing = spec.zones.filter((z) => !zones.includes(z));
  if (missing.length > 0 && !spec.replicaTemplate)
    blockers.push({
      reason: "DesiredZoneMissing",
      zones: missing,
      message: `desired zone(s) ${missing.join(", ")} hold no replica of "${spec.tenant}"; nothing is removed until every desired zone exists (to let the operator add them, set spec.replicaTemplate.unitConfigName)`,
    });
  if (observed.status !== "NORMAL")
    blockers.push({ reason: "TenantNotNormal", message: `tenant status is ${observed.status}, not NORMAL` });
  if (missing.length > 0 && spec.replicaTemplate) return planAdd(spec, observed, missing, blockers);

  const remaining = observed.replicas.filter((r) => desired.has(r.zone));
  if (zonesToRemove.length > 0 && remaining.length === 0)
    blockers.push({
      reason: "WouldRemoveLastReplica",
      message: "the plan would remove every replica of the tenant",
    });
  const fullBefore = observed.replicas.filter((r) => r.type === "FULL").length;
  const fullAfter = remaining.filter((r) => r.type === "FULL").length;
  if (zonesToRemove.length > 0 && !(fullAfter > 1 || (fullAfter === 1 && fullBefore === 1)))
    blockers.push({
      reason: "PaxosMajority",
      message: `removing ${zonesToRemove.join(", ")} leaves ${fullAfter} FULL replica(s) of ${fullBefore}; OceanBase needs at least 2 to stay available`,
    });
  const primary = firstPriorityZones(observed.primaryZone).filter((z) => zonesToRemove.includes(z));
  if (primary.length > 0)
    blockers.push({
      reason: "PrimaryZoneNeeded",
      zones: primary,
      message: `zone(s) ${primary.join(", ")} are in the first priority of primary_zone "${observed.primaryZone}": change the tenant's primary zone first`,
    });
  const replicaZones = new Set(zones);
  const leftovers = observed.pools.filter(
    (p) => p.zones.length > 0 && p.zones.every((z) => !replicaZones.has(z)),
  );
  if (zonesToRemove.length === 0 && leftovers.length > 0)
    blockers.push({
      reason: "LeftoverPool",
      pools: leftovers.map((p) => p.name),
      message: `resource pool(s) ${leftovers.map((p) => p.name).join(", ")} remain in zones with no replica: a scale-in DAG failed after its locality change; RETRY it`,
    });

  const nextOperation = zonesToRemove.slice(0, spec.policy.maxZonesPerOperation);
  const required = needsApproval(
    zonesToRemove.length,
    zones.length,
    spec.policy.maxZonesPerOperation,
    spec.policy.approvalThreshold,
  );
  return {
    action: zonesToRemove.length > 0 ? "remove" : "none",
    zonesToRemove,
    nextOperation,
    toAdd: [],
    nextAdd: [],
    blockers,
    approval: {
      required,
      summary: `remove ${zonesToRemove.length} of ${zones.length} replica zone(s) of tenant ${spec.tenant}: ${zonesToRemove.join(", ")}`,
    },
    converged: zonesToRemove.length === 0 && blockers.length === 0,
  };
}

/** What a new replica in `zone` is made of: the template, with the zone's override. */
export function replicaFor(spec: TenantReplicaSetSpec, zone: string, tenantUnitNum: number): ReplicaToAdd {
  const template = spec.replicaTemplate;
  const override = template?.overrides?.find((o) => o.zone === zone);
  return {
    zone,
    unitConfigName: override?.unitConfigName ?? template?.unitConfigName ?? "",
    unitNum: template?.unitNum ?? tenantUnitNum,
    type: override?.type ?? template?.type ?? "FULL",
  };
}

/** A replica's settings as one string: what an approval for an add covers besides its zone. */
export function replicaSetting(r: ReplicaToAdd): string {
  return `${r.zone}:${r.unitConfigName}:${r.unitNum}:${r.type}`;
}

/**
 * The add side, mirroring the agent's own refusals that can be seen before sending
 * (executor/tenant/scale_out_replicas.go checkScaleOutTenantReplicasParam, executor/zone/check.go
 * CheckZoneParams); the rest are mapped from its refusal (tenant/add-refusals.ts).
 */
function planAdd(
  spec: TenantReplicaSetSpec,
  observed: TenantObservation,
  missing: string[],
  blockers: TenantBlocker[],
): TenantPlan {
  const template = spec.replicaTemplate;
  const tenantUnitNum = observed.unitNum;
  if (template?.unitNum === undefined && tenantUnitNum === undefined)
    blockers.push({
      reason: "UnitNumMismatch",
      message: `obshell does not show the unit number of tenant ${spec.tenant}'s pools; set spec.replicaTemplate.unitNum to it`,
    });
  else if (
    template?.unitNum !== undefined &&
    tenantUnitNum !== undefined &&
    template.unitNum !== tenantUnitNum
  )
    blockers.push({
      reason: "UnitNumMismatch",
      message: `spec.replicaTemplate.unitNum is ${template.unitNum} but tenant ${spec.tenant} has unit_num ${tenantUnitNum}; obshell adds a replica only with the tenant's own unit number`,
    });
  const toAdd = missing.map((z) => replicaFor(spec, z, template?.unitNum ?? tenantUnitNum ?? 0));
  const known = new Set(observed.unitConfigs ?? []);
  const unknown = toAdd.filter((r) => !known.has(r.unitConfigName));
  if (unknown.length > 0)
    blockers.push({
      reason: "UnitConfigNotFound",
      zones: unknown.map((r) => r.zone),
      message: `unit config ${[...new Set(unknown.map((r) => r.unitConfigName))].join(", ")} for zone(s) ${unknown.map((r) => r.zone).join(", ")} does not exist on the cluster; create it or fix spec.replicaTemplate`,
    });
  const pooled = missing.filter((z) => observed.pools.some((p) => p.zones.includes(z)));
  if (pooled.length > 0)
    blockers.push({
      reason: "ZoneHasPool",
      zones: pooled,
      message: `tenant ${spec.tenant} already has a resource pool in zone(s) ${pooled.join(", ")} without a replica there (a failed add or removal); obshell refuses to add a replica there until the pool is dropped or the failed DAG is operated`,
    });
  const first = firstPriorityZones(observed.primaryZone);
  const readonlyPrimary = toAdd.filter((r) => r.type === "READONLY" && first.includes(r.zone));
  if (readonlyPrimary.length > 0)
    blockers.push({
      reason: "ReadonlyPrimaryZone",
      zones: readonlyPrimary.map((r) => r.zone),
      message: `zone(s) ${readonlyPrimary.map((r) => r.zone).join(", ")} are in the first priority of primary_zone "${observed.primaryZone}" but would get a READONLY replica, which cannot lead; make them FULL in spec.replicaTemplate or change the primary zone`,
    });
  const nextAdd = toAdd.slice(0, spec.policy.maxZonesPerOperation);
  const zones = observed.replicas.map((r) => r.zone);
  const required = needsApproval(
    toAdd.length,
    zones.length,
    spec.policy.maxZonesPerOperation,
    spec.policy.approvalThreshold,
  );
  return {
    action: "add",
    zonesToRemove: zones.filter((z) => !spec.zones.includes(z)).sort(),
    nextOperation: [],
    toAdd,
    nextAdd,
    blockers,
    approval: {
      required,
      summary: `add ${toAdd.length} replica zone(s) to tenant ${spec.tenant} (${zones.length} now): ${toAdd.map((r) => `${r.zone} (${r.type}, unit config ${r.unitConfigName} x${r.unitNum})`).join(", ")}`,
    },
    converged: false,
  };
}
