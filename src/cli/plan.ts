// `dbfleet-operator plan -f <file|dir>`: what the controller would delete, observed read-only.
// Exit 0: nothing would change; 2: deletions pending; 1: could not tell.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadAll, YAMLException } from "js-yaml";
import { z } from "zod";
import { durationMs } from "../api/common.js";
import { describeIssues } from "../api/parse.js";
import { type RedisInstanceSet, redisInstanceSet } from "../api/redis-instance-set.js";
import { type TenantReplicaSet, tenantReplicaSet } from "../api/tenant-replica-set.js";
import { loadKubeAccess } from "../controller/kube-access.js";
import { KubeHttp } from "../controller/kube-http.js";
import { DcsClient } from "../providers/dcs/client.js";
import { ObshellClient } from "../providers/obshell/client.js";
import { observeTenant } from "../reconcilers/observe-tenant.js";
import { observedRedis } from "../reconcilers/redis-instance-set.js";
import { planRedis } from "../reconcilers/redis-plan.js";
import { planTenant } from "../reconcilers/tenant-plan.js";
import { InputError } from "./flags.js";
import { parsePlanFlags } from "./plan-flags.js";

const credentialEnv = z.object({
  OBSHELL_PASSWORD: z.string().min(1).optional(),
  DCS_ACCESS_KEY: z.string().min(1).optional(),
  DCS_SECRET_KEY: z.string().min(1).optional(),
});

export interface PlanRow {
  kind: "TenantReplicaSet" | "RedisInstanceSet";
  namespace: string;
  name: string;
  target: string;
  wouldDelete: string[];
  nextOperation: string[];
  blockers: string[];
  approvalRequired: boolean;
  planHash: string;
  error?: string;
}

function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

type Parsed =
  | { kind: "TenantReplicaSet"; set: TenantReplicaSet }
  | { kind: "RedisInstanceSet"; set: RedisInstanceSet };

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

export function readSets(paths: string[], defaultNamespace: string): Parsed[] {
  const sets: Parsed[] = [];
  for (const file of paths.flatMap(manifestFiles)) {
    const docs = readManifest(file);
    docs.forEach((doc, index) => {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (kind !== "TenantReplicaSet" && kind !== "RedisInstanceSet") return;
      const schema = kind === "TenantReplicaSet" ? tenantReplicaSet : redisInstanceSet;
      const parsed = schema.safeParse(doc);
      if (!parsed.success)
        throw new InputError(`${file} (document ${index + 1}, ${kind}): ${describeIssues(parsed.error)}`);
      parsed.data.metadata.namespace ??= defaultNamespace;
      sets.push(
        kind === "TenantReplicaSet"
          ? { kind, set: parsed.data as TenantReplicaSet }
          : { kind, set: parsed.data as RedisInstanceSet },
      );
    });
  }
  return sets;
}

/** Reads credentials from the environment first, else from the Secret in the cluster. */
class Credentials {
  private readonly env = credentialEnv.parse(process.env);
  constructor(private readonly http: KubeHttp | undefined) {}

  async get(
    namespace: string,
    name: string,
    keys: string[],
    envValues: (string | undefined)[],
  ): Promise<string[]> {
    if (envValues.every((v) => v !== undefined)) return envValues as string[];
    if (!this.http)
      throw new Error(
        `no credentials: set them in the environment or give --kubeconfig to read Secret ${namespace}/${name}`,
      );
    const secret = await this.http.json<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${namespace}/secrets/${name}`,
    );
    return keys.map((k) => {
      const v = secret.data?.[k];
      if (v === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${k}"`);
      return Buffer.from(v, "base64").toString("utf8");
    });
  }

  get obshellPassword() {
    return this.env.OBSHELL_PASSWORD;
  }
  get dcs() {
    return [this.env.DCS_ACCESS_KEY, this.env.DCS_SECRET_KEY];
  }
}

type PlanOutcome = Pick<
  PlanRow,
  "wouldDelete" | "nextOperation" | "blockers" | "approvalRequired" | "planHash"
