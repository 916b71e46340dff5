// What the obshell agent's refusal of an add (POST /api/v1/tenant/:name/replicas) means for the set: the
// refusals a person must fix Stall with a reason naming the zone and unit config; the transient ones Wait.
// Each errCode is cited from the agent's source (oceanbase/obshell, ob/agent/...); the checks the operator
// can make before sending (tenant/plan.ts planAdd) are there too, so most of these are never seen.
import { Reason } from "../../api/reasons.js";

export type AddRefusalReason =
  | typeof Reason.TenantBusy
  | typeof Reason.TenantNotFound
  | typeof Reason.TenantNotNormal
  | typeof Reason.ZoneNotFound
  | typeof Reason.UnitConfigNotFound
  | typeof Reason.UnitNumMismatch
  | typeof Reason.ZoneHasPool
  | typeof Reason.InsufficientResources
  | typeof Reason.PrimaryZoneRule
  | typeof Reason.RemoteRefused;

interface Refusal {
  reason: AddRefusalReason;
  /** Wait: retried after the busy delay; Stall: a person must act. */
  transient: boolean;
  /** The agent file that raises it. */
  source: string;
}

export const ADD_REFUSALS: Readonly<Record<string, Refusal>> = {
  "OB.Tenant.UnderMaintenance": {
    reason: Reason.TenantBusy,
    transient: true,
    source: "service/task/status_maintainer.go (the tenant lock a DAG holds)",
  },
  "OB.Tenant.NotExist": { reason: Reason.TenantNotFound, transient: false, source: "api/tenant_utils.go" },
  "OB.Tenant.StatusNotNormal": {
    reason: Reason.TenantNotNormal,
    transient: false,
    source: "api/tenant_utils.go tenantStatusHandlerWrapper",
  },
  "OB.Zone.NotExist": { reason: Reason.ZoneNotFound, transient: false, source: "executor/zone/check.go" },
  "OB.Resource.UnitConfig.NotExist": {
    reason: Reason.UnitConfigNotFound,
    transient: false,
    source: "executor/zone/check.go CheckZoneParams",
  },
  "OB.Resource.UnitConfig.Name.Empty": {
    reason: Reason.UnitConfigNotFound,
    transient: false,
    source: "executor/zone/check.go StaticCheckForZoneParams",
  },
  "OB.Tenant.UnitNum.Inconsistent": {
    reason: Reason.UnitNumMismatch,
    transient: false,
    source: "executor/tenant/scale_out_replicas.go",
  },
  "OB.Tenant.UnitNum.Invalid": {
    reason: Reason.UnitNumMismatch,
    transient: false,
    source: "executor/zone/check.go StaticCheckForZoneParams",
  },
  "OB.Tenant.UnitNum.ExceedsLimit": {
    reason: Reason.InsufficientResources,
    transient: false,
    source: "executor/zone/check.go CheckZoneParams (unit_num > servers in the zone)",
  },
  "OB.Tenant.ResourceNotEnough": {
    reason: Reason.InsufficientResources,
    transient: false,
    source: "executor/tenant/create_tenant.go checkZoneResourceForUnit",
  },
  "OB.Tenant.HasPoolOnZone": {
    reason: Reason.ZoneHasPool,
    transient: false,
    source: "executor/tenant/scale_out_replicas.go",
  },
  "OB.Tenant.RebalanceDisabled": {
    reason: Reason.PrimaryZoneRule,
    transient: false,
    source: "executor/zone/check.go CheckFirstPriorityPrimaryZoneChangedWhenAlterLocality",
  },
  "OB.Tenant.PrimaryZone.CrossRegion": {
    reason: Reason.PrimaryZoneRule,
    transient: false,
    source: "executor/zone/check.go CheckPrimaryZoneAndLocality",
  },
  "OB.Tenant.PrimaryRegion.FullReplica.NotEnough": {
    reason: Reason.PrimaryZoneRule,
    transient: false,
    source: "executor/zone/check.go CheckPrimaryZoneAndLocality",
  },
  // The zone got a replica between the observation and the POST (a person's add): plan again.
  "OB.Tenant.ZoneAlreadyHasReplica": {
    reason: Reason.TenantBusy,
    transient: true,
    source: "executor/tenant/scale_out_replicas.go",
  },
};

/** The refusal of an add by its errCode; an unlisted 4xx is RemoteRefused (Stalled). */
export function addRefusal(code: string | undefined): Refusal {
  return (
    (code ? ADD_REFUSALS[code] : undefined) ?? {
      reason: Reason.RemoteRefused,
      transient: false,
      source: "",
    }
  );
}
