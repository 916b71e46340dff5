// The TenantReplicaSet planner: pure, shared by the controller and `dbfleet-operator plan`.
import type { TenantReplicaSetSpec } from "../../api/tenant-replica-set.js";
import { firstPriorityZones, type Replica } from "../../providers/obshell/locality.js";
import { needsApproval } from "../approval.js";

export interface TenantObservation {
  name: string;
  status: string;
  replicas: Replica[];
  primaryZone: string;
  pools: { name: string; zones: string[] }[];
}

export type TenantBlocker =
  | { reason: "TenantNotFound"; message: string }
  | { reason: "TenantNotNormal"; message: string }
  | { reason: "DesiredZoneMissing"; message: string; zones: string[] }
  | { reason: "WouldRemoveLastReplica"; message: string }
  | { reason: "PaxosMajority"; message: string }
  | { reason: "PrimaryZoneNeeded"; message: string; zones: string[] }
  | { reason: "LeftoverPool"; message: string; pools: string[] };

export interface TenantPlan {
  /** Zones observed but not desired: everything that would go. */
  zonesToRemove: string[];
  /** The zones the next operation removes (at most policy.maxZonesPerOperation). */
  nextOperation: string[];
  blockers: TenantBlocker[];
  approval: { required: boolean; summary: string };
  converged: boolean;
}

export function planTenant(spec: TenantReplicaSetSpec, observed: TenantObservation | undefined): TenantPlan {
  const empty = {
    zonesToRemove: [],
    nextOperation: [],
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
  if (missing.length > 0)
    blockers.push({
      reason: "DesiredZoneMissing",
      zones: missing,
      message: `desired zone(s) ${missing.join(", ")} hold no replica of "${spec.tenant}"; nothing is removed until every desired zone exists`,
    });
  if (observed.status !== "NORMAL")
    blockers.push({ reason: "TenantNotNormal", message: `tenant status is ${observed.status}, not NORMAL` });

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
    zonesToRemove,
    nextOperation,
    blockers,
    approval: {
      required,
      summary: `remove ${zonesToRemove.length} of ${zones.length} replica zone(s) of tenant ${spec.tenant}: ${zonesToRemove.join(", ")}`,
    },
    converged: zonesToRemove.length === 0 && blockers.length === 0,
  };
}
