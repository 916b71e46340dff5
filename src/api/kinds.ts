// The set kinds as the API declares them: name, schema, the remote their connections reach, and the
// destructive operations the metrics count for each. The one place outside a kind's own folder that
// names the kinds: the generic code (connections, metrics, plan's manifest reader) asks here.
import type { z } from "zod";
import { REDIS_INSTANCE_SET_KIND, redisInstanceSet } from "./redis-instance-set.js";
import { TENANT_REPLICA_SET_KIND, tenantReplicaSet } from "./tenant-replica-set.js";

export type SetKindName = typeof TENANT_REPLICA_SET_KIND | typeof REDIS_INSTANCE_SET_KIND;
/** The remote a connection reaches: also the key of a set's inline connection (spec.obshell, spec.dcs). */
export type RemoteKind = "obshell" | "dcs";
/** Remote operations that change what exists (remove or add), or act on a DAG that does. */
export type DestructiveOperation =
  | "remove_replicas"
  | "add_replicas"
  | "delete_instances"
  | "retry_dag"
  | "rollback_dag";

export interface SetKindDeclaration {
  kind: SetKindName;
  schema: z.ZodType;
  remote: RemoteKind;
  operations: readonly DestructiveOperation[];
}

export const SET_KINDS: Readonly<Record<SetKindName, SetKindDeclaration>> = {
  [TENANT_REPLICA_SET_KIND]: {
    kind: TENANT_REPLICA_SET_KIND,
    schema: tenantReplicaSet,
    remote: "obshell",
    operations: ["remove_replicas", "add_replicas", "retry_dag", "rollback_dag"],
  },
  [REDIS_INSTANCE_SET_KIND]: {
    kind: REDIS_INSTANCE_SET_KIND,
    schema: redisInstanceSet,
    remote: "dcs",
    operations: ["delete_instances"],
  },
};

export function isSetKind(kind: unknown): kind is SetKindName {
  return typeof kind === "string" && Object.hasOwn(SET_KINDS, kind);
}
