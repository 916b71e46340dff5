// Ownership for RedisInstanceSets: the sets of one DCS project at one endpoint are a group; a peer of an
// instance is another member whose scope holds it (the instance is touched by none of them).
import { parseCached } from "../../api/parse.js";
import { type RedisInstanceSet, redisInstanceSet } from "../../api/redis-instance-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import { type FleetCache, groupKey, keyOf, type LocateRemote, peersOf } from "../fleet-view.js";
import { inScope, type ObservedRedis } from "./plan.js";

export const redisGroup = (endpoint: string, projectId: string) => groupKey("dcs", endpoint, projectId);

/** The DCS project at the endpoint its connection leads to. */
export function redisGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const ris = parseCached(redisInstanceSet, object);
  if (!ris.success) return [];
  const remote = locate(ris.data.kind, object.metadata.namespace ?? "default", ris.data.spec);
  return remote?.projectId ? [redisGroup(remote.endpoint, remote.projectId)] : [];
}

function selectorOf(object: KubeObject): RedisInstanceSet["spec"]["selector"] | undefined {
  const parsed = parseCached(redisInstanceSet, object);
  return parsed.success ? parsed.data.spec.selector : undefined;
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
