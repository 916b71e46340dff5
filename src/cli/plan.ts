// `dbfleet-operator plan -f <file|dir|-> | -k <dir>`: the Step the controller would take for each set,
// computed by the same resolve/connect/observe/decide code, read-only. Exit codes: plan-flags.ts PlanExit.
import { isDeepStrictEqual } from "node:util";
import { rfc3339 } from "../api/common.js";
import { SET_KINDS, type SetKindName } from "../api/kinds.js";
import { Reason } from "../api/reasons.js";
import { locateConnection, type ResolveResult, type SetConnectionSpec } from "../connections/resolve.js";
import { KubeApiError, type KubeHttp } from "../controller/kube-http.js";
import type { KubeObject } from "../controller/resource.js";
import { collectionPath } from "../controller/resource.js";
import type { EndpointPolicy } from "../providers/endpoint-policy.js";
import type { KindRuntime } from "../reconcilers/engine/kind-module.js";
import { MemoryCredentialHealth } from "../reconcilers/engine/memory-credential-health.js";
import { type Assessor, identityOf, ObserveFailed } from "../reconcilers/engine/set-reconciler.js";
import type { CommonStep } from "../reconcilers/engine/step.js";
import { FleetBudgets } from "../reconcilers/fleet-budgets.js";
import { fleetCacheOf } from "../reconcilers/fleet-index.js";
import type { FleetCache, LocateRemote } from "../reconcilers/fleet-view.js";
import { fleetGroups, KINDS, kindModule } from "../reconcilers/kinds.js";
import {
  CLUSTER_DATABASE_CONNECTION,
  DATABASE_CONNECTION,
  FLEET_DISRUPTION_BUDGET,
} from "../reconcilers/resources.js";
import { endpointPolicyOf } from "./endpoint-flags.js";
import { UsageError } from "./flags.js";
import { asApplied, liveSet, openCluster, planResolver } from "./plan-cluster.js";
import { PlanExit, parsePlanFlags } from "./plan-flags.js";
import { kubeconfigNamespace, type Manifest, readSets, readSources } from "./plan-input.js";
import { markdown } from "./plan-markdown.js";

export interface PlanRow {
  kind: SetKindName;
  namespace: string;
  name: string;
  target: string;
  /** The connection actually used: `DatabaseConnection ns/name`, `ClusterDatabaseConnection name`, `inline`; "-" when none. */
  connection: string;
  /** The endpoint actually used, "-" when none was. */
  endpoint: string;
  /** Whether the remote was read: false for a refused or missing connection, a failed remote, a paused set. */
  observed: boolean;
  /** The step the controller would take: Ready, Stall, Wait, AwaitApproval, DryRun, Paused, RemoveZones, ... */
  step: string;
  reason: string;
  message: string;
  /** Zones or instance names the plan removes (to run, or awaiting approval). */
  wouldDelete: string[];
  /** Zones the plan adds a replica to (to run, or awaiting approval); absent when none. */
  wouldAdd?: string[];
  planHash?: string;
  error?: string;
}

/**
 * The fleet plan judges ownership against: the manifests read, and given a cluster, every set in it (a
 * manifest replaces the cluster's copy of the same set). Grouped by where each set acts, as the operator
 * does, with the same refusal of inline connections.
 */
