// Ownership across the fleet: which other sets claim the same remote objects. Sets are grouped by where
// they act (endpoint + tenant, endpoint + project) through an informer index, so a reconcile reads only its
// own group, never the whole fleet; a change to one set requeues the rest of its group (old and new).
import { type RedisInstanceSet, redisInstanceSet } from "../api/redis-instance-set.js";
import { tenantReplicaSet } from "../api/tenant-replica-set.js";
import type { SetConnectionSpec } from "../connections/resolve.js";
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

/** Where a set's connection leads, without reading any Secret; undefined when it cannot be told. */
export type LocateRemote = (
  kind: "TenantReplicaSet" | "RedisInstanceSet",
  namespace: string,
  spec: SetConnectionSpec["spec"],
) => { endpoint: string; projectId?: string } | undefined;

export const tenantGroup = (endpoint: string, tenant: string) => `obshell|${endpointKey(endpoint)}|${tenant}`;
export const redisGroup = (endpoint: string, projectId: string) =>
  `dcs|${endpointKey(endpoint)}|${projectId}`;

/** The group a set acts in: the same tenant (or DCS project) at the same endpoint. Empty when it does not parse. */
export function fleetGroups(locate: LocateRemote): (object: KubeObject) => string[] {
  return (object) => {
    const namespace = object.metadata.namespace ?? "default";
    const trs = tenantReplicaSet.safeParse(object);
    if (trs.success) {
      const remote = locate("TenantReplicaSet", namespace, trs.data.spec);
      const groups = remote ? [tenantGroup(remote.endpoint, trs.data.spec.tenant)] : [];
      // An operation in flight claims the tenant it runs on until it ends, wherever the spec now points.
      const op = trs.data.status?.operation;
      const running = op?.endpoint && op.tenant ? tenantGroup(op.endpoint, op.tenant) : undefined;
      return running && !groups.includes(running) ? [...groups, running] : groups;
    }
    const ris = redisInstanceSet.safeParse(object);
    if (ris.success) {
      const remote = locate("RedisInstanceSet", namespace, ris.data.spec);
      return remote?.projectId ? [redisGroup(remote.endpoint, remote.projectId)] : [];
    }
    return [];
  };
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
  return peersOf(cache, id, tenantGroup(endpoint, tenant)).map(keyOf).sort();
}

/** A cached object is replaced, never changed: its parsed selector is kept as long as the object is. */
const selectors = new WeakMap<KubeObject, RedisInstanceSet["spec"]["selector"] | null>();
function selectorOf(object: KubeObject): RedisInstanceSet["spec"]["selector"] | undefined {
  let selector = selectors.get(object);
  if (selector === undefined) {
    const parsed = redisInstanceSet.safeParse(object);
    selector = parsed.success ? parsed.data.spec.selector : null;
    selectors.set(object, selector);
  }
  return selector ?? undefined;
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
  for (const peer of peersOf(cache, id, redisGroup(endpoint, projectId))) {
    const selector = selectorOf(peer);
    if (selector && inScope(selector, instance)) out.push(keyOf(peer));
  }
  return out.sort();
}

/** The keys to requeue when `object` changed: every other member of its groups, before and after. */
export function groupMembersToRequeue(
  cache: FleetCache,
  groups: (object: KubeObject) => string[],
  object: KubeObject,
  old?: KubeObject,
): string[] {
  const all = new Set([...groups(object), ...(old ? groups(old) : [])]);
  const keys = new Set<string>();
  for (const group of all) for (const peer of peersOf(cache, object, group)) keys.add(keyOf(peer));
  return [...keys];
}
