// The agent's primary-zone and region rules for a locality change, read from oceanbase/obshell 4.5.0.0
// ob/agent/executor/zone/check.go (GetFirstPriorityPrimaryZone, CheckFirstPriorityPrimaryZoneChangedWhenAlterLocality,
// CheckPrimaryZoneAndLocality). Written apart from src/ so a bug there cannot hide here.
import { AgentError } from "./errors.js";

/** zone -> replica type (FULL or READONLY), as tenantService.GetTenantReplicaInfoMap gives it. */
export type ReplicaInfoMap = ReadonlyMap<string, string>;

/**
 * check.go GetFirstPriorityPrimaryZone: RANDOM -> every FULL zone; otherwise the first priority level (split on
 * `;`) that holds a FULL replica, its FULL zones in the order the primary zone lists them.
 */
export function firstPriorityZones(locality: ReplicaInfoMap, primaryZone: string): string[] {
  if (primaryZone === "RANDOM") return [...locality].filter(([, type]) => type === "FULL").map(([z]) => z);
  let zones: string[] = [];
  for (const level of primaryZone.split(";")) {
    zones = level.split(",").filter((zone) => locality.get(zone) === "FULL");
    if (zones.length > 0) break;
  }
  return zones;
}

/** utils.SliceEqual: same length, same elements in the same order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * check.go CheckFirstPriorityPrimaryZoneChangedWhenAlterLocality: a locality change that changes the first-priority
 * zones needs the tenant parameter enable_rebalance, else 400 OB.Tenant.RebalanceDisabled.
 */
export function checkFirstPriorityChange(
  before: ReplicaInfoMap,
  after: ReplicaInfoMap,
  primaryZone: string,
  enableRebalance: boolean,
): void {
  // For RANDOM the agent compares zones taken from a Go map (random order); compare as sets there.
  const order = primaryZone === "RANDOM" ? (z: string[]) => [...z].sort() : (z: string[]) => z;
  const changed = !sameList(
    order(firstPriorityZones(before, primaryZone)),
    order(firstPriorityZones(after, primaryZone)),
  );
  if (changed && !enableRebalance)
    throw new AgentError(
      400,
      "OB.Tenant.RebalanceDisabled",
      "Change first priority zone of locality is not allowed when tenant 'enable_rebalance' is disabled.",
    );
}

/**
 * check.go CheckPrimaryZoneAndLocality: the first priority level of the primary zone (taken literally, or every
 * zone of the locality for RANDOM) must sit in one region (400 OB.Tenant.PrimaryZone.CrossRegion); when the locality
 * spans more than that region, the region needs at least 2 FULL replicas (400
 * OB.Tenant.PrimaryRegion.FullReplica.NotEnough).
 */
export function checkPrimaryZoneAndLocality(
  primaryZone: string,
  locality: ReplicaInfoMap,
  regionOf: (zone: string) => string,
): void {
  const first =
    primaryZone === "RANDOM" ? [...locality.keys()] : (primaryZone.split(";")[0] ?? "").split(",");
  let region = "";
  for (const zone of first) {
    if (region === "") region = regionOf(zone);
    else if (region !== regionOf(zone))
      throw new AgentError(
        400,
        "OB.Tenant.PrimaryZone.CrossRegion",
        `Primary zone '${primaryZone}' crosses regions, please check tenant's primary zone.`,
      );
  }
  const firstRegion = regionOf(first[0] ?? "");
  if (![...locality.keys()].some((zone) => regionOf(zone) !== firstRegion)) return;
  let full = 0;
  for (const [zone, type] of locality) {
    const kind = type.split("{")[0];
    if (regionOf(zone) === firstRegion && (kind === "FULL" || kind === "F" || kind === "")) full++;
  }
  if (full < 2)
    throw new AgentError(
      400,
      "OB.Tenant.PrimaryRegion.FullReplica.NotEnough",
      `The region ${firstRegion} where the first priority of tenant zone is located needs to have at least 2 F replicas. In fact, there are only ${full} full replicas.`,
    );
}
