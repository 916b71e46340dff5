// The real kubectl against the harness API server: render kustomizations, apply, `auth can-i`; and
// the operator run as a process under a ServiceAccount's token, as its Deployment runs it.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dump, loadAll } from "js-yaml";
import { eventually } from "./engine.js";
import { removeOnExit } from "./processes.js";
import type { RawApi, RawObject } from "./raw-api.js";

export const repoRoot = join(import.meta.dirname, "..", "..");

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with `args` (and `stdin`), never throws: the caller asserts on code and output. */
export function kubectl(
  args: string[],
  options: { kubeconfig?: string; stdin?: string } = {},
): Promise<KubectlResult> {
  const child = spawn(
    "kubectl",
    [...(options.kubeconfig ? [`--kubeconfig=${options.kubeconfig}`] : []), ...args],
    {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like kubectl(), but a non-zero exit is an error carrying kubectl's stderr. */
export async function kubectlOk(
  args: string[],
  options: { kubeconfig?: string; stdin?: string } = {},
): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** `kubectl kustomize dir`, as objects. */
export async function kustomize(dir: string): Promise<RawObject[]> {
  return (loadAll(await kubectlOk(["kustomize", resolve(repoRoot, dir)])) as RawObject[]).filter(Boolean);
}

export function toYaml(docs: RawObject[]): string {
  return docs.map((d) => dump(d, { lineWidth: -1, noRefs: true })).join("---\n");
}

/**
 * The harness builds kube-apiserver 1.20 (Debian's), which serves PodDisruptionBudgets only as
 * policy/v1beta1; deploy/ uses policy/v1 (served since 1.21, the only one since 1.25). The fields
 * deploy/ sets (maxUnavailable, selector) mean the same in both, so on an old server only the
 * apiVersion changes.
 */
export async function forServer(kubeconfig: string, docs: RawObject[]): Promise<RawObject[]> {
  const versions = (await kubectlOk(["api-versions"], { kubeconfig })).split("\n");
  if (versions.includes("policy/v1")) return docs;
  return docs.map((d) =>
    d.kind === "PodDisruptionBudget" && d.apiVersion === "policy/v1"
      ? { ...d, apiVersion: "policy/v1beta1" }
      : d,
  );
}

export interface Relocation {
  /** Namespace names to replace (objects' metadata, Namespace objects, binding subjects, --namespace args). */
  namespaces: Record<string, string>;
  /** Appended to cluster-scoped names (and to roleRefs naming a ClusterRole), so files do not collide. */
  clusterSuffix: string;
}

const CLUSTER_SCOPED_KINDS = new Set(["ClusterRole", "ClusterRoleBinding", "PriorityClass"]);

/**
 * A rendered install moved to fresh namespaces and cluster-scoped names, so each test file has its
 * own copy on the shared API server. CRDs are dropped: the harness installed them already.
 */
export function relocate(docs: RawObject[], relocation: Relocation): RawObject[] {
  const ns = (name: string) => relocation.namespaces[name] ?? name;
  return docs
    .filter((d) => d.kind !== "CustomResourceDefinition")
    .map((original) => {
      const d = structuredClone(original) as RawObject & {
        subjects?: { namespace?: string }[];
        roleRef?: { kind: string; name: string };
        spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
      };
      if (d.metadata.namespace) d.metadata.namespace = ns(d.metadata.namespace);
      if (d.kind === "Namespace") d.metadata.name = ns(d.metadata.name);
      if (CLUSTER_SCOPED_KINDS.has(d.kind)) d.metadata.name += relocation.clusterSuffix;
      if (d.roleRef?.kind === "ClusterRole") d.roleRef.name += relocation.clusterSuffix;
      for (const s of d.subjects ?? []) if (s.namespace) s.namespace = ns(s.namespace);
      for (const c of d.spec?.template?.spec?.containers ?? [])
        if (c.args)
          c.args = c.args.map((a) =>
            a.replace(/^--namespace=(.+)$/, (_, n: string) => `--namespace=${ns(n)}`),
          );
      return d;
    });
}

/** A short-lived token for a ServiceAccount (TokenRequest), as the kubelet would mount it. */
export async function serviceAccountToken(admin: RawApi, namespace: string, name: string): Promise<string> {
  const response = await admin.call<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
  );
  return response.status.token;
}

/** A kubeconfig file for `token`; the folder is removed by the returned function or on exit. */
export function tokenKubeconfig(
  server: string,
  caPem: string,
  token: string,
): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dbfleet-sa-"));
  const forget = removeOnExit(dir);
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
        },
      ],
      users: [{ name: "sa", user: { token } }],
      contexts: [{ name: "sa", context: { cluster: "test", user: "sa" } }],
      "current-context": "sa",
    }),
    { mode: 0o600 },
  );
  return {
    path,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}