async function planFleet(
  sets: Manifest[],
  http: KubeHttp | undefined,
  options: { allowInlineConnections: boolean; operatorNamespace: string },
): Promise<PlanFleet> {
  const byKey = new Map<string, KubeObject>();
  const live: KubeObject[] = [];
  const connections = new Map<string, unknown>();
  const clusterConnections = new Map<string, unknown>();
  if (http) {
    for (const { type } of KINDS) {
      const list = await http.json<{ items?: KubeObject[] }>(collectionPath(type));
      for (const o of list.items ?? []) {
        const object = { ...o, kind: type.kind };
        byKey.set(`${type.kind}/${o.metadata.namespace}/${o.metadata.name}`, object);
        live.push(object);
      }
    }
    const named = await http.json<{ items?: KubeObject[] }>(collectionPath(DATABASE_CONNECTION));
    for (const o of named.items ?? []) connections.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    const cluster = await http.json<{ items?: KubeObject[] }>(collectionPath(CLUSTER_DATABASE_CONNECTION));
    for (const o of cluster.items ?? []) clusterConnections.set(o.metadata.name, o);
  }
  // A manifest replaces the cluster's copy of the same set but keeps its status: the identity recorded
  // there, and any operation in flight, are the set's whatever the manifest says.
  for (const m of sets) {
    const key = `${m.kind}/${m.object.metadata.namespace}/${m.object.metadata.name}`;
    const status = byKey.get(key)?.status;
    byKey.set(key, status === undefined ? m.object : { ...m.object, status });
  }
  const lookups = {
    connections: { get: (k: string) => connections.get(k) },
    clusterConnections: { get: (k: string) => clusterConnections.get(k) },
    ...options,
  };
  const locate: LocateRemote = (kind, namespace, spec) =>
    locateConnection({ kind, namespace, spec }, lookups);
  const groups = fleetGroups(locate);
  let cache = fleetCacheOf(byKey.values(), groups);
  return {
    fleet: { byIndex: (name, value) => cache.byIndex(name, value) },
    live,
    locate,
    identified(kind, object, remote) {
      const key = `${kind}/${object.metadata.namespace}/${object.metadata.name}`;
      const current = byKey.get(key);
      if (!current) return;
      const status = {
        ...(current.status ?? {}),
        remote: { identity: remote.identity, endpoint: remote.endpoint, observedAt: rfc3339(new Date()) },
      };
      byKey.set(key, { ...current, status });
      cache = fleetCacheOf(byKey.values(), groups);
    },
  };
}

/** The fleet `plan` judges against, and how a manifest's own remote, once identified, joins it. */
interface PlanFleet {
  fleet: FleetCache;
  /** The cluster's sets, with their status as stored (what the budgets count). */
  live: KubeObject[];
  /** Where a set's connection leads, from the manifests and the cluster's connections. */
  locate: LocateRemote;
  /** The manifest's connection leads to `remote`: it stands in the fleet as the controller will record it. */
  identified(kind: SetKindName, object: KubeObject, remote: { identity: string; endpoint: string }): void;
}

/**
 * The fleet's budgets as the operator counts them: the FleetDisruptionBudgets and the disruptions every
 * set in the cluster recorded in its status, read with the caller's kubeconfig. No cluster, or no budget
 * CRD installed: none.
 */
