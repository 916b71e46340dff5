// The ownership index fed from informer events: one call per event, returning the other sets to requeue.
// A set whose spec does not parse claims nothing (it acts on nothing either).
import { REDIS_INSTANCE_SET_KIND, redisInstanceSetSpec } from "../api/redis-instance-set.js";
import { TENANT_REPLICA_SET_KIND, tenantReplicaSetSpec } from "../api/tenant-replica-set.js";
import type { InformerEvent } from "../controller/informer.js";
import type { KubeObject } from "../controller/resource.js";
import { type DeclaredSet, FleetIndex, type Peer, placement, type RedisOwnershipEntry } from "./ownership.js";

/** The ownership-relevant part of a watched object, or undefined when its spec does not parse. */
export function declaredSet(key: string, object: KubeObject): DeclaredSet | undefined {
  const spec = (object as { spec?: unknown }).spec;
  if (object.kind === REDIS_INSTANCE_SET_KIND) {
    const parsed = redisInstanceSetSpec.safeParse(spec);
    return parsed.success
      ? {
          kind: "RedisInstanceSet",
          key,
          endpoint: parsed.data.dcs.endpoint,
          projectId: parsed.data.dcs.projectId,
          selector: parsed.data.selector,
        }
      : undefined;
  }
  if (object.kind === TENANT_REPLICA_SET_KIND) {
    const parsed = tenantReplicaSetSpec.safeParse(spec);
    return parsed.success
      ? { kind: "TenantReplicaSet", key, endpoint: parsed.data.obshell.endpoint, tenant: parsed.data.tenant }
      : undefined;
  }
  return undefined;
}

/** One index per kind; keys are the informer's namespace/name keys. */
export class OwnershipTracker {
  readonly redis = new FleetIndex<RedisOwnershipEntry | null>();
  readonly tenants = new FleetIndex<RedisOwnershipEntry | null>();

  /** Applies an informer event of either kind; returns the keys of the other sets to requeue. */
  onEvent(event: InformerEvent<KubeObject>): string[] {
    const index = event.object.kind === REDIS_INSTANCE_SET_KIND ? this.redis : this.tenants;
    if (event.type === "deleted") return index.remove(event.key);
    const declared = declaredSet(event.key, event.object);
    return declared ? index.upsert(event.key, ...placement(declared)) : index.remove(event.key);
  }

  redisPeers(key: string): Peer<RedisOwnershipEntry>[] {
    return this.redis.peers(key).flatMap((p) => (p.entry ? [{ key: p.key, entry: p.entry }] : []));
  }

  tenantPeers(key: string): string[] {
    return this.tenants
      .peers(key)
      .map((p) => p.key)
      .sort();
  }
}
