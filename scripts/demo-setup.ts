// The demo's setup, shared by `make demo` (scripts/demo.ts adds the live display) and
// test/integration/demo.test.ts (headless): a local Kubernetes (the envtest harness), both simulators
// seeded with a demo fleet, what `kubectl apply -k deploy/` grants the operator's identity, examples/
// applied (pointed at the simulators), and the operator running in-process as deploy/ runs it.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import type { Logger } from "pino";
import { startHealthServer } from "../src/observability/health-server.js";
import { createLogger, SecretValues } from "../src/observability/logger.js";
import { OperatorMetrics } from "../src/observability/metrics.js";
import { createOperator, type Operator } from "../src/operator.js";
import { EndpointPolicy } from "../src/providers/endpoint-policy.js";
import { type ControlPlane, startControlPlane } from "../test/harness/control-plane.js";
import { kubeConfigVia } from "../test/harness/engine.js";
import {
  bindOperatorIdentity,
  installCrds,
  kubeConfigFor,
  OPERATOR_NAMESPACE,
} from "../test/harness/kube.js";
import { RawApi, type RawObject } from "../test/harness/raw-api.js";
import { DcsSimulator } from "../test/simulators/dcs/server.js";
import { ObshellSimulator } from "../test/simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, demoObshellSeed } from "../test/simulators/seed.js";

const repoRoot = join(import.meta.dirname, "..");
const OBSHELL_PASSWORD = "demo-root-password";
const DCS = { accessKey: "AKDEMO00000000000001", secretKey: "SKdemo000000000000000000000000000000000" };

export type SetPlural = "tenantreplicasets" | "redisinstancesets";

export interface DemoSet {
  plural: SetPlural;
  short: "trs" | "ris";
  namespace: string;
  name: string;
  /** The end state the README's demo section names: `Ready`, or `Stalled <reason>`. */
  endState: string;
}

/**
 * Where each set of the demo ends (README, "Quick start"; the demo test holds the two equal): the tenant
 * sets Ready; the Redis set, once its plan is approved, deletes what it may and stops at the two
 * instances only a person can delete (frozen, yearly/monthly).
 */
export const DEMO_SETS: readonly DemoSet[] = [
  {
    plural: "redisinstancesets",
    short: "ris",
    namespace: "default",
    name: "checkout-cache",
    endState: "Stalled DeletionNeedsHuman",
  },
  { plural: "tenantreplicasets", short: "trs", namespace: "default", name: "orders", endState: "Ready" },
  { plural: "tenantreplicasets", short: "trs", namespace: "default", name: "audit", endState: "Ready" },
  { plural: "tenantreplicasets", short: "trs", namespace: "default", name: "search", endState: "Ready" },
];

export interface SetStatus {
  phase?: string;
  conditions?: { type: string; status: string; reason: string; message: string }[];
  dag?: { id: string; state: string; stage: number; maxStage: number };
  deletions?: { id?: string; name?: string; result: string; goneAt?: string }[];
  pendingApproval?: { hash: string; summary: string; targets: string[] };
  observedCount?: number;
}

export interface DemoOptions {
  /** The operator's logger; warnings and errors as JSON lines on stdout when absent. */
  logger?: Logger;
  /** Where to write a kubeconfig for kubectl; `.demo-kubeconfig` in the working directory when absent. */
  kubeconfigPath?: string;
}

export interface Demo {
  plane: ControlPlane;
  obshell: ObshellSimulator;
  dcs: DcsSimulator;
  operator: Operator;
  /** The admin identity, as `kubectl` with `kubeconfig` uses it. */
  admin: RawApi;
  kubeconfig: string;
  metricsUrl: string;
  logger: Logger;
  /** Every set applied, in apply order. */
  sets: readonly DemoSet[];
  /** The set's status, or undefined while it has none. */
  status(set: DemoSet): Promise<SetStatus | undefined>;
  stop(): Promise<void>;
}

/** `Ready`, `Stalled <reason>`, `Reconciling <reason>` or `-`: how the demo and its test name a state. */
export function stateOf(status: SetStatus | undefined): string {
  const conditions = status?.conditions ?? [];
  const on = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const stalled = on("Stalled");
  if (stalled) return `Stalled ${stalled.reason}`;
  const reconciling = on("Reconciling");
  if (reconciling) return `Reconciling ${reconciling.reason}`;
  if (on("Ready")) return "Ready";
  const ready = conditions.find((c) => c.type === "Ready");
  return ready ? `NotReady ${ready.reason}` : "-";
}

/**
 * The command a set's status tells a person to run to approve its plan
 * (`kubectl annotate ris NAME -n NS --overwrite dbfleet.io/approve-plan=HASH`), as argv; undefined when
 * the status asks for none.
 */
export function approvalCommand(status: SetStatus | undefined): string[] | undefined {
  for (const c of status?.conditions ?? []) {
    const match = /kubectl (annotate \S+ \S+ -n \S+ --overwrite \S+=\S+)/.exec(c.message);
    if (match?.[1]) return match[1].split(" ");
  }
  return undefined;
}

/** Runs `kubectl <args>` against the demo's API server as its admin; rejects with kubectl's stderr. */
export function kubectlAsAdmin(demo: Pick<Demo, "kubeconfig">, args: string[]): Promise<string> {
  const child = spawn("kubectl", [`--kubeconfig=${demo.kubeconfig}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(" ")} exited ${code}: ${err}`)),
    );
  });
}

