// What each refusal of an add by the obshell agent (its errCode) shows on the set, as a table: the reason a
// person reads, and whether it passes by itself (Reconciling, asked again after the busy delay) or a person
// must fix it (Stalled). Every code cites the agent file that raises it. Wrong versions this is written
// against: a refusal a person must fix retried for ever, a passing one Stalled, a code mapped to another
// reason, an unknown code or none taken as transient.
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { ADD_REFUSALS, addRefusal } from "../../src/reconcilers/tenant/add-refusals.js";

describe("an add refused by the obshell agent, by errCode", () => {
  it.each([
    ["OB.Tenant.UnderMaintenance", Reason.TenantBusy, true],
    ["OB.Tenant.ZoneAlreadyHasReplica", Reason.TenantBusy, true],
    ["OB.Tenant.NotExist", Reason.TenantNotFound, false],
    ["OB.Tenant.StatusNotNormal", Reason.TenantNotNormal, false],
    ["OB.Zone.NotExist", Reason.ZoneNotFound, false],
    ["OB.Resource.UnitConfig.NotExist", Reason.UnitConfigNotFound, false],
    ["OB.Resource.UnitConfig.Name.Empty", Reason.UnitConfigNotFound, false],
    ["OB.Tenant.UnitNum.Inconsistent", Reason.UnitNumMismatch, false],
    ["OB.Tenant.UnitNum.Invalid", Reason.UnitNumMismatch, false],
    ["OB.Tenant.UnitNum.ExceedsLimit", Reason.InsufficientResources, false],
    ["OB.Tenant.ResourceNotEnough", Reason.InsufficientResources, false],
    ["OB.Tenant.HasPoolOnZone", Reason.ZoneHasPool, false],
    ["OB.Tenant.RebalanceDisabled", Reason.PrimaryZoneRule, false],
    ["OB.Tenant.PrimaryZone.CrossRegion", Reason.PrimaryZoneRule, false],
    ["OB.Tenant.PrimaryRegion.FullReplica.NotEnough", Reason.PrimaryZoneRule, false],
    // Not one of the agent's add refusals, or no code at all: a person looks (never retried blindly).
    ["Common.Unexpected", Reason.RemoteRefused, false],
    [undefined, Reason.RemoteRefused, false],
    ["", Reason.RemoteRefused, false],
  ])("%s: %s, passes by itself: %s", (code, reason, transient) => {
    expect(addRefusal(code)).toMatchObject({ reason, transient });
  });

  it("the table is exactly these codes, each citing the agent file that raises it", () => {
    expect(Object.keys(ADD_REFUSALS)).toHaveLength(15);
    for (const [code, refusal] of Object.entries(ADD_REFUSALS))
      expect(refusal.source, code).toMatch(/^(api|executor|service)\/[\w/]+\.go\b/);
  });
});
