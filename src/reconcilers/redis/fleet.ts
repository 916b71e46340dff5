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

/**
 * Sub-groups of a project's group by scope, kept only to be looked up: a set is also under its name prefix
 * (or, with tags alone, under "tags"), so the peers of an instance are read from the sub-groups its name can
 * fall in rather than by testing every set of the project (800 of them in the bench's 10,000-set fleet, on
 * every reconcile; issue 29). Joining one requeues nobody: the project group does that.
 */
const SCOPE = "#scope|";
const underPrefix = (group: string, prefix: string) => `${group}${SCOPE}prefix=${prefix}`;
const underTagsOnly = (group: string) => `${group}${SCOPE}tags`;
export const isRedisScopeGroup = (group: string): boolean => group.includes(SCOPE);

/** The DCS project its connection names, and its scope's sub-group of it. */
export function redisGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const key = redisRemoteKey(object, locate);
  const selector = selectorOf(object);
  if (!key || !selector) return [];
  return [
    key,
    selector.namePrefix === undefined ? underTagsOnly(key) : underPrefix(key, selector.namePrefix),
  ];
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
  const group = redisGroup(projectId);
  // Every set of the project is under exactly one of these when its scope can hold the name: its prefix is
  // a prefix of the name, or it selects by tags alone. inScope still decides.
  const candidates = [underTagsOnly(group)];
  for (let end = 1; end <= instance.name.length; end++)
    candidates.push(underPrefix(group, instance.name.slice(0, end)));
  const out: string[] = [];
  for (const candidate of candidates)
    for (const peer of peersOf(cache, id, candidate)) {
      const selector = selectorOf(peer);
      if (selector && inScope(selector, instance)) out.push(keyOf(peer));
    }
  return out.sort();
}
