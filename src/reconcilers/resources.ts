// The two custom resource types as the engine sees them.
import {
  CLUSTER_DATABASE_CONNECTION_KIND,
  CLUSTER_DATABASE_CONNECTION_PLURAL,
  DATABASE_CONNECTION_KIND,
  DATABASE_CONNECTION_PLURAL,
} from "../api/connection.js";
import { GROUP, VERSION } from "../api/group.js";
import { REDIS_INSTANCE_SET_KIND, REDIS_INSTANCE_SET_PLURAL } from "../api/redis-instance-set.js";
import { TENANT_REPLICA_SET_KIND, TENANT_REPLICA_SET_PLURAL } from "../api/tenant-replica-set.js";
import type { ResourceType } from "../controller/resource.js";

export const TENANT_REPLICA_SET: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: TENANT_REPLICA_SET_PLURAL,
  kind: TENANT_REPLICA_SET_KIND,
  namespaced: true,
};

export const REDIS_INSTANCE_SET: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: REDIS_INSTANCE_SET_PLURAL,
  kind: REDIS_INSTANCE_SET_KIND,
  namespaced: true,
};

/** Drops `undefined` members so a computed status compares equal to the stored one. */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const DATABASE_CONNECTION: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: DATABASE_CONNECTION_PLURAL,
  kind: DATABASE_CONNECTION_KIND,
  namespaced: true,
};

export const CLUSTER_DATABASE_CONNECTION: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: CLUSTER_DATABASE_CONNECTION_PLURAL,
  kind: CLUSTER_DATABASE_CONNECTION_KIND,
  namespaced: false,
};