/** `kubectl auth can-i` under `kubeconfig`: true for yes, false for no. */
export async function canI(kubeconfig: string, args: string[]): Promise<boolean> {
  const result = await kubectl(["auth", "can-i", ...args], { kubeconfig });
  const answer = result.stdout.trim();
  if (answer !== "yes" && !answer.startsWith("no"))
    throw new Error(`kubectl auth can-i ${args.join(" ")}: ${result.stderr}`);
  return answer === "yes";
}

/** The operator container's args from a rendered Deployment. */
export function deploymentArgs(docs: RawObject[], name: string): string[] {
  const deployment = docs.find((d) => d.kind === "Deployment" && d.metadata.name === name) as
    | (RawObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } })
    | undefined;
  const args = deployment?.spec.template.spec.containers[0]?.args;
  if (!args) throw new Error(`no Deployment ${name} with container args among the rendered objects`);
  return args;
}

export interface OperatorProcess {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
  /** The metrics and probe URLs from the start log line. */
  urls: () => Promise<{ metrics: string; probes: string }>;
  stop: () => Promise<number | null>;
}

/**
 * Starts `dbfleet-operator` with `args` (a Deployment's, then overrides: later flags win) on the Node
 * running the tests. `entry` is src/cli/main.ts (through tsx) unless a compiled main.js is given.
 */
export function startOperator(
  args: string[],
  env: Record<string, string>,
  entry?: string,
  nodeFlags: string[] = [],
): OperatorProcess {
  const argv = entry
    ? [...nodeFlags, entry, ...args]
    : ["--import", "tsx", join(repoRoot, "src", "cli", "main.ts"), ...args];
  const child = spawn(process.execPath, argv, {
    cwd: entry ? join(entry, "..") : repoRoot,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const metricsUrl = /"metrics":"(https?:[^"]+)"/;
  const probesUrl = /"probes":"(http:[^"]+)"/;
  return {
    child,
    output: () => out,
    exited,
    urls: async () => {
      await eventually(
        "the operator's start log line",
        () => probesUrl.test(out) || child.exitCode !== null,
        30_000,
      );
      const metrics = metricsUrl.exec(out)?.[1];
      const probes = probesUrl.exec(out)?.[1];
      if (!metrics || !probes) throw new Error(`the operator exited before starting:\n${out}`);
      return { metrics, probes };
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * A paused TenantReplicaSet: the operator writes status.phase Paused without any remote call, so before it
 * would resolve its connection (which need not exist).
 */
export function pausedTenantSet(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace, labels },
    spec: {
      connectionRef: { kind: "DatabaseConnection", name: "absent" },
      tenant: name.replace(/-/g, "_"),
      zones: ["z1"],
      paused: true,
    },
  };
}

/** status.phase of a TenantReplicaSet, or undefined while it has none. */
export async function phaseOf(admin: RawApi, namespace: string, name: string): Promise<string | undefined> {
  const set = await admin.call<{ status?: { phase?: string } }>(
    "GET",
    `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`,
  );
  return set.status?.phase;
}
