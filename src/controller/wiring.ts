// A controller's wiring to what its objects depend on: the Secrets they read, directly or through another
// object they name (a set's connection), and the peers they share a group with. Each object's index values
// are read from that object alone, or re-read when its dependency changes; a change of a Secret, a
// dependency or an object requeues exactly whom it concerns, after reading the Secrets they newly need.
import type { InformerEvent } from "./informer.js";
import type { ControllerSpec, NamespacedInformers } from "./manager.js";
import { type KubeObject, objectKey } from "./resource.js";
import type { ReferencedSecrets } from "./secret-cache.js";
import type { WorkQueue } from "./work-queue.js";

const SECRET_INDEX = "bySecret";
const refIndex = (i: number) => `byDependency${i}`;
const dependencySecretIndex = (controller: string, i: number) => `bySecret/${controller}/${i}`;

/** Whether an update is worth a reconcile: not our own status writes. */
export function meaningfulChange(old: KubeObject, next: KubeObject): boolean {
  const a = old.metadata;
  const b = next.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    // objects without generation (e.g. Secrets) change by content
    (a.generation === undefined && a.resourceVersion !== b.resourceVersion)
  );
}

const keyOf = (o: KubeObject) => objectKey(o.metadata);

export class ControllerWiring<T extends KubeObject> {
  private readonly dependencies: NonNullable<ControllerSpec<T>["dependsOn"]>;

  constructor(
    private readonly spec: ControllerSpec<T>,
    private readonly cache: NamespacedInformers<T>,
    private readonly queue: WorkQueue,
    private readonly secrets: ReferencedSecrets | undefined,
  ) {
    this.dependencies = spec.dependsOn ?? [];
    const unchanged = spec.sameIndexInputs;
    if (spec.secretsOf) cache.addIndex(SECRET_INDEX, spec.secretsOf, unchanged);
    this.dependencies.forEach((dep, i) => {
      cache.addIndex(refIndex(i), (o) => dep.refsOf(o), unchanged);
      const secretsOfDependency = dep.secretsOf;
      if (secretsOfDependency)
        dep.cache.addIndex(dependencySecretIndex(spec.name, i), (o) => secretsOfDependency(keyOf(o), o));
    });
    if (spec.peers) cache.addIndex(spec.peers.index, spec.peers.groupsOf, unchanged);
  }

  /** Every Secret an object reads now, directly or through its dependencies. */
  secretsOf(o: T): string[] {
    const keys = new Set(this.spec.secretsOf?.(o) ?? []);
    for (const dep of this.dependencies)
      for (const ref of dep.refsOf(o)) {
        const found = dep.cache.get(ref);
        if (found && dep.secretsOf) for (const key of dep.secretsOf(ref, found)) keys.add(key);
      }
    return [...keys];
  }

  /** Keys of the objects that read Secret `key`, directly or through a dependency. */
  ownersOfSecret(key: string): Set<string> {
    const owners = new Set(this.cache.keysByIndex(SECRET_INDEX, key));
    this.dependencies.forEach((dep, i) => {
      for (const found of dep.cache.keysByIndex(dependencySecretIndex(this.spec.name, i), key))
        for (const owner of this.cache.keysByIndex(refIndex(i), found)) owners.add(owner);
    });
    return owners;
  }

  /** Whether any object reads Secret `key` (asked for every Secret event of the cluster: builds no list). */
  readsSecret(key: string): boolean {
    return (
      this.cache.hasIndexed(SECRET_INDEX, key) ||
      this.dependencies.some((dep, i) => {
        for (const found of dep.cache.keysByIndex(dependencySecretIndex(this.spec.name, i), key))
          if (this.cache.hasIndexed(refIndex(i), found)) return true;
        return false;
      })
    );
  }

  watch(): void {
    this.secrets?.on((key) => {
      for (const owner of this.ownersOfSecret(key)) this.queue.add(owner);
    });
    this.cache.on((event) => this.onObject(event));
    this.dependencies.forEach((dep, i) => {
      dep.cache.on((event) => this.onDependency(i, event));
    });
  }

