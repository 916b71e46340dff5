// `dbfleet-operator plan -f <file|dir>`: the Step the controller would take for each set, computed by the
// same connect/observe/decide code, read-only. Exit 0: nothing would be deleted; 2: a deletion is pending
// (to run, or waiting for approval); 1: could not tell.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadAll, YAMLException } from "js-yaml";
import { z } from "zod";
import { describeIssues } from "../api/parse.js";
import { redisInstanceSet } from "../api/redis-instance-set.js";
import { tenantReplicaSet } from "../api/tenant-replica-set.js";
import { ConnectionClients } from "../connections/client-pool.js";
import { secretsOfConnection } from "../connections/dependencies.js";
import { EndpointPolicy } from "../connections/endpoint-policy.js";
import {
  locateConnection,
  type ResolveResult,
  resolveConnection,
  type SetConnectionSpec,
} from "../connections/resolve.js";
import { kubeUserAgent, loadKubeAccess } from "../controller/kube-access.js";
import { KubeApiError, KubeHttp } from "../controller/kube-http.js";
import type { KubeObject } from "../controller/resource.js";
import { collectionPath, objectPath } from "../controller/resource.js";
import type { DcsClient } from "../providers/dcs/client.js";
import type { ObshellClient } from "../providers/obshell/client.js";
import { SharedListings } from "../reconcilers/dcs-listings.js";
import { MemoryCredentialHealth } from "../reconcilers/engine/memory-credential-health.js";
import {
  identityOf,
  ObserveFailed,
  pausedStep,
  SetReconciler,
} from "../reconcilers/engine/set-reconciler.js";
import type { CommonStep } from "../reconcilers/engine/step.js";
import { fleetCacheOf } from "../reconcilers/fleet-index.js";
import { type FleetCache, fleetGroups, redisPeers, tenantPeers } from "../reconcilers/fleet-view.js";
import { redisKind } from "../reconcilers/redis/kind.js";
import {
  CLUSTER_DATABASE_CONNECTION,
  DATABASE_CONNECTION,
  REDIS_INSTANCE_SET,
  TENANT_REPLICA_SET,
} from "../reconcilers/resources.js";
import { tenantKind } from "../reconcilers/tenant/kind.js";
import { InputError, UsageError, version } from "./flags.js";
import { parsePlanFlags } from "./plan-flags.js";

const credentialEnv = z.object({
  OBSHELL_PASSWORD: z.string().min(1).optional(),
  DCS_ACCESS_KEY: z.string().min(1).optional(),
  DCS_SECRET_KEY: z.string().min(1).optional(),
});

type Kind = "TenantReplicaSet" | "RedisInstanceSet";

export interface PlanRow {
  kind: Kind;
  namespace: string;
  name: string;
  target: string;
  /** The step the controller would take: Ready, Stall, Wait, AwaitApproval, DryRun, Paused, RemoveZones, ... */
  step: string;
  reason: string;
  message: string;
  /** Zones or instance names the plan removes (to run, or awaiting approval). */
  wouldDelete: string[];
  planHash?: string;
  error?: string;
}

interface Manifest {
  kind: Kind;
  object: KubeObject;
}

function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** The documents of one manifest file; a YAML syntax error names the file and the line. */
function readManifest(file: string): unknown[] {
  const text = readFileSync(file, "utf8");
  try {
    return loadAll(text);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const at = error.mark ? `:${error.mark.line + 1}:${error.mark.column + 1}` : "";
    throw new InputError(`${file}${at}: YAML syntax error: ${error.reason}`);
  }
}

/** The sets in the files, validated: a bad one names the file, the document and the field. */
export function readSets(paths: string[], defaultNamespace: string): Manifest[] {
  const sets: Manifest[] = [];
  for (const file of paths.flatMap(manifestFiles)) {
    const docs = readManifest(file);
    docs.forEach((doc, index) => {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (kind !== "TenantReplicaSet" && kind !== "RedisInstanceSet") return;
      const schema = kind === "TenantReplicaSet" ? tenantReplicaSet : redisInstanceSet;
      const parsed = schema.safeParse(doc);
      if (!parsed.success)
        throw new InputError(`${file} (document ${index + 1}, ${kind}): ${describeIssues(parsed.error)}`);
      const object = doc as KubeObject;
      object.metadata.namespace ??= defaultNamespace;
      sets.push({ kind, object });
    });
  }
  return sets;
}

