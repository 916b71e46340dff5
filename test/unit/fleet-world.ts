// A fleet as production runs it (the recommended config): admin-owned DatabaseConnections and
// ClusterDatabaseConnections with their Secrets, sets that name them in spec.connectionRef, resolved and
// located by the operator's own resolver. The world is mutable, so a test can repoint a connection or change
// a Secret between two reconciles, as an admin would.
import { API_VERSION } from "../../src/api/group.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSet } from "../../src/api/tenant-replica-set.js";
import {
  locateConnection,
  type ResolveContext,
  resolveConnection,
  type SetConnectionSpec,
} from "../../src/connections/resolve.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { Remote } from "../../src/reconcilers/engine/kind.js";
import { endpointKey, type LocateRemote } from "../../src/reconcilers/fleet-view.js";
import { fleetGroups } from "../../src/reconcilers/kinds.js";
import { dcsRemote } from "../../src/reconcilers/remote-identity.js";

export const OPERATOR_NAMESPACE = "dbfleet-system";

export interface World {
  /** DatabaseConnections by "namespace/name". */
  connections: Map<string, unknown>;
  /** ClusterDatabaseConnections by name. */
  clusterConnections: Map<string, unknown>;
  /** Secrets' values by "namespace/name". */
  secrets: Map<string, Record<string, string>>;
}

export function world(): World {
  return { connections: new Map(), clusterConnections: new Map(), secrets: new Map() };
}

export interface DcsAt {
  endpoint: string;
  projectId: string;
  /** Secret name; "dcs" by default. */
  secret?: string;
}

/** A DatabaseConnection `namespace/name` to DCS (http allowed: the simulators listen on loopback). */
export function addDcsConnection(w: World, namespace: string, name: string, at: DcsAt): void {
  w.connections.set(`${namespace}/${name}`, {
    apiVersion: API_VERSION,
    kind: "DatabaseConnection",
    metadata: { name, namespace },
    spec: {
      dcs: {
        endpoint: at.endpoint,
        projectId: at.projectId,
        credentialsSecretRef: { name: at.secret ?? "dcs" },
        allowInsecureHTTP: true,
      },
    },
  });
}

/** A ClusterDatabaseConnection to DCS; its Secret lives in the operator's namespace. */
export function addClusterDcsConnection(w: World, name: string, at: DcsAt): void {
  w.clusterConnections.set(name, {
    apiVersion: API_VERSION,
    kind: "ClusterDatabaseConnection",
    metadata: { name },
    spec: {
      allowedNamespaces: ["*"],
      dcs: {
        endpoint: at.endpoint,
        projectId: at.projectId,
        credentialsSecretRef: { name: at.secret ?? "dcs" },
        allowInsecureHTTP: true,
      },
    },
  });
}

/** A DatabaseConnection `namespace/name` to an obshell agent. */
export function addObshellConnection(
  w: World,
  namespace: string,
  name: string,
  at: { endpoint: string; secret?: string },
): void {
  w.connections.set(`${namespace}/${name}`, {
    apiVersion: API_VERSION,
    kind: "DatabaseConnection",
    metadata: { name, namespace },
    spec: {
      obshell: {
        endpoint: at.endpoint,
        credentialsSecretRef: { name: at.secret ?? "obshell" },
        allowInsecureHTTP: true,
      },
    },
  });
}

/** A ClusterDatabaseConnection to an obshell agent. */
export function addClusterObshellConnection(
  w: World,
  name: string,
  at: { endpoint: string; secret?: string },
): void {
  w.clusterConnections.set(name, {
    apiVersion: API_VERSION,
    kind: "ClusterDatabaseConnection",
    metadata: { name },
    spec: {
      allowedNamespaces: ["*"],
      obshell: {
        endpoint: at.endpoint,
        credentialsSecretRef: { name: at.secret ?? "obshell" },
        allowInsecureHTTP: true,
      },
    },
  });
}

export function addSecret(w: World, namespace: string, name: string, values: Record<string, string>): void {
  w.secrets.set(`${namespace}/${name}`, values);
}

