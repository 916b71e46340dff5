// Ownership for TenantReplicaSets: the sets naming one tenant on one OceanBase cluster are a group, every
// other member a peer, and the tenant is touched by none of them. The cluster is what its agent reports
// (remote-identity.ts), not the URL it is reached through, so the index, which must be built from objects
// alone, groups by tenant name, and the reconcile tells the clusters apart.
//
// Why no set acts while a peer that could share its remote is unidentified: a set naming the same tenant
// whose cluster is unknown (never reached since this process started, refused, paused, its connection
// missing) may be reaching this very cluster through another URL; were it, and were this set to act, it
// would remove zones the other keeps, which is the defect this rule exists for (issue 26). Its identity
// cannot be learned without a remote call, which an index may not make, so its sets wait
// (`RemoteUnidentified`) until some set has asked the agent at that URL. Every set asks its own agent
// before it observes (tenant/kind.ts `identify`), so in steady state this costs one round; a peer that
// never reaches its agent holds the sets naming the same tenant until it does, is repointed, or is deleted.
import { tenantReplicaSet } from "../../api/tenant-replica-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import { type FleetCache, keyOf, type LocateRemote, peersOf } from "../fleet-view.js";

/** The group of the sets naming `tenant`, on whichever cluster. */
export const tenantGroup = (tenant: string) => `obshell-tenant|${tenant}`;

/** The tenant its spec names; an operation in flight also claims the tenant it runs on. Pure: no lookup. */
export function tenantGroupsOf(object: KubeObject): string[] {
  const trs = tenantReplicaSet.safeParse(object);
  if (!trs.success) return [];
  const groups = [tenantGroup(trs.data.spec.tenant)];
  // An operation in flight claims the tenant it runs on until it ends, wherever the spec now points.
  const op = trs.data.status?.operation;
  const running = op?.endpoint && op.tenant ? tenantGroup(op.tenant) : undefined;
  return running && !groups.includes(running) ? [...groups, running] : groups;
}

/** Which other sets claim the tenant on this cluster, and which might (their cluster is not yet known). */
export interface TenantPeers {
  peers: string[];
  unidentified: string[];
}

/** The cluster a URL last reported; undefined while unknown. */
export type ClusterAt = (endpoint: string) => string | undefined;

/**
 * The clusters a set claims `tenant` on: through its connection when its spec names the tenant, and where
 * its operation runs when that is on the tenant. Undefined: a claim on a cluster not yet known.
 */
export function claimsOn(
  object: KubeObject,
  tenant: string,
  locate: LocateRemote,
  clusterAt: ClusterAt,
): (string | undefined)[] {
  const trs = tenantReplicaSet.safeParse(object);
  // A set that does not parse acts on nothing.
  if (!trs.success) return [];
  const claims: (string | undefined)[] = [];
  if (trs.data.spec.tenant === tenant) {
    const at = locate(trs.data.kind, object.metadata.namespace ?? "default", trs.data.spec);
    claims.push(at ? clusterAt(at.endpoint) : undefined);
  }
  const op = trs.data.status?.operation;
  if (op?.endpoint && op.tenant === tenant) claims.push(op.remote ?? clusterAt(op.endpoint));
  return claims;
}

/** Other TenantReplicaSets naming `tenant` on cluster `remote`, and those whose cluster is not yet known. */
export function tenantPeers(
  cache: FleetCache,
  id: SetIdentity,
  remote: string,
  tenant: string,
  locate: LocateRemote,
  clusterAt: ClusterAt,
): TenantPeers {
  const peers: string[] = [];
  const unidentified: string[] = [];
  for (const peer of peersOf(cache, id, tenantGroup(tenant))) {
    const claims = claimsOn(peer, tenant, locate, clusterAt);
    if (claims.includes(remote)) peers.push(keyOf(peer));
    else if (claims.includes(undefined)) unidentified.push(keyOf(peer));
  }
  return { peers: peers.sort(), unidentified: unidentified.sort() };
}
