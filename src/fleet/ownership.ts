// Ownership among sets: a remote object is acted on only by the one set that owns it. Sets are grouped
// by the remote they act on (a group key the caller computes: today endpoint + project or endpoint +
// tenant, later a connection identity read from the remote), so a reconcile looks only at its own group,
// never at the fleet. The index is kept from informer events and says which other sets to requeue.
import { type Canonical, canonicalJson } from "./canonical.js";
import { connectionIdentity, type InstanceSelector, inScope, selectorsMayOverlap } from "./scope.js";

/** Group of RedisInstanceSets that list and delete in one DCS project. */
export function redisGroupKey(endpoint: string, projectId: string): string {
  return `dcs ${connectionIdentity(endpoint)} ${projectId}`;
}

/**
 * Group of TenantReplicaSets that act on one tenant. OceanBase compares tenant names without case,
 * so the key does too: grouping too much only reports a conflict, grouping too little deletes.
 */
export function tenantGroupKey(endpoint: string, tenant: string): string {
  return `obshell ${connectionIdentity(endpoint)} ${tenant.toLowerCase()}`;
}

export interface Peer<E> {
  key: string;
  entry: E;
}

interface Member<E> {
  group: string;
  entry: E;
  /** Canonical form of the entry: an update that changes nothing relevant requeues nobody. */
  fingerprint: string;
}

/**
 * Sets by group, updated incrementally. `upsert` and `remove` return the keys of the *other* sets whose
 * answer may have changed (the old and the new group of the set), for the caller to requeue; a status
 * update leaves the entry as it was and returns nothing, so status writes cause no requeue storm.
 * Every call is O(size of the groups involved).
 */
export class FleetIndex<E extends Canonical> {
  private readonly members = new Map<string, Member<E>>();
  private readonly groups = new Map<string, Map<string, E>>();

  get size(): number {
    return this.members.size;
  }

  upsert(key: string, group: string, entry: E): string[] {
    const fingerprint = canonicalJson(entry);
    const previous = this.members.get(key);
    if (previous && previous.group === group && previous.fingerprint === fingerprint) return [];
    const affected = new Set<string>();
    if (previous && previous.group !== group) {
      this.leave(key, previous.group);
      for (const k of this.groups.get(previous.group)?.keys() ?? []) affected.add(k);
    }
    this.members.set(key, { group, entry, fingerprint });
    let members = this.groups.get(group);
    if (!members) {
      members = new Map();
      this.groups.set(group, members);
    }
    members.set(key, entry);
    for (const k of members.keys()) if (k !== key) affected.add(k);
    return [...affected];
  }

  remove(key: string): string[] {
    const previous = this.members.get(key);
    if (!previous) return [];
    this.members.delete(key);
    this.leave(key, previous.group);
    return [...(this.groups.get(previous.group)?.keys() ?? [])];
  }

  /** The other sets of `key`'s group; empty when it is alone or unknown. */
  peers(key: string): Peer<E>[] {
    const member = this.members.get(key);
    if (!member) return [];
    const out: Peer<E>[] = [];
    for (const [k, entry] of this.groups.get(member.group) ?? []) if (k !== key) out.push({ key: k, entry });
    return out;
  }

  groupOf(key: string): string | undefined {
    return this.members.get(key)?.group;
  }

  private leave(key: string, group: string): void {
    const members = this.groups.get(group);
    members?.delete(key);
    if (members?.size === 0) this.groups.delete(group);
  }
}

/** What the index keeps of a RedisInstanceSet: its selector (its group key is kept beside it). */
export interface RedisOwnershipEntry {
  [key: string]: Canonical;
  namePrefix: string | null;
  tags: { [key: string]: string } | null;
}

export function redisEntry(selector: InstanceSelector): RedisOwnershipEntry {
  return { namePrefix: selector.namePrefix ?? null, tags: selector.tags ? { ...selector.tags } : null };
}

export function entrySelector(entry: RedisOwnershipEntry): InstanceSelector {
  return {
    ...(entry.namePrefix === null ? {} : { namePrefix: entry.namePrefix }),
    ...(entry.tags === null ? {} : { tags: entry.tags }),
  };
}

export interface ContestedInstance {
  id: string;
  name: string;
  /** Keys (namespace/name) of the other sets whose scope holds it too, sorted. */
  otherSets: string[];
}

export interface RedisOwnership<I> {
  /** In this set's scope and no other's: the only instances it may delete. */
  exclusive: I[];
  /** In this set's scope and another's: never a deletion target of either. */
  contested: ContestedInstance[];
  /** Other sets whose selector can overlap this one's, even if no instance is in both today. */
  overlapping: string[];
}

