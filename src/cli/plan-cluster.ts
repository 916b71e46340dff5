// What `plan` reads from the cluster, and how it resolves a set's connection: the operator's resolver
// (resolveConnection), its dependency list (secretsOfConnection) and its refusal of inline connections,
// over objects fetched by names that were checked first. The set's spec is always the manifest's; the
// cluster's copy of the set gives status (and annotations set outside Git) only.
import { z } from "zod";
import { secretsOfConnection } from "../connections/dependencies.js";
import {
  type ResolveContext,
  type ResolveResult,
  resolveConnection,
  type SetConnectionSpec,
} from "../connections/resolve.js";
import { kubeUserAgent, loadKubeAccess } from "../controller/kube-access.js";
import { KubeApiError, KubeHttp } from "../controller/kube-http.js";
import type { KubeObject, ResourceType } from "../controller/resource.js";
import { objectPath, splitKey } from "../controller/resource.js";
import { CLUSTER_DATABASE_CONNECTION, DATABASE_CONNECTION } from "../reconcilers/resources.js";
import { version } from "./flags.js";
import { checkedName } from "./plan-input.js";

/** The cluster through the caller's kubeconfig, as kubectl reads it. */
export async function openCluster(flags: { kubeconfig?: string | undefined; context?: string | undefined }) {
  return new KubeHttp(
    await loadKubeAccess({
      path: flags.kubeconfig,
      context: flags.context,
      userAgent: kubeUserAgent(version()),
    }),
  );
}

const SECRET: ResourceType = {
  group: "",
  version: "v1",
  plural: "secrets",
  kind: "Secret",
  namespaced: true,
};

/** GET of one object by checked names; undefined when the API server has none. */
export async function getObject<T = unknown>(
  http: KubeHttp,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
): Promise<T | undefined> {
  const ns =
    namespace === undefined ? undefined : checkedName("namespace", namespace, `${type.kind} namespace`);
  const path = objectPath(type, ns, checkedName("name", name, `${type.kind} name`));
  try {
    return await http.json<T>(path);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

const credentialEnv = z.object({
  OBSHELL_PASSWORD: z.string().min(1).optional(),
  DCS_ACCESS_KEY: z.string().min(1).optional(),
  DCS_SECRET_KEY: z.string().min(1).optional(),
});

export interface PlanResolverOptions {
  http: KubeHttp | undefined;
  /** `--allow-inline-connections`: as the operator's flag; off, an inline set is refused unread. */
  allowInlineConnections: boolean;
  operatorNamespace: string;
}

/**
 * How plan resolves the connection of `set` (the spec the engine passes: the manifest's, or the one
 * status.operation was started with). With a cluster, connections and Secrets come from it; without one,
 * only inline connections (when allowed), with credentials from OBSHELL_PASSWORD / DCS_ACCESS_KEY /
 * DCS_SECRET_KEY.
 */
export function planResolver(
  options: PlanResolverOptions,
): (set: SetConnectionSpec) => Promise<ResolveResult> {
  const env = credentialEnv.parse(process.env);
  const { http } = options;
  return async (set) => {
    const connections = new Map<string, unknown>();
    const clusterConnections = new Map<string, unknown>();
    const ref = set.spec.connectionRef;
    if (http && ref?.kind === "DatabaseConnection")
      connections.set(
        `${set.namespace}/${ref.name}`,
        await getObject(http, DATABASE_CONNECTION, set.namespace, ref.name),
      );
    if (http && ref?.kind === "ClusterDatabaseConnection")
      clusterConnections.set(
        ref.name,
        await getObject(http, CLUSTER_DATABASE_CONNECTION, undefined, ref.name),
      );
    const lookups = {
      connections: { get: (key: string) => connections.get(key) },
      clusterConnections: { get: (name: string) => clusterConnections.get(name) },
      operatorNamespace: options.operatorNamespace,
      allowInlineConnections: options.allowInlineConnections,
    };
    const secrets = new Map<string, unknown>();
    for (const key of secretsOfConnection(set, lookups)) {
      const { namespace = "", name } = splitKey(key);
      if (http) {
        secrets.set(key, await getObject(http, SECRET, namespace, name));
        continue;
      }
      const inline = set.spec.obshell ?? set.spec.dcs;
      const secretRef = inline?.credentialsSecretRef;
      if (!secretRef || secretRef.name !== name) continue;
      const data: Record<string, string> = {};
      if ("key" in secretRef && env.OBSHELL_PASSWORD) data[secretRef.key] = env.OBSHELL_PASSWORD;
      if ("accessKeyKey" in secretRef && env.DCS_ACCESS_KEY)
        data[secretRef.accessKeyKey] = env.DCS_ACCESS_KEY;
      if ("secretKeyKey" in secretRef && env.DCS_SECRET_KEY)
        data[secretRef.secretKeyKey] = env.DCS_SECRET_KEY;
      if (Object.keys(data).length > 0) secrets.set(key, { stringData: data });
    }
    const context: ResolveContext = { ...lookups, secrets: { get: (k) => secrets.get(k) } };
    return resolveConnection(set, context);
  };
}

/** The cluster's copy of a set, or undefined when it is new. */
export function liveSet(
  http: KubeHttp | undefined,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  return http ? getObject<KubeObject>(http, type, namespace, name) : Promise.resolve(undefined);
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const lastApplied = z.object({
  metadata: z.object({ annotations: z.record(z.string(), z.string()).optional() }).optional(),
});

/**
 * The set as the controller will see it after the apply: the manifest's metadata and spec, the cluster's
 * status, and the annotations someone set by hand (`kubectl annotate`: pause, approve-plan), which an
 * apply keeps unless the last apply wrote them.
 */
export function asApplied(
  manifest: KubeObject,
  live: KubeObject | undefined,
  specChanged: boolean,
): KubeObject {
  if (!live) return manifest;
  const previous = lastApplied.safeParse(
    (() => {
      try {
        return JSON.parse(live.metadata.annotations?.[LAST_APPLIED] ?? "{}");
      } catch {
        return {};
      }
    })(),
  );
  const appliedBefore = new Set(Object.keys(previous.data?.metadata?.annotations ?? {}));
  const kept = Object.entries(live.metadata.annotations ?? {}).filter(
    ([key]) => key !== LAST_APPLIED && !appliedBefore.has(key),
  );
  const annotations = { ...Object.fromEntries(kept), ...(manifest.metadata.annotations ?? {}) };
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      // A changed spec is a new generation, as the API server counts it.
      ...(live.metadata.generation !== undefined
        ? { generation: live.metadata.generation + (specChanged ? 1 : 0) }
        : {}),
    },
    ...(live.status !== undefined ? { status: live.status } : {}),
  };
}