/**
 * How plan resolves a set's connection. With a cluster, connection settings and Secrets come from the
 * cluster's objects (an inline block is taken from the live set, never from the manifest under review).
 * Without one, only inline connections with credentials from the environment, and only to endpoints the
 * --allowed-endpoints policy names.
 */
function planResolver(
  http: KubeHttp | undefined,
  liveSet: () => KubeObject | undefined,
): (set: SetConnectionSpec) => Promise<ResolveResult> {
  const env = credentialEnv.parse(process.env);
  return async (set) => {
    const objects = new Map<string, unknown>();
    const fetch = async (key: string, path: string) => {
      if (!http || objects.has(key)) return;
      try {
        objects.set(key, await http.json(path));
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    };
    const kindKey = set.kind === "TenantReplicaSet" ? "obshell" : "dcs";
    let spec = set.spec;
    if (http) {
      const liveSpec = (liveSet()?.spec ?? {}) as SetConnectionSpec["spec"];
      // An inline block is trusted only as the cluster has it.
      if (!spec.connectionRef) spec = { ...(liveSpec[kindKey] ? { [kindKey]: liveSpec[kindKey] } : {}) };
      const ref = spec.connectionRef;
      if (ref?.kind === "DatabaseConnection")
        await fetch(`${set.namespace}/${ref.name}`, objectPath(DATABASE_CONNECTION, set.namespace, ref.name));
      if (ref?.kind === "ClusterDatabaseConnection")
        await fetch(`cluster/${ref.name}`, objectPath(CLUSTER_DATABASE_CONNECTION, undefined, ref.name));
    }
    const lookups = {
      connections: { get: (key: string) => objects.get(key) },
      clusterConnections: { get: (name: string) => objects.get(`cluster/${name}`) },
      operatorNamespace: process.env.DBFLEET_OPERATOR_NAMESPACE ?? "dbfleet-system",
      allowInlineConnections: true,
    };
    const secrets = new Map<string, unknown>();
    for (const key of secretsOfConnection({ ...set, spec }, lookups)) {
      const [ns = "", name = ""] = key.split("/");
      if (http) {
        try {
          secrets.set(key, await http.json(`/api/v1/namespaces/${ns}/secrets/${name}`));
        } catch (error) {
          if (!(error instanceof KubeApiError && error.status === 404)) throw error;
        }
      } else {
        const inline = spec.obshell ?? spec.dcs;
        const ref = inline?.credentialsSecretRef as Record<string, string> | undefined;
        const data: Record<string, string> = {};
        if (ref?.key && env.OBSHELL_PASSWORD) data[ref.key] = env.OBSHELL_PASSWORD;
        if (ref?.accessKeyKey && env.DCS_ACCESS_KEY) data[ref.accessKeyKey] = env.DCS_ACCESS_KEY;
        if (ref?.secretKeyKey && env.DCS_SECRET_KEY) data[ref.secretKeyKey] = env.DCS_SECRET_KEY;
        if (Object.keys(data).length > 0) secrets.set(key, { stringData: data });
      }
    }
    return resolveConnection({ ...set, spec }, { ...lookups, secrets: { get: (k) => secrets.get(k) } });
  };
}

/**
 * The fleet plan judges ownership against: the manifests read, and given a cluster, every set in it (a
 * manifest replaces the cluster's copy of the same set). Grouped by where each set acts, as the operator does.
 */
async function planFleet(sets: Manifest[], http: KubeHttp | undefined): Promise<FleetCache> {
  const byKey = new Map<string, KubeObject>();
  const connections = new Map<string, unknown>();
  const clusterConnections = new Map<string, unknown>();
  if (http) {
    for (const type of [TENANT_REPLICA_SET, REDIS_INSTANCE_SET]) {
      const list = await http.json<{ items?: KubeObject[] }>(collectionPath(type));
      for (const o of list.items ?? [])
        byKey.set(`${type.kind}/${o.metadata.namespace}/${o.metadata.name}`, o);
    }
    const named = await http.json<{ items?: KubeObject[] }>(collectionPath(DATABASE_CONNECTION));
    for (const o of named.items ?? []) connections.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    const cluster = await http.json<{ items?: KubeObject[] }>(collectionPath(CLUSTER_DATABASE_CONNECTION));
    for (const o of cluster.items ?? []) clusterConnections.set(o.metadata.name, o);
  }
  for (const m of sets)
    byKey.set(`${m.kind}/${m.object.metadata.namespace}/${m.object.metadata.name}`, m.object);
  const lookups = {
    connections: { get: (k: string) => connections.get(k) },
    clusterConnections: { get: (k: string) => clusterConnections.get(k) },
    operatorNamespace: process.env.DBFLEET_OPERATOR_NAMESPACE ?? "dbfleet-system",
    allowInlineConnections: true,
  };
  const groups = fleetGroups((kind, namespace, spec) => locateConnection({ kind, namespace, spec }, lookups));
  return fleetCacheOf(byKey.values(), groups);
}

/** The set as the cluster has it: its status (the operation in flight, approvals used) and connection. */
async function liveObject(http: KubeHttp | undefined, entry: Manifest): Promise<KubeObject | undefined> {
  if (!http) return undefined;
  const type = entry.kind === "TenantReplicaSet" ? TENANT_REPLICA_SET : REDIS_INSTANCE_SET;
  try {
    return await http.json<KubeObject>(
      objectPath(type, entry.object.metadata.namespace, entry.object.metadata.name),
    );
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

const DELETING_STEPS = new Set(["RemoveZones", "DeleteInstances", "AwaitApproval"]);

function targetsOf(step: CommonStep | { kind: string; zones?: string[]; targets?: unknown }): string[] {
  if (step.kind === "AwaitApproval" && "approval" in step) return step.approval.targets;
  if ("zones" in step && Array.isArray(step.zones)) return step.zones;
  if (step.kind === "DeleteInstances" && "targets" in step && Array.isArray(step.targets))
    return (step.targets as { name: string }[]).map((t) => t.name);
  return [];
}

export async function planRows(
  sets: Manifest[],
  http: KubeHttp | undefined,
  endpointPolicy: EndpointPolicy,
): Promise<PlanRow[]> {
  let live: KubeObject | undefined;
  const noop = { update: async (_t: unknown, o: KubeObject) => o };
  const deps = {
    cache: { get: () => undefined },
    status: noop as never,
    events: { record: () => undefined },
    credentials: new MemoryCredentialHealth(),
  };
  const obshellPool = new ConnectionClients<ObshellClient>();
  const dcsPool = new ConnectionClients<DcsClient>();
  const connect = { resolve: planResolver(http, () => live), endpointPolicy };
  const fleet = await planFleet(sets, http);
  const tenants = new SetReconciler(
    tenantKind({
      ...connect,
      pool: obshellPool,
      peers: (set, id, remote) => tenantPeers(fleet, id, remote.endpoint, set.spec.tenant),
    }),
    deps,
  );
  const redis = new SetReconciler(
    redisKind({
      ...connect,
      pool: dcsPool,
      listings: new SharedListings(),
      peers: (id, remote, instance) =>
        redisPeers(fleet, id, remote.endpoint, remote.projectId ?? "", instance),
    }),
    deps,
  );
  const rows: PlanRow[] = [];
  try {
    for (const entry of sets) {
      live = await liveObject(http, entry);
      const object = live ? { ...entry.object, status: live.status } : entry.object;
      const id = identityOf(object);
      const base = { kind: entry.kind, namespace: id.namespace, name: id.name };
      try {
        const row =
          entry.kind === "TenantReplicaSet"
            ? await assessOne(tenants, tenantReplicaSet.parse(object), object, id)
            : await assessOne(redis, redisInstanceSet.parse(object), object, id);
        rows.push({ ...base, target: targetOf(object, entry.kind), ...row });
      } catch (error) {
        const message =
          error instanceof ObserveFailed
            ? error.cause.message
            : error instanceof Error
              ? error.message
              : String(error);
        rows.push({
          ...base,
          target: targetOf(object, entry.kind),
          step: "Error",
          reason: "ObserveFailed",
          message,
          wouldDelete: [],
          error: message,
        });
      }
    }
  } finally {
    await obshellPool.closeAll();
    await dcsPool.closeAll();
  }
  return rows;
}

async function assessOne<S extends { spec: { paused: boolean } }>(
  reconciler: {
    assess(
      object: KubeObject,
      set: S,
      id: ReturnType<typeof identityOf>,
    ): Promise<{ step: { kind: string; reason: string; message: string } }>;
  },
  set: S,
  object: KubeObject,
  id: ReturnType<typeof identityOf>,
): Promise<Omit<PlanRow, "kind" | "namespace" | "name" | "target">> {
  const step = pausedStep(set, id) ?? (await reconciler.assess(object, set, id)).step;
  const wouldDelete = DELETING_STEPS.has(step.kind) ? targetsOf(step as CommonStep) : [];
  return {
    step: step.kind,
    reason: step.reason,
    message: step.message,
    wouldDelete,
    ...(step.kind === "AwaitApproval" && "approval" in step
      ? { planHash: (step as Extract<CommonStep, { kind: "AwaitApproval" }>).approval.hash }
      : {}),
  };
}

function targetOf(object: KubeObject, kind: Kind): string {
  const spec = object.spec as {
    tenant?: string;
    connectionRef?: { kind: string; name: string };
    obshell?: { endpoint: string };
    dcs?: { endpoint: string; projectId: string };
  };
  const via = spec.connectionRef ? `${spec.connectionRef.kind}/${spec.connectionRef.name}` : undefined;
  return kind === "TenantReplicaSet"
    ? `tenant ${spec.tenant} @ ${via ?? spec.obshell?.endpoint}`
    : via
      ? `@ ${via}`
      : `project ${spec.dcs?.projectId} @ ${spec.dcs?.endpoint}`;
}

function table(rows: PlanRow[]): string {
  const head = ["KIND", "SET", "REMOTE", "STEP", "WOULD DELETE", "NOTE"];
  const body = rows.map((r) => [
    r.kind,
    `${r.namespace}/${r.name}`,
    r.target,
    r.step,
    r.wouldDelete.length ? r.wouldDelete.join(",") : "-",
    r.error ? `error: ${r.error}` : `${r.reason}: ${r.message}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export async function plan(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
): Promise<number> {
  const flags = parsePlanFlags(argv);
  const sets = readSets(flags.filename, flags.namespace);
  let http: KubeHttp | undefined;
  if (flags.kubeconfig || process.env.KUBECONFIG)
    http = new KubeHttp(
      await loadKubeAccess({
        path: flags.kubeconfig,
        context: flags.context,
        userAgent: kubeUserAgent(version()),
      }),
    );
  // Credentials from the environment go only to endpoints named here; without a cluster it must be set.
  const endpointPolicy = new EndpointPolicy({ allowedEndpoints: flags["allowed-endpoints"] });
  if (!http && flags["allowed-endpoints"] === "")
    throw new UsageError(
      "without a cluster, plan sends credentials from the environment: name the endpoints they may go to with --allowed-endpoints",
    );
  const rows = await planRows(sets, http, endpointPolicy).finally(() => http?.close());
  out(flags.output === "json" ? JSON.stringify(rows, null, 2) : table(rows));
  if (rows.some((r) => r.error)) return 1;
  return rows.some((r) => r.wouldDelete.length > 0) ? 2 : 0;
}
