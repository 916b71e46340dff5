// Ownership for TenantReplicaSets: the sets naming one tenant on one OceanBase cluster are a group, every
// other member a peer, and the tenant is touched by none of them. The cluster is the identity its agent
// reported, as recorded in each set's status (remote-identity.ts), not the URL it is reached through, so
// two spellings of one agent's URL land in one group, and a set whose agent is down keeps its place.
//
// A set whose own cluster was never learned (never reached since its connection last changed: paused from
// the start, a wrong password, its agent down from the start, not yet reconciled) is taken to be on the
// cluster other sets recorded through the same endpoint (normalised): what an endpoint leads to is a fact
// about the endpoint, whoever learned it. When no set has recorded anything there either, it may be on any
// cluster: a set about to touch a tenant of that name waits for it (`RemoteUnidentified`, naming it). Why
// hold rather than guess: were it on this cluster through another URL, acting would be the defect of issue
// 26 again. Why that does not cost availability as "unreachable now" did (the reverted first attempt): it
// takes a set nobody has ever reached through its endpoint, which is rare and visible (that set is itself
// Stalled or ObserveFailed, and named in the others' reason); reached once, a set stays identified whatever
// happens to its remote afterwards.
//
// A set no operator has reconciled yet (no status at all) claims nothing until its first reconcile: it has
// acted on nothing, it acts only once its cluster is recorded (engine/set-reconciler.ts), and a set outside
// every operator's namespaces (seen by `plan`, which reads them all) would otherwise hold its tenant's
// namesakes for ever. The window this leaves (a set created through an endpoint nobody identified, while
// a namesake on the same cluster decides) is the one any new set has while the informer has not shown it.
import { parseCached } from "../../api/parse.js";
import { tenantReplicaSet } from "../../api/tenant-replica-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import {
  endpointKey,
  FLEET_INDEX,
  type FleetCache,
  keyOf,
  type LocateRemote,
  peersOf,
} from "../fleet-view.js";
import { recordedIdentity } from "../remote-identity.js";

/** The sets naming `tenant` on the cluster `remote`. */
export const tenantGroup = (remote: string, tenant: string) => `${remote}|${tenant}`;
/** The sets naming `tenant` whose cluster is not known: they may be on any cluster. */
export const unidentifiedTenantGroup = (tenant: string) => `obshell?|${tenant}`;
/** The sets that recorded a cluster learned through `endpoint`: what it leads to. */
const LEARNED_AT = "obshell@learned|";
const learnedAt = (endpoint: string) => `${LEARNED_AT}${endpointKey(endpoint)}`;
/**
 * A group kept only to be looked up (which clusters an endpoint leads to), not one whose members contest
 * anything: joining it requeues nobody. Every set that ever recorded a cluster through an endpoint is in its
 * group, so requeueing it on each join made a fleet's first round O(sets²) reconciles (a takeover's queue
 * backed up). Decisions read it at reconcile time; never-identified sets look again on their own timer.
 */
export const isLookupGroup = (group: string): boolean => group.startsWith(LEARNED_AT);
/**
 * The sets naming `tenant` through `endpoint`, identified or not: a set repointed onto an endpoint changes
 * this group, so the sets already there are requeued and see it at once.
 */
const namedAt = (endpoint: string, tenant: string) => `obshell@|${endpointKey(endpoint)}|${tenant}`;

interface Claim {
  /** The cluster, as recorded; undefined: never learned. */
  remote: string | undefined;
  tenant: string;
  /** The endpoint it goes through; undefined when its connection is missing and nothing was recorded. */
  endpoint: string | undefined;
}

/**
 * Whether the set's status has anything in it: until then it claims nothing. Anything at all (not only our
 * conditions) is the cautious side: a status another writer touched claims as one we wrote, and one that
 * stops parsing keeps the answer it had. The one home of this predicate: the index keeps a set's values
 * only while it is unchanged (module.ts indexedStatus).
 */
export function everReconciled(status: unknown): boolean {
  return typeof status === "object" && status !== null && Object.keys(status).length > 0;
}