async function planBudgets(
  http: KubeHttp | undefined,
  live: KubeObject[],
): Promise<FleetBudgets | undefined> {
  if (!http) return undefined;
  let budgets: KubeObject[];
  try {
    budgets =
      (await http.json<{ items?: KubeObject[] }>(collectionPath(FLEET_DISRUPTION_BUDGET))).items ?? [];
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
  return new FleetBudgets({ budgets: () => budgets, sets: () => live });
}

/** Steps that change the remote when the controller takes them, or wait for a person to approve one. */
const CHANGING_STEPS = new Set([
  "RemoveZones",
  "AddZones",
  "DeleteInstances",
  "AwaitApproval",
  "RetryDag",
  "RollbackDag",
]);
const DELETING_STEPS = new Set(["RemoveZones", "AddZones", "DeleteInstances", "AwaitApproval"]);
/** An added zone, as an approval's targets and a dry run name it: `+z4`. */
const ADDED = "+";

function targetsOf(step: CommonStep | { kind: string; zones?: string[]; targets?: unknown }): string[] {
  if (step.kind === "AwaitApproval" && "approval" in step) return step.approval.targets;
  if (step.kind === "AddZones" && "zones" in step && Array.isArray(step.zones))
    return step.zones.map((z) => `${ADDED}${z}`);
  if ("zones" in step && Array.isArray(step.zones)) return step.zones;
  if (step.kind === "DeleteInstances" && "targets" in step && Array.isArray(step.targets))
    return (step.targets as { name: string }[]).map((t) => t.name);
  return [];
}

function connectionName(result: ResolveResult | undefined): { connection: string; endpoint: string } {
  if (!result?.ok) return { connection: "-", endpoint: "-" };
  const source = result.connection.source;
  const connection =
    source.kind === "Inline"
      ? "inline"
      : `${source.kind} ${source.namespace ? `${source.namespace}/` : ""}${source.name}`;
  return { connection, endpoint: result.connection.endpoint };
}

export interface PlanOptions {
  http: KubeHttp | undefined;
  endpointPolicy: EndpointPolicy;
  allowInlineConnections: boolean;
  operatorNamespace?: string;
}

export async function planRows(sets: Manifest[], options: PlanOptions): Promise<PlanRow[]> {
  const { http, endpointPolicy } = options;
  const connectionOptions = {
    allowInlineConnections: options.allowInlineConnections,
    operatorNamespace:
      options.operatorNamespace ?? process.env.DBFLEET_OPERATOR_NAMESPACE ?? "dbfleet-system",
  };
  const noop = { update: async (_t: unknown, o: KubeObject) => o };
  const { fleet, live, locate, identified } = await planFleet(sets, http, connectionOptions);
  // The same budget check as the controller's decision: a set the budgets hold back shows BudgetExhausted.
  const budgets = await planBudgets(http, live);
  const deps = {
    cache: { get: () => undefined },
    status: noop as never,
    events: { record: () => undefined },
    credentials: new MemoryCredentialHealth(),
    ...(budgets ? { budgets } : {}),
  };
  const resolve = planResolver({ http, ...connectionOptions });
  // What the resolver answered for the set being assessed: the table shows the connection used.
  let resolved: ResolveResult | undefined;
  const connect = {
    resolve: async (set: SetConnectionSpec) => {
      resolved = await resolve(set);
      return resolved;
    },
    endpointPolicy,
  };
  const runtimes = new Map<SetKindName, KindRuntime>(
    KINDS.map((k) => [k.kind, k.create({ connect, fleet, locate })]),
  );
  const reconcilers = new Map<SetKindName, Assessor>(
    [...runtimes].map(([kind, runtime]) => [kind, runtime.reconciler(deps)]),
  );
  const rows: PlanRow[] = [];
  try {
    // Each manifest's own remote is identified first (its own connection only, as the controller's first
    // reconcile records it), so ownership is judged on what every manifest reaches; the other sets are
    // judged by the identity their status records, and their remotes are never contacted.
    for (const entry of sets) {
      const live = await liveSet(
        http,
        kindModule(entry.kind).type,
        entry.object.metadata.namespace ?? "",
        entry.object.metadata.name,
      );
      const remote = await reconcilers.get(entry.kind)?.identifyRemote(asApplied(entry.object, live, true));
      if (remote) identified(entry.kind, entry.object, remote);
    }
    for (const entry of sets) {
      resolved = undefined;
      const module = kindModule(entry.kind);
      const schema = SET_KINDS[entry.kind].schema;
      const { namespace, name } = entry.object.metadata;
      const live = await liveSet(http, module.type, namespace ?? "", name);
      const specOf = (o: unknown) => (schema.safeParse(o).data as { spec?: unknown } | undefined)?.spec;
      const specChanged = !isDeepStrictEqual(live ? specOf(live) : undefined, specOf(entry.object));
      const object = asApplied(entry.object, live, specChanged);
      const id = identityOf(object);
      const base = {
        kind: entry.kind,
        namespace: id.namespace,
        name: id.name,
        target: module.targetOf(object),
      };
      try {
        const reconciler = reconcilers.get(entry.kind);
        if (!reconciler) throw new Error(`no reconciler for ${entry.kind}`);
        const row = rowOf(await reconciler.assess(object));
        rows.push({ ...base, ...connectionName(resolved), ...row });
      } catch (error) {
        if (!(error instanceof ObserveFailed)) throw error;
        const message = error.cause.message;
        rows.push({
          ...base,
          ...connectionName(resolved),
          observed: false,
          step: "Error",
          reason: "ObserveFailed",
          message,
          wouldDelete: [],
          error: message,
        });
      }
    }
  } finally {
    await Promise.all([...runtimes.values()].map((r) => r.close()));
  }
  return rows;
}

function rowOf(
  assessment: Awaited<ReturnType<Assessor["assess"]>>,
): Omit<PlanRow, "kind" | "namespace" | "name" | "target" | "connection" | "endpoint"> {
  const step = assessment.step;
  // A plan the settle gate holds still runs once settled: its targets and approval are the held step's.
  const acting = (step.kind === "Wait" && "settling" in step ? step.settling?.held : undefined) ?? step;
  const targets = DELETING_STEPS.has(acting.kind) ? targetsOf(acting as CommonStep) : [];
  const wouldDelete = targets.filter((t) => !t.startsWith(ADDED));
  const wouldAdd = targets.filter((t) => t.startsWith(ADDED)).map((t) => t.slice(ADDED.length));
  return {
    // The engine's own answer: `observed` is set only when the remote was read.
    observed: assessment.observed !== undefined,
    step: step.kind,
    reason: step.reason,
    message: step.message,
    wouldDelete,
    ...(wouldAdd.length > 0 ? { wouldAdd } : {}),
    ...(acting.kind === "AwaitApproval" && "approval" in acting
      ? { planHash: (acting as Extract<CommonStep, { kind: "AwaitApproval" }>).approval.hash }
      : {}),
  };
}

/** The exit code of a plan: blind beats changes beats unchanged; a paused set changes nothing. */
export function exitCodeOf(rows: readonly PlanRow[]): number {
  if (rows.some((r) => !r.observed && r.step !== "Paused")) return PlanExit.Blind;
  if (rows.some((r) => CHANGING_STEPS.has(r.step) || r.reason === Reason.PlanSettling))
    return PlanExit.Changes;
  return PlanExit.Unchanged;
}

export function table(rows: readonly PlanRow[]): string {
  return columns(
    ["KIND", "SET", "TARGET", "CONNECTION", "ENDPOINT", "STEP", "WOULD DELETE", "WOULD ADD", "NOTE"],
    rows.map((r) => [
      r.kind,
      `${r.namespace}/${r.name}`,
      r.target,
      r.connection,
      r.endpoint,
      r.step,
      r.wouldDelete.length ? r.wouldDelete.join(",") : "-",
      r.wouldAdd?.length ? r.wouldAdd.join(",") : "-",
      r.error ? `error: ${r.error}` : `${r.reason}: ${r.message}`,
    ]),
  );
}

/** Rows under a head, each column as wide as its widest cell; the last column free. */
export function columns(head: readonly string[], body: readonly (readonly string[])[]): string {
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

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

export interface PlanIo {
  out?: (text: string) => void;
  stdin?: () => Promise<string>;
}

export async function plan(argv: string[], io: PlanIo | ((text: string) => void) = {}): Promise<number> {
  const { out = (t: string) => process.stdout.write(`${t}\n`), stdin = readStdin } =
    typeof io === "function" ? { out: io } : io;
  const flags = parsePlanFlags(argv);
  const sources = await readSources({
    filename: flags.filename,
    kustomize: flags.kustomize,
    recursive: flags.recursive,
    stdin,
  });
  const useCluster = Boolean(flags.kubeconfig || process.env.KUBECONFIG);
  // Every manifest is checked (names included) before anything is sent anywhere.
  const sets = readSets(sources, {
    flag: flags.namespace,
    context: useCluster ? kubeconfigNamespace(flags.kubeconfig, flags.context) : undefined,
  });
  if (!useCluster && flags["allowed-endpoints"] === "")
    throw new UsageError(
      "without a cluster, plan sends credentials from the environment: name the endpoints they may go to with --allowed-endpoints",
    );
  const http = useCluster ? await openCluster(flags) : undefined;
  try {
    // The policy `run` enforces, with the same flags.
    const endpointPolicy = await endpointPolicyOf(flags, http?.server);
    const rows = await planRows(sets, {
      http,
      endpointPolicy,
      allowInlineConnections: flags["allow-inline-connections"],
    });
    const code = exitCodeOf(rows);
    out(
      flags.output === "json"
        ? JSON.stringify(rows, null, 2)
        : flags.output === "markdown"
          ? markdown(rows, code)
          : table(rows),
    );
    return code;
  } finally {
    await http?.close();
  }
}
