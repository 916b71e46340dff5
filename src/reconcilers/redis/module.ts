// RedisInstanceSet as one module: its resource type, its fleet groups, its plan text, and its engine with
// a pool of DCS clients and the listing they share.
import { keepParsed, parseCached } from "../../api/parse.js";
import {
  REDIS_INSTANCE_SET_KIND,
  redisInstanceSet,
  redisInstanceSetStatus,
} from "../../api/redis-instance-set.js";
import { ConnectionClients } from "../../connections/client-pool.js";
import type { DcsClient } from "../../providers/dcs/client.js";
import type { KindModule } from "../engine/kind-module.js";
import { SetReconciler } from "../engine/set-reconciler.js";
import { isRedisScopeGroup, redisGroupsOf, redisPeers, redisRemoteKey } from "./fleet.js";
import { importRedisSets } from "./import.js";
import { REDIS_INSTANCE_SET, redisKind } from "./kind.js";

export { REDIS_INSTANCE_SET };

import { SharedListings } from "./listings.js";

export const redisModule: KindModule = {
  kind: REDIS_INSTANCE_SET_KIND,
  type: REDIS_INSTANCE_SET,
  controller: "redisinstanceset",
  timingKey: "redis",
  // The status schema is the one the set schema parses `status` with.
  cacheForm: keepParsed(redisInstanceSet, redisInstanceSetStatus),
  targetsNoun: "instances",
  connectionSpec(object) {
    const ris = parseCached(redisInstanceSet, object);
    return ris.success
      ? { kind: ris.data.kind, namespace: object.metadata.namespace ?? "default", spec: ris.data.spec }
      : undefined;
  },
  startedSecrets: () => [],
  fleetGroups: redisGroupsOf,
  isLookupGroup: isRedisScopeGroup,
  remoteKey: redisRemoteKey,
  // Its groups come from its connection alone, not from its status.
  indexedStatus: () => undefined,
  targetOf(object) {
    const ris = parseCached(redisInstanceSet, object);
    const prefix = ris.success ? ris.data.spec.selector.namePrefix : undefined;
    return `instances ${prefix ? `${prefix}*` : "by tags"}`;
  },
  create(context) {
    const pool = new ConnectionClients<DcsClient>();
    const timing = context.timings?.[this.timingKey];
    const adapter = redisKind({
      ...context.connect,
      pool,
      listings: new SharedListings(),
      peers: (id, remote, instance) => redisPeers(context.fleet, id, remote.projectId ?? "", instance),
      ...(timing ? { timing } : {}),
    });
    return {
      reconciler: (deps) => new SetReconciler(adapter, deps),
      release: (key) => pool.release(key),
      close: () => pool.closeAll(),
    };
  },
  importSets: importRedisSets,
};
