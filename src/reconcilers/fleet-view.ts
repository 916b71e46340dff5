// Ownership across the fleet: which other sets claim the same remote objects. Sets are grouped by where
// they act (endpoint + tenant, endpoint + project) through an informer index, so a reconcile reads only its
// own group, never the whole fleet; a change to one set requeues the rest of its group (old and new).
import { redisInstanceSet } from "../api/redis-instance-set.js";
import { tenantReplicaSet } from "../api/tenant-replica-set.js";
import type { KubeObject } from "../controller/resource.js";
import type { SetIdentity } from "./engine/kind.js";
import { inScope, type ObservedRedis } from "./redis/plan.js";

export const FLEET_INDEX = "dbfleet.io/fleet-group";

/** The endpoint as a remote is reached: scheme, lower-case host and port (default ports filled in). */
export function endpointKey(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
  } catch {
    return endpoint;
  }
}

/** The group a set acts in: the same tenant (or DCS project) at the same endpoint. Empty when it does not parse. */
export function fleetGroups(object: KubeObject): string[] {
  const trs = tenantReplicaSet.safeParse(object);
  if (trs.success) return [`obshell|${endpointKey(trs.data.spec.obshell.endpoint)}|${trs.data.spec.tenant}`];
  const ris = redisInstanceSet.safeParse(object);
  if (ris.success) return [`dcs|${endpointKey(ris.data.spec.dcs.endpoint)}|${ris.data.spec.dcs.projectId}`];
  return [];
}

export interface FleetCache {
  byIndex(name: string, value: string): KubeObject[];
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;

/** The other sets of a set's group. A set being deleted claims nothing. */
function peersOf(cache: FleetCache, self: KubeObject | SetIdentity, group: string): KubeObject[] {
  const selfKey = "metadata" in self ? keyOf(self) : `${self.namespace}/${self.name}`;
  return cache
    .byIndex(FLEET_INDEX, group)
    .filter((o) => keyOf(o) !== selfKey && !o.metadata.deletionTimestamp);
}

/** Other TenantReplicaSets naming the same tenant at the same endpoint. */
export function tenantPeers(cache: FleetCache, id: SetIdentity, endpoint: string, tenant: string): string[] {
  return peersOf(cache, id, `obshell|${endpointKey(endpoint)}|${tenant}`)
    .map(keyOf)
    .sort();
}

/** Other RedisInstanceSets at the same endpoint and project whose scope holds `instance`. */
export function redisPeers(
  cache: FleetCache,
  id: SetIdentity,
  endpoint: string,
  projectId: string,
  instance: Pick<ObservedRedis, "name" | "tags">,
): string[] {
  const out: string[] = [];
  for (const peer of peersOf(cache, id, `dcs|${endpointKey(endpoint)}|${projectId}`)) {
    const parsed = redisInstanceSet.safeParse(peer);
    if (parsed.success && inScope(parsed.data.spec.selector, instance)) out.push(keyOf(peer));
  }
  return out.sort();
}

/** The keys to requeue when `object` changed: every other member of its groups, before and after. */
export function groupMembersToRequeue(cache: FleetCache, object: KubeObject, old?: KubeObject): string[] {
  const groups = new Set([...fleetGroups(object), ...(old ? fleetGroups(old) : [])]);
  const keys = new Set<string>();
  for (const group of groups) for (const peer of peersOf(cache, object, group)) keys.add(keyOf(peer));
  return [...keys];
}