  private onObject(event: InformerEvent<T>): void {
    const { spec, secrets, queue } = this;
    if (event.type === "resync") {
      this.queueWithSecrets([event.key], this.secretsOfKey(event.key));
      return;
    }
    const old = event.type === "updated" ? event.old : undefined;
    // Most status writes: the object reads the same Secrets and sits in the same groups as before.
    if (old && spec.sameIndexInputs?.(old, event.object)) {
      if (meaningfulChange(old, event.object))
        this.queueWithSecrets([event.key], this.secretsOfKey(event.key));
      return;
    }
    // A change can only release the Secrets the object read before it.
    if (event.type === "deleted") secrets?.prune(this.secretsOf(event.object));
    else if (old) secrets?.prune(this.secretsOf(old));
    if (event.type === "deleted") spec.onGone?.(event.key);
    if (spec.peers) {
      // As the store just indexed it; a deleted object's groups are those it leaves.
      const now =
        event.type === "deleted"
          ? spec.peers.groupsOf(event.object)
          : this.cache.indexValues(spec.peers.index, event.key);
      const before = old ? spec.peers.groupsOf(old) : [];
      // Most status writes change nothing of membership, and requeueing on them would ping-pong the group;
      // one that does (an operation started on a tenant claims it) tells the group.
      const moved =
        !old ||
        old.metadata.generation !== event.object.metadata.generation ||
        old.metadata.deletionTimestamp !== event.object.metadata.deletionTimestamp ||
        now.length !== before.length ||
        now.some((g) => !before.includes(g));
      if (moved) this.requeuePeers(event.key, [...now, ...before]);
    }
    if (old && !meaningfulChange(old, event.object)) return;
    if (event.type === "deleted") queue.add(event.key);
    else this.queueWithSecrets([event.key], this.secretsOfKey(event.key));
  }

  private onDependency(i: number, event: InformerEvent<KubeObject>): void {
    const dep = this.dependencies[i];
    if (!dep || event.type === "resync") return;
    if (event.type === "updated" && !meaningfulChange(event.old, event.object)) return;
    const users = [...this.cache.keysByIndex(refIndex(i), event.key)];
    if (users.length === 0) return;
    const peers = this.spec.peers;
    for (const key of users) {
      // The object's indexes may read the dependency (its fleet group goes through its connection).
      const before = peers ? this.cache.indexValues(peers.index, key) : [];
      this.cache.reindex(key);
      if (peers) this.requeuePeers(key, [...before, ...this.cache.indexValues(peers.index, key)]);
    }
    const released =
      event.type === "updated" ? event.old : event.type === "deleted" ? event.object : undefined;
    if (released && dep.secretsOf) this.secrets?.prune(dep.secretsOf(event.key, released));
    const needed = event.type === "deleted" || !dep.secretsOf ? [] : dep.secretsOf(event.key, event.object);
    this.queueWithSecrets(users, needed);
  }

  /** Reads the Secrets `keys` newly need before they are queued, so their reconciles see them. */
  private queueWithSecrets(keys: string[], needed: string[]): void {
    const { secrets, queue } = this;
    if (!secrets || secrets.isCurrent(needed)) for (const key of keys) queue.add(key);
    else
      void secrets.ensure(needed).finally(() => {
        for (const key of keys) queue.add(key);
      });
  }

  private secretsOfKey(key: string): string[] {
    const object = this.cache.get(key);
    return object ? this.secretsOf(object) : [];
  }

  /** The other members of `groups` (a fleet group a set left or joined). */
  private requeuePeers(self: string, groups: Iterable<string>): void {
    const peers = this.spec.peers;
    if (!peers) return;
    for (const group of new Set(groups))
      if (!peers.lookupOnly?.(group))
        for (const peer of this.cache.keysByIndex(peers.index, group))
          if (peer !== self) this.queue.add(peer);
  }
}
