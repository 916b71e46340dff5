// Ownership across the fleet: which other sets claim the same remote objects. Sets are grouped by where
// they act (each kind says how: endpoint + tenant, endpoint + project) through an informer index, so a
// reconcile reads only its own group, never the whole fleet; a change to one set requeues the rest of its
// group (old and new). What is kind-specific (the group of a set, who of the group is a peer) is in the
// kind's own folder (tenant/fleet.ts, redis/fleet.ts).
import type { SetKindName } from "../api/kinds.js";
import type { SetConnectionSpec } from "../connections/resolve.js";
import type { KubeObject } from "../controller/resource.js";
import type { SetIdentity } from "./engine/kind.js";

export const FLEET_INDEX = "dbfleet.io/fleet-group";

/** The endpoint as a remote is reached: scheme, lower-case host and port (default ports filled in). */
export function endpointKey(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
  } catch {
    return endpoint;
  }
}

/** Where a set's connection leads, without reading any Secret; undefined when it cannot be told. */
export type LocateRemote = (
  kind: SetKindName,
  namespace: string,
  spec: SetConnectionSpec["spec"],
) => { endpoint: string; projectId?: string } | undefined;

/** The group of the sets acting on `what` (a tenant, a DCS project) of the remote at `endpoint`. */
export const groupKey = (remote: string, endpoint: string, what: string) =>
  `${remote}|${endpointKey(endpoint)}|${what}`;

export interface FleetCache {
  byIndex(name: string, value: string): KubeObject[];
}

export const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;

/** The other sets of a set's group. A set being deleted claims nothing. */
export function peersOf(cache: FleetCache, self: KubeObject | SetIdentity, group: string): KubeObject[] {
  const selfKey = "metadata" in self ? keyOf(self) : `${self.namespace}/${self.name}`;
  return cache
    .byIndex(FLEET_INDEX, group)
    .filter((o) => keyOf(o) !== selfKey && !o.metadata.deletionTimestamp);
}