/** What a set claims: a tenant on a cluster, for its spec and its operation in flight. */
function claims(object: KubeObject, locate: LocateRemote): Claim[] {
  const trs = parseCached(tenantReplicaSet, object);
  // A set that does not parse acts on nothing.
  if (!trs.success) return [];
  const { spec, status } = trs.data;
  const located = locate(trs.data.kind, object.metadata.namespace ?? "default", spec);
  const remote = recordedIdentity(status?.remote, located?.endpoint);
  // Never reconciled (nothing written to its status): no claim yet (see above).
  if (!everReconciled(object.status)) return [];
  const out: Claim[] = [
    { remote, tenant: spec.tenant, endpoint: located?.endpoint ?? status?.remote?.endpoint },
  ];
  // An operation in flight claims the tenant on the cluster it runs on until it ends, wherever the spec now
  // points (one recorded before identities: on the cluster recorded for the set, if any).
  const op = status?.operation;
  if (op?.endpoint && op.tenant)
    out.push({ remote: op.remote ?? status?.remote?.identity, tenant: op.tenant, endpoint: op.endpoint });
  return out;
}

/** Every set naming `tenant`, on whichever cluster, identified or not. */
const namedAnywhere = (tenant: string) => `obshell*|${tenant}`;

/** Whether another set names a tenant of this name on any cluster (it could be contesting this one). */
export function tenantNamesakes(cache: FleetCache, id: SetIdentity, tenant: string): boolean {
  return peersOf(cache, id, namedAnywhere(tenant)).length > 0;
}

/** The index values of a set, from the object and the connections' cache alone. */
export function tenantGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const groups: string[] = [];
  for (const c of claims(object, locate)) {
    groups.push(c.remote ? tenantGroup(c.remote, c.tenant) : unidentifiedTenantGroup(c.tenant));
    if (c.endpoint) groups.push(namedAt(c.endpoint, c.tenant));
    groups.push(namedAnywhere(c.tenant));
  }
  const trs = parseCached(tenantReplicaSet, object).data;
  // Even a set never reconciled is a namesake: the others record their cluster before acting (kind.ts).
  if (trs) groups.push(namedAnywhere(trs.spec.tenant));
  const recorded = trs?.status?.remote;
  if (recorded) groups.push(learnedAt(recorded.endpoint));
  return [...new Set(groups)];
}

/** The cluster a set acts on: its operation's while one is in flight, else its connection's, as recorded. */
export function tenantRemoteKey(object: KubeObject, locate: LocateRemote): string | undefined {
  const trs = parseCached(tenantReplicaSet, object);
  if (!trs.success) return undefined;
  const op = trs.data.status?.operation;
  if (op?.remote) return op.remote;
  return claims(object, locate)[0]?.remote;
}

/** Other sets naming the tenant on this cluster, and those naming it whose cluster cannot be told. */
export interface TenantPeers {
  peers: string[];
  unidentified: string[];
}

/** The clusters sets recorded through `endpoint` (normalised), whoever they are. */
function clustersAt(cache: FleetCache, endpoint: string): Set<string> {
  const key = endpointKey(endpoint);
  const out = new Set<string>();
  for (const o of cache.byIndex(FLEET_INDEX, learnedAt(endpoint))) {
    const recorded = parseCached(tenantReplicaSet, o).data?.status?.remote;
    if (recorded && endpointKey(recorded.endpoint) === key) out.add(recorded.identity);
  }
  return out;
}

export function tenantPeers(
  cache: FleetCache,
  id: SetIdentity,
  remote: string,
  tenant: string,
  locate: LocateRemote,
): TenantPeers {
  const peers = new Set(peersOf(cache, id, tenantGroup(remote, tenant)).map(keyOf));
  const unidentified: string[] = [];
  for (const peer of peersOf(cache, id, unidentifiedTenantGroup(tenant))) {
    const key = keyOf(peer);
    if (peers.has(key)) continue;
    // Its spec's endpoint, or where its unidentified operation runs (one recorded before identities).
    const endpoints = claims(peer, locate)
      .filter((c) => c.tenant === tenant && c.remote === undefined)
      .map((c) => c.endpoint);
    const known = endpoints.map((e) => (e === undefined ? new Set<string>() : clustersAt(cache, e)));
    if (known.some((k) => k.has(remote))) peers.add(key);
    else if (known.some((k) => k.size === 0)) unidentified.push(key);
  }
  return { peers: [...peers].sort(), unidentified: unidentified.sort() };
}
