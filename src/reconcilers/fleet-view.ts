// Ownership across the fleet: which other sets claim the same remote objects. Sets are grouped by what they
// act on (each kind says how: a tenant on a cluster, a DCS project; remote-identity.ts) through an informer
// index, so a
// reconcile reads only its own group, never the whole fleet; a change to one set requeues the rest of its
// group (old and new). What is kind-specific (the group of a set, who of the group is a peer) is in the
// kind's own folder (tenant/fleet.ts, redis/fleet.ts).
import type { SetKindName } from "../api/kinds.js";
import type { SetConnectionSpec } from "../connections/resolve.js";
import type { KubeObject } from "../controller/resource.js";
import type { SetIdentity } from "./engine/kind.js";

export const FLEET_INDEX = "dbfleet.io/fleet-group";

const ENDPOINT_KEYS_KEPT = 4096;
const endpointKeys = new Map<string, string>();

/**
 * A URL as the socket it opens: scheme, lower-case host without a trailing dot, port (the scheme's default
 * filled in); path, query and user info dropped. What still keys on a URL (whether a recorded identity was
 * learned through the endpoint a connection leads to now, an operation recorded before identities, a
 * credential not yet identified) uses it; an IP and a DNS name stay two keys, which only a remote's
 * identity (remote-identity.ts) joins.
 */
export function endpointKey(endpoint: string): string {
  const known = endpointKeys.get(endpoint);
  if (known !== undefined) return known;
  // A fleet names few endpoints and every reconcile asks several times (a URL parse each, 2 % of what a
  // polling operator allocated; issue 29); the bound only stops a stream of one-off spellings from growing it.
  if (endpointKeys.size >= ENDPOINT_KEYS_KEPT) endpointKeys.clear();
  const key = parseEndpointKey(endpoint);
  endpointKeys.set(endpoint, key);
  return key;
}

function parseEndpointKey(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    const host = url.hostname.toLowerCase().replace(/\.+$/, "");
    return `${url.protocol}//${host}:${port}`;
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

export interface FleetCache {
  byIndex(name: string, value: string): KubeObject[];
}

export const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;

/** The other sets of a set's group. A set being deleted claims nothing. */
export function peersOf(cache: FleetCache, self: KubeObject | SetIdentity, group: string): KubeObject[] {
  const [namespace, name] =
    "metadata" in self
      ? [self.metadata.namespace ?? "default", self.metadata.name]
      : [self.namespace, self.name];
  // Compared by parts: a key built per peer was a string per member of the group on every reconcile.
  return cache
    .byIndex(FLEET_INDEX, group)
    .filter(
      (o) =>
        !(o.metadata.name === name && (o.metadata.namespace ?? "default") === namespace) &&
        !o.metadata.deletionTimestamp,
    );
}