/**
 * examples/ as `kubectl apply -f examples/` reads it (files by name, documents in file order), with each
 * connection pointed at a simulator (plain HTTP on loopback, explicitly allowed) and each credential
 * Secret holding the simulators' credentials; then two more tenant sets.
 */
async function applyExamples(raw: RawApi, obshell: ObshellSimulator, dcs: DcsSimulator): Promise<void> {
  const files = readdirSync(join(repoRoot, "examples"))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  for (const file of files) {
    for (const doc of loadAll(readFileSync(join(repoRoot, "examples", file), "utf8")) as RawObject[]) {
      const spec = doc.spec as
        | {
            obshell?: { endpoint: string; allowInsecureHTTP?: boolean; tls?: unknown };
            dcs?: { endpoint: string; projectId: string; allowInsecureHTTP?: boolean; tls?: unknown };
          }
        | undefined;
      if (doc.kind === "Secret") {
        // No CA Secret is needed: the simulators speak plain HTTP; it is applied anyway, as it would be.
        if (doc.metadata.name.endsWith("-ca")) {
          await raw.apply(doc);
          continue;
        }
        doc.stringData =
          "password" in ((doc.stringData as object | undefined) ?? {})
            ? { password: OBSHELL_PASSWORD }
            : { accessKey: DCS.accessKey, secretKey: DCS.secretKey };
      }
      if (spec?.obshell) {
        spec.obshell.endpoint = obshell.url;
        spec.obshell.allowInsecureHTTP = true;
        delete spec.obshell.tls;
      }
      if (spec?.dcs) {
        spec.dcs.endpoint = dcs.url;
        spec.dcs.projectId = DEMO_PROJECT;
        spec.dcs.allowInsecureHTTP = true;
        delete spec.dcs.tls;
      }
      await raw.apply(doc);
    }
  }
  // Two more tenant sets on the same admin-owned connection, so the demo shows a few DAGs at once.
  for (const [name, zones] of [
    ["audit", ["z1", "z2"]],
    ["search", ["z2", "z3"]],
  ] as const) {
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name, namespace: "default" },
      spec: {
        connectionRef: { kind: "DatabaseConnection", name: "obshell-prod" },
        tenant: name,
        zones: [...zones],
        pollInterval: "5s",
      },
    });
  }
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const plane = await startControlPlane();
  const obshell = new ObshellSimulator({ password: OBSHELL_PASSWORD, seed: demoObshellSeed, stageMs: 2000 });
  const dcs = new DcsSimulator({ credentials: [DCS], projects: demoDcsSeed(), deleteDelayMs: 3000 });
  const admin = new RawApi(plane.server, plane.caPem, plane.admin.token);
  let operator: Operator | undefined;
  let health: { url: string; close(): Promise<void> } | undefined;
  const stop = async () => {
    await operator?.stop(3000);
    await health?.close();
    await admin.close();
    await obshell.stop();
    await dcs.stop();
    await plane.stop();
  };
  try {
    await obshell.start();
    await dcs.start();
    await installCrds(kubeConfigFor(plane.kubeconfigPath), admin);
    // What `kubectl apply -k deploy/` grants the operator (namespace, ClusterRole, Lease Role), bound to
    // the harness's operator user instead of the ServiceAccount: the operator runs in this process.
    await bindOperatorIdentity(admin, plane.operator.user);
    await applyExamples(admin, obshell, dcs);

    // The operator as deploy/'s Deployment runs it (`run --leader-elect=true`, Lease and credential
    // health in dbfleet-system, connections only, every namespace), with loopback allowed for the simulators.
    const secretValues = new SecretValues();
    const logger = options.logger ?? createLogger({ level: "warn", secrets: secretValues });
    const metrics = new OperatorMetrics();
    operator = createOperator({
      kubeConfig: kubeConfigVia(plane.kubeconfigPath, undefined, "operator"),
      logger,
      metrics,
      secretValues,
      endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
      allowInlineConnections: false,
      operatorNamespace: OPERATOR_NAMESPACE,
      leaderElection: {
        namespace: OPERATOR_NAMESPACE,
        name: "dbfleet-operator",
        identity: `demo_${process.pid}`,
      },
      // `run` exits for a fresh process to follow the new leader; the demo has no other replica, so it says so.
      onLeadershipLost: () => logger.error("leadership lost: the demo's operator stopped reconciling"),
      // Faster than the defaults, so the DAG stages and batch results show within a minute.
      tenant: { dagPollMs: 1000 },
      redis: { deletePollMs: 1000 },
    });
    const running = operator;
    health = await startHealthServer({
      port: 0,
      host: "127.0.0.1",
      ready: () => running.manager.ready,
      registry: metrics.registry,
    });
    await operator.manager.start();
    const kubeconfig = options.kubeconfigPath ?? join(process.cwd(), ".demo-kubeconfig");
    writeFileSync(kubeconfig, readFileSync(plane.kubeconfigPath), { mode: 0o600 });
    return {
      plane,
      obshell,
      dcs,
      operator,
      admin,
      kubeconfig,
      metricsUrl: `${health.url}/metrics`,
      logger,
      sets: DEMO_SETS,
      status: async (set) =>
        (
          await admin.call<{ status?: SetStatus }>(
            "GET",
            `/apis/dbfleet.io/v1alpha1/namespaces/${set.namespace}/${set.plural}/${set.name}`,
          )
        ).status,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