/** What the operator resolves against, minus Secrets (ownership reads none). */
export function lookups(w: World): Omit<ResolveContext, "secrets"> {
  return {
    connections: { get: (key) => w.connections.get(key) },
    clusterConnections: { get: (key) => w.clusterConnections.get(key) },
    operatorNamespace: OPERATOR_NAMESPACE,
    allowInlineConnections: false,
  };
}

/** The resolver the operator builds (src/operator.ts): connections, then their Secrets, read now. */
export function resolverOf(w: World) {
  return (set: SetConnectionSpec) =>
    resolveConnection(set, {
      ...lookups(w),
      secrets: {
        get: (key) => {
          const values = w.secrets.get(key);
          return values ? { stringData: values } : undefined;
        },
      },
    });
}

/** The fleet index's grouping, as src/operator.ts builds it. */
export function groupsOf(w: World) {
  return fleetGroups(locateIn(w));
}

/** Where a set's connection leads in `w`, as the operator locates it (no Secret read). */
export function locateIn(w: World): LocateRemote {
  return (kind, namespace, spec) => locateConnection({ kind, namespace, spec }, lookups(w));
}

export interface RefRedisOptions {
  namespace?: string;
  name?: string;
  connection: { kind?: "DatabaseConnection" | "ClusterDatabaseConnection"; name: string };
  selector?: Record<string, unknown>;
  instances?: string[];
  policy?: Record<string, unknown>;
  annotations?: Record<string, string>;
  status?: unknown;
  generation?: number;
}

/** A RedisInstanceSet that names its connection. */
export function refRedisManifest(o: RefRedisOptions): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "RedisInstanceSet",
    metadata: {
      name: o.name ?? "cache",
      namespace: o.namespace ?? "prod",
      generation: o.generation ?? 2,
      resourceVersion: "1",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      connectionRef: { kind: o.connection.kind ?? "DatabaseConnection", name: o.connection.name },
      selector: o.selector ?? { namePrefix: "cache-" },
      instances: o.instances ?? ["cache-1"],
      policy: o.policy ?? {},
    },
    ...(o.status ? { status: o.status } : {}),
  } as KubeObject;
}

export interface RefTenantOptions {
  namespace?: string;
  name?: string;
  connection: { kind?: "DatabaseConnection" | "ClusterDatabaseConnection"; name: string };
  tenant?: string;
  zones?: string[];
  policy?: Record<string, unknown>;
  annotations?: Record<string, string>;
  status?: unknown;
  generation?: number;
}

/** A TenantReplicaSet that names its connection. */
export function refTenantManifest(o: RefTenantOptions): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "TenantReplicaSet",
    metadata: {
      name: o.name ?? "orders",
      namespace: o.namespace ?? "prod",
      generation: o.generation ?? 2,
      resourceVersion: "1",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      connectionRef: { kind: o.connection.kind ?? "DatabaseConnection", name: o.connection.name },
      tenant: o.tenant ?? "orders",
      zones: o.zones ?? ["z1", "z2"],
      policy: o.policy ?? {},
    },
    ...(o.status ? { status: o.status } : {}),
  } as KubeObject;
}

/** Where a set's connection leads, as the engine hands it to decide: the connection's endpoint as written. */
/**
 * Where a set's connection leads in `w`, and the remote it is: a DCS project by its id; an agent stands for
 * a cluster of its own, named after its URL (the tests with two URLs for one cluster are elsewhere).
 */
export function remoteOf(w: World, object: KubeObject): Remote {
  const kind = object.kind === "TenantReplicaSet" ? "TenantReplicaSet" : "RedisInstanceSet";
  const spec = (kind === "TenantReplicaSet" ? tenantReplicaSet : redisInstanceSet).parse(object).spec;
  const at = locateConnection({ kind, namespace: object.metadata.namespace ?? "default", spec }, lookups(w));
  if (!at) throw new Error(`no connection for ${object.metadata.name}`);
  const identity = at.projectId ? dcsRemote(at.projectId) : `obshell|${endpointKey(at.endpoint)}#1`;
  return { ...at, identity };
}
