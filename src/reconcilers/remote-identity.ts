// Which remote a set acts on, whatever its URL's spelling (issue 26): a DCS project is its project id (Huawei
// Cloud project ids are unique); an OceanBase cluster is the name and id its agent reports
// (GET /api/v1/ob/info, `obcluster_info.name`/`.id`: oceanbase/obshell ob/param/obcluster.go ObInfoResp),
// learned when a client is first used and cached with it. Ownership, approval hashes, operation binding
// and credential health key on these strings, never on a URL.
import type { ClusterIdentity } from "../providers/obshell/client.js";
import { endpointKey } from "./fleet-view.js";

/** A DCS project, through any endpoint. */
export const dcsRemote = (projectId: string): string => `dcs|${projectId}`;

/** An OceanBase cluster, through any of its agents' URLs. */
export const obshellRemote = (cluster: ClusterIdentity): string => `obshell|${cluster.name}#${cluster.id}`;

/**
 * How long a learned cluster is trusted before the next reconcile through that client asks again. An
 * operation in flight and every destructive call ask afresh whatever this says (tenant/kind.ts).
 */
export const IDENTITY_REFRESH_MS = 5 * 60_000;

export interface IdentifiableClient {
  clusterIdentity(): Promise<ClusterIdentity>;
}

interface Learned {
  remote: string;
  at: number;
}

/**
 * The clusters obshell clients lead to: per client (the pool holds one per namespace and connection, so a
 * changed connection is a new client, asked again), and the last answer per URL, which is what ownership
 * reads for the other sets of a group without any remote call of its own.
 */
export class ClusterIdentities {
  private readonly byClient = new WeakMap<object, Learned>();
  private readonly asking = new WeakMap<object, Promise<string>>();
  private readonly byEndpoint = new Map<string, Learned>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly refreshMs = IDENTITY_REFRESH_MS,
  ) {}

  /**
   * The cluster `client` (speaking to `endpoint`) leads to: cached, unless unknown, older than the refresh
   * interval, or `fresh` is asked for. Sets sharing a client share one request. A failure is the caller's
   * (nothing is decided without it).
   */
  identify(client: IdentifiableClient, endpoint: string, fresh = false): Promise<string> {
    const known = this.byClient.get(client);
    if (known && !fresh && this.now() - known.at < this.refreshMs) return Promise.resolve(known.remote);
    let asking = this.asking.get(client);
    if (!asking) {
      asking = client
        .clusterIdentity()
        .then((cluster) => {
          const learned = { remote: obshellRemote(cluster), at: this.now() };
          this.byClient.set(client, learned);
          this.byEndpoint.set(endpointKey(endpoint), learned);
          return learned.remote;
        })
        .finally(() => this.asking.delete(client));
      this.asking.set(client, asking);
    }
    return asking;
  }

  /** What the agent at `endpoint` last reported to any set; undefined while no set has asked it. */
  known(endpoint: string): string | undefined {
    return this.byEndpoint.get(endpointKey(endpoint))?.remote;
  }
}
