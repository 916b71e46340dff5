// `dbfleet-operator plan -f <file|dir>`: the Step the controller would take for each set, computed by the
// same connect/observe/decide code, read-only. Exit 0: nothing would be deleted; 2: a deletion is pending
// (to run, or waiting for approval); 1: could not tell.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { z } from "zod";
import { describeIssues } from "../api/parse.js";
import { redisInstanceSet } from "../api/redis-instance-set.js";
import { tenantReplicaSet } from "../api/tenant-replica-set.js";
import { loadKubeAccess } from "../controller/kube-access.js";
import { KubeApiError, KubeHttp } from "../controller/kube-http.js";
import type { KubeObject } from "../controller/resource.js";
import { objectPath } from "../controller/resource.js";
import type { DcsClient } from "../providers/dcs/client.js";
import type { ObshellClient } from "../providers/obshell/client.js";
import { ClientPool, type SecretLookup, type SecretSource } from "../reconcilers/connect.js";
import { SharedListings } from "../reconcilers/dcs-listings.js";
import { MemoryCredentialHealth } from "../reconcilers/engine/memory-credential-health.js";
import {
  identityOf,
  ObserveFailed,
  pausedStep,
  SetReconciler,
} from "../reconcilers/engine/set-reconciler.js";
import type { CommonStep } from "../reconcilers/engine/step.js";
import { redisKind } from "../reconcilers/redis/kind.js";
import { REDIS_INSTANCE_SET, TENANT_REPLICA_SET } from "../reconcilers/resources.js";
import { tenantKind } from "../reconcilers/tenant/kind.js";
import { parseFlags, UsageError } from "./flags.js";

const planFlags = z.object({
  filename: z.array(z.string().min(1)).min(1, { message: "name at least one file or folder with -f" }),
  output: z.enum(["table", "json"]).default("table"),
  kubeconfig: z.string().optional(),
  namespace: z.string().default("default"),
});

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

/** The sets in the files, validated: a bad one names the file, the document and the field. */
export function readSets(paths: string[], defaultNamespace: string): Manifest[] {
  const sets: Manifest[] = [];
  for (const file of paths.flatMap(manifestFiles)) {
    const docs = loadAll(readFileSync(file, "utf8")) as unknown[];
    docs.forEach((doc, index) => {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (kind !== "TenantReplicaSet" && kind !== "RedisInstanceSet") return;
      const schema = kind === "TenantReplicaSet" ? tenantReplicaSet : redisInstanceSet;
      const parsed = schema.safeParse(doc);
      if (!parsed.success)
        throw new UsageError(`${file} (document ${index + 1}, ${kind}): ${describeIssues(parsed.error)}`);
      const object = doc as KubeObject;
      object.metadata.namespace ??= defaultNamespace;
      sets.push({ kind, object });
    });
  }
  return sets;
}

/** Credentials from the environment first, else from the Secret in the cluster. */
function planSecrets(http: KubeHttp | undefined): SecretSource {
  const env = credentialEnv.parse(process.env);
  const fromEnv: Record<string, string | undefined> = {
    password: env.OBSHELL_PASSWORD,
    accessKey: env.DCS_ACCESS_KEY,
    secretKey: env.DCS_SECRET_KEY,
  };
  return {
    async read(namespace, name, keys): Promise<SecretLookup> {
      const envValues = keys.map((k) => fromEnv[k]);
      if (envValues.every((v) => v !== undefined))
        return { ok: true, values: Object.fromEntries(keys.map((k, i) => [k, envValues[i] ?? ""])) };
      if (!http)
        return {
          ok: false,
          message: `no credentials: set them in the environment or give --kubeconfig to read Secret ${namespace}/${name}`,
        };
      const secret = await http.json<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${namespace}/secrets/${name}`,
      );
      const values: Record<string, string> = {};
      for (const k of keys) {
        const v = secret.data?.[k];
        if (v === undefined) return { ok: false, message: `Secret ${namespace}/${name} has no key "${k}"` };
        values[k] = Buffer.from(v, "base64").toString("utf8");
      }
      return { ok: true, values };
    },
  };
}

/** The live object's status, so plan sees the operation in flight and the approvals used, as the controller does. */
async function withLiveStatus(http: KubeHttp | undefined, entry: Manifest): Promise<KubeObject> {
  if (!http) return entry.object;
  const type = entry.kind === "TenantReplicaSet" ? TENANT_REPLICA_SET : REDIS_INSTANCE_SET;
  try {
    const live = await http.json<KubeObject>(
      objectPath(type, entry.object.metadata.namespace, entry.object.metadata.name),
    );
    return { ...entry.object, status: live.status };
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return entry.object;
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

export async function planRows(sets: Manifest[], http: KubeHttp | undefined): Promise<PlanRow[]> {
  const secrets = planSecrets(http);
  const noop = { update: async (_t: unknown, o: KubeObject) => o };
  const deps = {
    cache: { get: () => undefined },
    status: noop as never,
    events: { record: () => undefined },
    credentials: new MemoryCredentialHealth(),
  };
  const obshellPool = new ClientPool<ObshellClient>();
  const dcsPool = new ClientPool<DcsClient>();
  const tenants = new SetReconciler(tenantKind({ secrets, pool: obshellPool }), deps);
  const redis = new SetReconciler(
    redisKind({ secrets, pool: dcsPool, listings: new SharedListings() }),
    deps,
  );
  const rows: PlanRow[] = [];
  try {
    for (const entry of sets) {
      const object = await withLiveStatus(http, entry);
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
    obshell?: { endpoint: string };
    dcs?: { endpoint: string; projectId: string };
  };
  return kind === "TenantReplicaSet"
    ? `tenant ${spec.tenant} @ ${spec.obshell?.endpoint}`
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
  const aliased = argv.map((a) => (a === "-f" ? "--filename" : a === "-o" ? "--output" : a));
  const flags = parseFlags(aliased, planFlags, {
    filename: { type: "string", multiple: true },
    output: { type: "string" },
    kubeconfig: { type: "string" },
    namespace: { type: "string" },
  });
  const sets = readSets(flags.filename, flags.namespace);
  let http: KubeHttp | undefined;
  if (flags.kubeconfig || process.env.KUBECONFIG)
    http = new KubeHttp(await loadKubeAccess({ path: flags.kubeconfig }));
  const rows = await planRows(sets, http).finally(() => http?.close());
  out(flags.output === "json" ? JSON.stringify(rows, null, 2) : table(rows));
  if (rows.some((r) => r.error)) return 1;
  return rows.some((r) => r.wouldDelete.length > 0) ? 2 : 0;
}
