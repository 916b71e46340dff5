// Ownership for RedisInstanceSets: the sets of one DCS project are a group, whatever endpoint each reaches
// it through (a project id names one project: remote-identity.ts); a peer of an instance is another member
// whose scope holds it (the instance is touched by none of them).
import { parseCached } from "../../api/parse.js";
import { type RedisInstanceSet, redisInstanceSet } from "../../api/redis-instance-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import { type FleetCache, keyOf, type LocateRemote, peersOf } from "../fleet-view.js";
import { dcsRemote } from "../remote-identity.js";
import { inScope, type ObservedRedis } from "./plan.js";

/** The group of the sets of one DCS project: the project's identity. */
export const redisGroup = (projectId: string) => dcsRemote(projectId);

/** The DCS project its connection names (no Secret, no remote call): its remote key. */
export function redisRemoteKey(object: KubeObject, locate: LocateRemote): string | undefined {
  const ris = parseCached(redisInstanceSet, object);
  if (!ris.success) return undefined;
  const remote = locate(ris.data.kind, object.metadata.namespace ?? "default", ris.data.spec);
  return remote?.projectId ? dcsRemote(remote.projectId) : undefined;
}

/** The DCS project its connection names. */
export function redisGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const key = redisRemoteKey(object, locate);
  return key ? [key] : [];
}

function selectorOf(object: KubeObject): RedisInstanceSet["spec"]["selector"] | undefined {
  const parsed = parseCached(redisInstanceSet, object);
  return parsed.success ? parsed.data.spec.selector : undefined;
}

/** Other RedisInstanceSets of the same project, through any endpoint, whose scope holds `instance`. */
export function redisPeers(
  cache: FleetCache,
  id: SetIdentity,
  projectId: string,
  instance: Pick<ObservedRedis, "name" | "tags">,
): string[] {
  const out: string[] = [];
  for (const peer of peersOf(cache, id, redisGroup(projectId))) {
    const selector = selectorOf(peer);
    if (selector && inScope(selector, instance)) out.push(keyOf(peer));
  }
  return out.sort();
}
