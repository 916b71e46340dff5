// Ownership for TenantReplicaSets: the sets naming one tenant at one endpoint are a group, and every other
// member is a peer (the tenant is touched by none of them).
import { parseCached } from "../../api/parse.js";
import { tenantReplicaSet } from "../../api/tenant-replica-set.js";
import type { KubeObject } from "../../controller/resource.js";
import type { SetIdentity } from "../engine/kind.js";
import { type FleetCache, groupKey, keyOf, type LocateRemote, peersOf } from "../fleet-view.js";

export const tenantGroup = (endpoint: string, tenant: string) => groupKey("obshell", endpoint, tenant);

/** The tenant at the endpoint its connection leads to; an operation in flight also claims the tenant it runs on. */
export function tenantGroupsOf(object: KubeObject, locate: LocateRemote): string[] {
  const trs = parseCached(tenantReplicaSet, object);
  if (!trs.success) return [];
  const remote = locate(trs.data.kind, object.metadata.namespace ?? "default", trs.data.spec);
  const groups = remote ? [tenantGroup(remote.endpoint, trs.data.spec.tenant)] : [];
  // An operation in flight claims the tenant it runs on until it ends, wherever the spec now points.
  const op = trs.data.status?.operation;
  const running = op?.endpoint && op.tenant ? tenantGroup(op.endpoint, op.tenant) : undefined;
  return running && !groups.includes(running) ? [...groups, running] : groups;
}

/** Other TenantReplicaSets naming the same tenant at the same endpoint. */
export function tenantPeers(cache: FleetCache, id: SetIdentity, endpoint: string, tenant: string): string[] {
  return peersOf(cache, id, tenantGroup(endpoint, tenant)).map(keyOf).sort();
}
