// Which remote objects a set's declaration reaches, and how two declarations are matched to one remote.
// One home for the scope predicate: the planner, the ownership index and `plan` all call these.
import type { RedisInstanceSetSpec } from "../api/redis-instance-set.js";

export type InstanceSelector = RedisInstanceSetSpec["selector"];

/** What the scope predicate reads of an instance. */
export interface ScopedInstance {
  name: string;
  tags: Record<string, string>;
}

/** Whether `instance` is inside `selector`'s scope. A selector with neither field owns nothing. */
export function inScope(selector: InstanceSelector, instance: ScopedInstance): boolean {
  if (selector.namePrefix === undefined && selector.tags === undefined) return false;
  if (selector.namePrefix !== undefined && !instance.name.startsWith(selector.namePrefix)) return false;
  for (const [key, value] of Object.entries(selector.tags ?? {}))
    if (instance.tags[key] !== value) return false;
  return true;
}

/**
 * Whether some instance could be inside both scopes, whatever exists now: exact, since an instance named
 * with the longer prefix and carrying both tag sets is in both exactly when the prefixes nest and no tag
 * key asks for two values. `plan` warns on it; the controller acts only on instances actually contested.
 */
export function selectorsMayOverlap(a: InstanceSelector, b: InstanceSelector): boolean {
  const witness = overlapWitness(a, b);
  return witness !== undefined && inScope(a, witness) && inScope(b, witness);
}

/** The instance that would be in both scopes, if the selectors can overlap at all. */
export function overlapWitness(a: InstanceSelector, b: InstanceSelector): ScopedInstance | undefined {
  const pa = a.namePrefix ?? "";
  const pb = b.namePrefix ?? "";
  if (!pa.startsWith(pb) && !pb.startsWith(pa)) return undefined;
  const tags: Record<string, string> = { ...a.tags };
  for (const [key, value] of Object.entries(b.tags ?? {})) {
    if (tags[key] !== undefined && tags[key] !== value) return undefined;
    tags[key] = value;
  }
  return { name: pa.length >= pb.length ? pa : pb, tags };
}

/**
 * The remote an endpoint names, normalised so that spellings of one URL compare equal (case of scheme
 * and host, default port, trailing slash). Two different URLs for one remote (an IP and a DNS name)
 * still differ: a stronger identity (a cluster id read from the remote) can replace this later.
 */
export function connectionIdentity(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return endpoint.trim();
  }
}
