// Ownership for TenantReplicaSets: the sets naming one tenant on one OceanBase cluster are a group, every
// other member a peer, and the tenant is touched by none of them. The cluster is the identity its agent
// reported, as recorded in each set's status (remote-identity.ts), not the URL it is reached through, so
// two spellings of one agent's URL land in one group, and a set whose agent is down keeps its place.
//
// A set whose cluster was never learned (never reached, its connection repointed since, never reconciled)
// claims the tenant by name on every cluster (`unidentifiedTenantGroup`), and a set about to touch that
// tenant waits for it (`RemoteUnidentified`, naming it). Why: it may be reaching this very cluster through
// another URL, and ownership would be the defect of issue 26 again. Why that does not cost availability as
// "unreachable now" did (the reverted first attempt): a set is unidentified only until its first successful
// connection, which is usually its first reconcile; one that never connects is visible (Stalled or
// ObserveFailed itself) and named in the others' reason. Reached once, a set stays identified whatever
// happens to its remote afterwards.
import { tenantReplicaSet } from "../../api/tenant-replica-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import { type FleetCache, keyOf, type LocateRemote, peersOf } from "../fleet-view.js";
import { recordedIdentity } from "../remote-identity.js";

/** The sets naming `tenant` on the cluster `remote`. */
export const tenantGroup = (remote: string, tenant: string) => `${remote}|${tenant}`;
/** The sets naming `tenant` whose cluster is not known: they may be on any cluster. */
export const unidentifiedTenantGroup = (tenant: string) => `obshell?|${tenant}`;

/** What a set claims: a tenant on a cluster (undefined: not known), for its spec and its operation in flight. */
function claims(object: KubeObject, locate: LocateRemote): { remote: string | undefined; tenant: string }[] {
  const trs = tenantReplicaSet.safeParse(object);
  // A set that does not parse acts on nothing.
  if (!trs.success) return [];
  const { spec, status } = trs.data;
  const located = locate(trs.data.kind, object.metadata.namespace ?? "default", spec);
  const own = recordedIdentity(status?.remote, located?.endpoint);
  const out = [{ remote: own, tenant: spec.tenant }];
  // An operation in flight claims the tenant on the cluster it runs on until it ends, wherever the spec now
  // points (one recorded before identities: on the cluster recorded for the set, if any).
  const op = status?.operation;
  if (op?.endpoint && op.tenant)
    out.push({ remote: op.remote ?? status?.remote?.identity, tenant: op.tenant });
  return out;
}

/** The index values of a set: its groups, from the object and the connections' cache alone. */
export function tenantGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const groups = claims(object, locate).map((c) =>
    c.remote ? tenantGroup(c.remote, c.tenant) : unidentifiedTenantGroup(c.tenant),
  );
  return [...new Set(groups)];
}

/** The cluster a set acts on: its operation's while one is in flight, else its connection's, as recorded. */
export function tenantRemoteKey(object: KubeObject, locate: LocateRemote): string | undefined {
  const trs = tenantReplicaSet.safeParse(object);
  if (!trs.success) return undefined;
  const op = trs.data.status?.operation;
  if (op?.remote) return op.remote;
  return claims(object, locate)[0]?.remote;
}

/** Other sets naming the tenant on this cluster, and those naming it whose cluster was never learned. */
export interface TenantPeers {
  peers: string[];
  unidentified: string[];
}

export function tenantPeers(cache: FleetCache, id: SetIdentity, remote: string, tenant: string): TenantPeers {
  const peers = peersOf(cache, id, tenantGroup(remote, tenant)).map(keyOf);
  const known = new Set(peers);
  const unidentified = peersOf(cache, id, unidentifiedTenantGroup(tenant))
    .map(keyOf)
    .filter((k) => !known.has(k));
  return { peers: peers.sort(), unidentified: unidentified.sort() };
}
