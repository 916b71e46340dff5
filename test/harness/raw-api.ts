// A thin JSON client for the API server. Tests apply manifests through it because
// @kubernetes/client-node's typed serializer drops keys under their wire names
// (`default`, `enum`, `x-kubernetes-*` of a CRD).
import { Agent, request } from "undici";

export interface RawObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const CLUSTER_SCOPED: Record<string, string> = {
  CustomResourceDefinition: "customresourcedefinitions",
  Namespace: "namespaces",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  ClusterDatabaseConnection: "clusterdatabaseconnections",
};
const NAMESPACED: Record<string, string> = {
  Secret: "secrets",
  ConfigMap: "configmaps",
  ServiceAccount: "serviceaccounts",
  Role: "roles",
  RoleBinding: "rolebindings",
  Lease: "leases",
  Deployment: "deployments",
  Service: "services",
  TenantReplicaSet: "tenantreplicasets",
  RedisInstanceSet: "redisinstancesets",
  DatabaseConnection: "databaseconnections",
};

export function collectionPath(
  obj: Pick<RawObject, "apiVersion" | "kind"> & { metadata: { namespace?: string } },
): string {
  const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const clusterPlural = CLUSTER_SCOPED[obj.kind];
  if (clusterPlural) return `${base}/${clusterPlural}`;
  const plural = NAMESPACED[obj.kind];
  if (!plural) throw new Error(`raw-api: unknown kind ${obj.kind}`);
  return `${base}/namespaces/${obj.metadata.namespace ?? "default"}/${plural}`;
}

export class RawApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`API server answered ${status}: ${body}`);
  }
}

export class RawApi {
  private readonly dispatcher: Agent;
  constructor(
    private readonly server: string,
    caPem: string,
    private readonly token: string,
  ) {
    this.dispatcher = new Agent({ connect: { ca: caPem } });
  }

  async call<T = RawObject>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const res = await request(`${this.server}${path}`, {
      method: method as "GET",
      dispatcher: this.dispatcher,
      headers: {
        authorization: `Bearer ${this.token}`,
        "content-type": contentType,
        accept: "application/json",
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new RawApiError(res.statusCode, text);
    return JSON.parse(text) as T;
  }

  /** A text reply (e.g. the API server's own /metrics). */
  async text(path: string): Promise<string> {
    const res = await request(`${this.server}${path}`, {
      dispatcher: this.dispatcher,
      headers: { authorization: `Bearer ${this.token}` },
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new RawApiError(res.statusCode, text);
    return text;
  }

  /** Create, or replace what is there: the server stores exactly these keys. */
  async apply(obj: RawObject): Promise<RawObject> {
    const collection = collectionPath(obj);
    try {
      return await this.call("POST", collection, obj);
    } catch (error) {
      if (!(error instanceof RawApiError) || error.status !== 409) throw error;
      const existing = await this.call("GET", `${collection}/${obj.metadata.name}`);
      return this.call("PUT", `${collection}/${obj.metadata.name}`, {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion },
      });
    }
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

/** The two Secrets the sets of a test reference: `obshell` (password) and `dcs` (accessKey, secretKey). */
export async function applyCredentialSecrets(
  raw: RawApi,
  namespace: string,
  credentials: { password: string; accessKey: string; secretKey: string },
): Promise<void> {
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell", namespace },
    stringData: { password: credentials.password },
  });
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "dcs", namespace },
    stringData: { accessKey: credentials.accessKey, secretKey: credentials.secretKey },
  });
}
