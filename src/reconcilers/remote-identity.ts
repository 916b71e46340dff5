// Which remote a set acts on, whatever its URL's spelling (issue 26). A DCS project is its project id
// (Huawei Cloud project ids are unique across regions), known from the connection alone. An OceanBase
// cluster is the name and id its agent reports (GET /api/v1/ob/info `obcluster_info.name`/`.id`:
// oceanbase/obshell agent/api/obcluster_handler.go `obInfoHandler`, ob/param/obcluster.go `ObInfoResp`),
// learned when a connection is first used, re-verified on use, and recorded in the set's `status.remote`
// (engine/set-reconciler.ts), so that the fleet rules read it from objects alone, without a remote call:
// a set reached once keeps its identity while its remote is down.
//
// Every fleet rule that keys per remote (ownership groups, approval hashes, operation binding, credential
// health, the change budget) takes the key from here: `remoteKey` (kinds.ts, per kind) for a set as an
// object, `Remote.identity` (engine/kind.ts) for the set being reconciled.
import type { RecordedRemote } from "../api/common.js";
import type { ClusterIdentity } from "../providers/obshell/client.js";
import { endpointKey } from "./fleet-view.js";

/** A DCS project, through any endpoint. */
export const dcsRemote = (projectId: string): string => `dcs|${projectId}`;

/** An OceanBase cluster, through any of its agents' URLs. */
export const obshellRemote = (cluster: ClusterIdentity): string => `obshell|${cluster.name}#${cluster.id}`;

/** "obshell|name#id" as people read it: cluster name (id N); a DCS project as "project P". */
export function describeRemote(identity: string): string {
  if (identity.startsWith("dcs|")) return `project ${identity.slice(4)}`;
  const [name, id] = identity.replace(/^obshell\|/, "").split("#");
  return `cluster ${name} (id ${id})`;
}

/**
 * The identity recorded for a set's connection, when it was learned through the endpoint the connection
 * leads to now (normalised: endpointKey); undefined when never learned or learned through another endpoint
 * (a repointed connection is not yet identified). Without a located endpoint (the connection is missing),
 * the recorded identity stands: a set keeps its place while its connection is being replaced.
 */
export function recordedIdentity(
  recorded: RecordedRemote | undefined,
  locatedEndpoint: string | undefined,
): string | undefined {
  if (!recorded) return undefined;
  if (locatedEndpoint !== undefined && endpointKey(recorded.endpoint) !== endpointKey(locatedEndpoint))
    return undefined;
  return recorded.identity;
}

/**
 * How long a learned cluster is trusted before the next reconcile through that client asks again. An
 * operation in flight and every destructive call ask afresh whatever this says (tenant/kind.ts).
 */
export const IDENTITY_REFRESH_MS = 60_000;

export interface IdentifiableClient {
  clusterIdentity(): Promise<ClusterIdentity>;
}

/**
 * The clusters obshell clients lead to, per client (the pool holds one per namespace and connection, so a
 * changed connection is a new client, asked again). Sets sharing a client share one request.
 */
export class ClusterIdentities {
  private readonly byClient = new WeakMap<object, { remote: string; at: number }>();
  private readonly asking = new WeakMap<object, Promise<string>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly refreshMs = IDENTITY_REFRESH_MS,
  ) {}

  /** The cluster `client` leads to: cached unless older than the refresh interval or `fresh` is asked for. */
  identify(client: IdentifiableClient, fresh = false): Promise<string> {
    const known = this.byClient.get(client);
    if (known && !fresh && this.now() - known.at < this.refreshMs) return Promise.resolve(known.remote);
    let asking = this.asking.get(client);
    if (!asking) {
      asking = client
        .clusterIdentity()
        .then((cluster) => {
          const remote = obshellRemote(cluster);
          this.byClient.set(client, { remote, at: this.now() });
          return remote;
        })
        .finally(() => this.asking.delete(client));
      this.asking.set(client, asking);
    }
    return asking;
  }
}