/**
 * Splits the instances in `selector`'s scope into those this set owns alone and those it shares with a
 * peer of its group. O(instances x peers).
 */
export function redisOwnership<I extends { id: string; name: string; tags: Record<string, string> }>(
  selector: InstanceSelector,
  peers: readonly Peer<RedisOwnershipEntry>[],
  instances: readonly I[],
): RedisOwnership<I> {
  const peerSelectors = peers.map((p) => ({ key: p.key, selector: entrySelector(p.entry) }));
  const overlapping = peerSelectors
    .filter((p) => selectorsMayOverlap(selector, p.selector))
    .map((p) => p.key)
    .sort();
  const candidates = peerSelectors.filter((p) => overlapping.includes(p.key));
  const exclusive: I[] = [];
  const contested: ContestedInstance[] = [];
  for (const instance of instances) {
    if (!inScope(selector, instance)) continue;
    const others = candidates
      .filter((p) => inScope(p.selector, instance))
      .map((p) => p.key)
      .sort();
    if (others.length === 0) exclusive.push(instance);
    else contested.push({ id: instance.id, name: instance.name, otherSets: others });
  }
  return { exclusive, contested, overlapping };
}

/** A tenant named by more than one set of its group: the other sets, sorted; empty when it is alone. */
export function tenantContenders(peers: readonly Peer<Canonical>[]): string[] {
  return peers.map((p) => p.key).sort();
}

/** A one-line message for a condition or event, naming the objects and the sets. */
export function describeContested(contested: readonly ContestedInstance[], limit = 10): string {
  const shown = contested
    .slice(0, limit)
    .map((c) => `${c.name} (also in ${c.otherSets.join(", ")})`)
    .join("; ");
  const more = contested.length > limit ? `; and ${contested.length - limit} more` : "";
  return `${contested.length} instance(s) are in the scope of another set and are never deleted by either: ${shown}${more}`;
}

/** A set as declared (manifest or informer cache), reduced to what ownership reads. */
export type DeclaredSet =
  | { kind: "RedisInstanceSet"; key: string; endpoint: string; projectId: string; selector: InstanceSelector }
  | { kind: "TenantReplicaSet"; key: string; endpoint: string; tenant: string };

/** Index placement of a declared set: `index.upsert(set.key, ...placement(set))`. */
export function placement(set: DeclaredSet): [group: string, entry: RedisOwnershipEntry | null] {
  return set.kind === "RedisInstanceSet"
    ? [redisGroupKey(set.endpoint, set.projectId), redisEntry(set.selector)]
    : [tenantGroupKey(set.endpoint, set.tenant), null];
}

export interface DeclaredConflict {
  kind: DeclaredSet["kind"];
  /** The two sets, sorted. */
  sets: [string, string];
  message: string;
}

/**
 * Conflicts among declared sets, whatever exists remotely: two tenant sets on one tenant, or two Redis
 * sets in one project whose selectors can overlap. For `plan` (manifests, and the cluster's sets).
 */
export function declaredConflicts(sets: readonly DeclaredSet[]): DeclaredConflict[] {
  const index = new FleetIndex<RedisOwnershipEntry | null>();
  const byKey = new Map(sets.map((s) => [`${s.kind} ${s.key}`, s]));
  for (const [k, s] of byKey) index.upsert(k, ...placement(s));
  const out: DeclaredConflict[] = [];
  for (const [k, s] of byKey)
    for (const peer of index.peers(k)) {
      if (peer.key < k) continue;
      const other = byKey.get(peer.key);
      if (!other || other.kind !== s.kind) continue;
      const pair: [string, string] = [s.key, other.key].sort() as [string, string];
      if (s.kind === "TenantReplicaSet" && other.kind === "TenantReplicaSet")
        out.push({
          kind: s.kind,
          sets: pair,
          message: `${pair[0]} and ${pair[1]} both name tenant ${s.tenant} on ${s.endpoint}: neither acts on it until one is removed`,
        });
      if (
        s.kind === "RedisInstanceSet" &&
        other.kind === "RedisInstanceSet" &&
        selectorsMayOverlap(s.selector, other.selector)
      )
        out.push({
          kind: s.kind,
          sets: pair,
          message: `${pair[0]} and ${pair[1]} have overlapping selectors in project ${s.projectId}: an instance in both scopes is never deleted by either`,
        });
    }
  return out.sort((a, b) => a.sets.join(" ").localeCompare(b.sets.join(" ")));
}