>;

function outcome(
  wouldDelete: string[],
  nextOperation: string[],
  blockers: { reason: string; message: string }[],
  approval: { required: boolean; hash: string },
): PlanOutcome {
  return {
    wouldDelete,
    nextOperation,
    blockers: blockers.map((b) => `${b.reason}: ${b.message}`),
    approvalRequired: approval.required,
    planHash: approval.hash,
  };
}

/** The planner's view of one set: the same observation and plan functions the controller uses. */
async function planOne(entry: Parsed, namespace: string, credentials: Credentials): Promise<PlanOutcome> {
  if (entry.kind === "TenantReplicaSet") {
    const spec = entry.set.spec;
    const ref = spec.obshell.credentialsSecretRef;
    const [password = ""] = await credentials.get(
      namespace,
      ref.name,
      [ref.key],
      [credentials.obshellPassword],
    );
    const client = new ObshellClient({
      endpoint: spec.obshell.endpoint,
      password: () => password,
      timeoutMs: durationMs(spec.obshell.requestTimeout),
    });
    const plan = planTenant(spec, await observeTenant(client, spec.tenant).finally(() => client.close()));
    return outcome(plan.zonesToRemove, plan.nextOperation, plan.blockers, plan.approval);
  }
  const spec = entry.set.spec;
  const ref = spec.dcs.credentialsSecretRef;
  const [accessKey = "", secretKey = ""] = await credentials.get(
    namespace,
    ref.name,
    [ref.accessKeyKey, ref.secretKeyKey],
    credentials.dcs,
  );
  const client = new DcsClient({
    endpoint: spec.dcs.endpoint,
    projectId: spec.dcs.projectId,
    auth: { kind: "aksk", credentials: () => ({ accessKey, secretKey }) },
  });
  const listing = await client.listInstances().finally(() => client.close());
  const plan = planRedis(
    spec,
    listing.instances.map(observedRedis),
    entry.set.status?.deletions ?? [],
    new Date(),
  );
  return outcome(
    plan.toDelete.map((i) => i.name),
    plan.batches.flat().map((i) => i.name),
    plan.blockers,
    plan.approval,
  );
}

export async function planRows(sets: Parsed[], http: KubeHttp | undefined): Promise<PlanRow[]> {
  const credentials = new Credentials(http);
  const rows: PlanRow[] = [];
  for (const entry of sets) {
    const namespace = entry.set.metadata.namespace ?? "default";
    const target =
      entry.kind === "TenantReplicaSet"
        ? `tenant ${entry.set.spec.tenant} @ ${entry.set.spec.obshell.endpoint}`
        : `project ${entry.set.spec.dcs.projectId} @ ${entry.set.spec.dcs.endpoint}`;
    const base = { kind: entry.kind, namespace, name: entry.set.metadata.name, target };
    try {
      rows.push({ ...base, ...(await planOne(entry, namespace, credentials)) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      rows.push({ ...base, ...outcome([], [], [], { required: false, hash: "" }), error: message });
    }
  }
  return rows;
}

function table(rows: PlanRow[]): string {
  const head = ["KIND", "SET", "REMOTE", "WOULD DELETE", "NOTE"];
  const body = rows.map((r) => [
    r.kind,
    `${r.namespace}/${r.name}`,
    r.target,
    r.wouldDelete.length ? r.wouldDelete.join(",") : "-",
    r.error
      ? `error: ${r.error}`
      : r.blockers.length
        ? `blocked: ${r.blockers.join("; ")}`
        : r.approvalRequired
          ? `needs approval ${r.planHash}`
          : "",
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
    http = new KubeHttp(await loadKubeAccess({ path: flags.kubeconfig, context: flags.context }));
  const rows = await planRows(sets, http).finally(() => http?.close());
  out(flags.output === "json" ? JSON.stringify(rows, null, 2) : table(rows));
  if (rows.some((r) => r.error)) return 1;
  return rows.some((r) => r.wouldDelete.length > 0) ? 2 : 0;
}
