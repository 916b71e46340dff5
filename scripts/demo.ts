// `make demo`: a local Kubernetes (the envtest harness), both simulators seeded with a demo fleet,
// the CRDs and the examples applied, the operator running with a live progress display; Ctrl-C stops it all.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { pino } from "pino";
import { APPROVE_PLAN_ANNOTATION } from "../src/api/group.js";
import { startHealthServer } from "../src/observability/health-server.js";
import { OperatorMetrics } from "../src/observability/metrics.js";
import { createOperator, type Operator } from "../src/operator.js";
import { startControlPlane } from "../test/harness/control-plane.js";
import { kubeConfigVia, loopbackConnections } from "../test/harness/engine.js";
import { bindOperatorIdentity, installCrds, kubeConfigFor } from "../test/harness/kube.js";
import { RawApi, type RawObject } from "../test/harness/raw-api.js";
import { DcsSimulator } from "../test/simulators/dcs/server.js";
import { ObshellSimulator } from "../test/simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, demoObshellSeed } from "../test/simulators/seed.js";

const OBSHELL_PASSWORD = "demo-root-password";
const DCS = { accessKey: "AKDEMO00000000000001", secretKey: "SKdemo000000000000000000000000000000000" };

const plane = await startControlPlane();
const obshell = new ObshellSimulator({ password: OBSHELL_PASSWORD, seed: demoObshellSeed, stageMs: 2000 });
const dcs = new DcsSimulator({ credentials: [DCS], projects: demoDcsSeed(), deleteDelayMs: 3000 });
let operator: Operator | undefined;
let progress: NodeJS.Timeout | undefined;
const stopAll = async () => {
  if (progress) clearInterval(progress);
  await operator?.stop(3000);
  await obshell.stop();
  await dcs.stop();
  await plane.stop();
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

try {
  await obshell.start();
  await dcs.start();
  const raw = new RawApi(plane.server, plane.caPem, plane.admin.token);
  await installCrds(kubeConfigFor(plane.kubeconfigPath), raw);
  // The examples, pointed at the simulators.
  const root = join(import.meta.dirname, "..");
  for (const file of ["examples/tenant-replica-set.yaml", "examples/redis-instance-set.yaml"]) {
    for (const doc of loadAll(readFileSync(join(root, file), "utf8")) as RawObject[]) {
      if (doc.kind === "Secret") {
        // The CA Secret is not needed: the simulators speak plain HTTP on loopback.
        if (doc.metadata.name.endsWith("-ca")) continue;
        doc.stringData = doc.metadata.name.startsWith("obshell")
          ? { password: OBSHELL_PASSWORD }
          : { accessKey: DCS.accessKey, secretKey: DCS.secretKey };
      }
      // The admin-owned connections, pointed at the simulators (plain HTTP, explicitly allowed).
      const spec = doc.spec as
        | {
            obshell?: { endpoint: string; allowInsecureHTTP?: boolean; tls?: unknown };
            dcs?: { endpoint: string; projectId: string; allowInsecureHTTP?: boolean; tls?: unknown };
          }
        | undefined;
      if (doc.kind === "DatabaseConnection" && spec?.obshell) {
        spec.obshell.endpoint = obshell.url;
        spec.obshell.allowInsecureHTTP = true;
        delete spec.obshell.tls;
      }
      if (doc.kind === "DatabaseConnection" && spec?.dcs) {
        spec.dcs.endpoint = dcs.url;
        spec.dcs.projectId = DEMO_PROJECT;
        spec.dcs.allowInsecureHTTP = true;
        delete spec.dcs.tls;
      }
      await raw.apply(doc);
    }
  }
  // Two more tenant sets, so the demo shows a few DAGs at once.
  for (const [name, tenant, zones] of [
    ["audit", "audit", ["z1", "z2"]],
    ["search", "search", ["z2", "z3"]],
  ] as const) {
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name, namespace: "default" },
      spec: {
        connectionRef: { kind: "DatabaseConnection", name: "obshell-prod" },
        tenant,
        zones: [...zones],
        pollInterval: "5s",
      },
    });
  }

  // The operator, under the least-privileged identity bound to deploy/cluster/rbac.yaml.
  await bindOperatorIdentity(raw, plane.operator.user);
  const metrics = new OperatorMetrics();
  operator = createOperator({
    ...loopbackConnections,
    kubeConfig: kubeConfigVia(plane.kubeconfigPath, undefined, "operator"),
    logger: pino({ level: "warn" }),
    metrics,
    namespaces: ["default"],
    tenant: { dagPollMs: 1000 },
    redis: { deletePollMs: 1000 },
  });
  const health = await startHealthServer({
    port: 0,
    host: "127.0.0.1",
    ready: () => operator?.manager.ready ?? false,
    registry: metrics.registry,
  });
  await operator.manager.start();
  const kubeconfig = join(process.cwd(), ".demo-kubeconfig");
  writeFileSync(kubeconfig, readFileSync(plane.kubeconfigPath));
  console.log(`
dbfleet demo is up.
  kube-apiserver  ${plane.server}
  obshell sim     ${obshell.url}   (tenants: ${[...obshell.cluster.tenants.keys()].join(", ")})
  DCS sim         ${dcs.url}   (project ${DEMO_PROJECT}: ${dcs.instances(DEMO_PROJECT).length} instances)

Look around:
  export KUBECONFIG=${kubeconfig}
  kubectl get trs,ris -A
  kubectl get trs orders -o yaml
  curl ${health.url}/metrics

Live progress follows; Ctrl-C stops everything.
`);
  const seen = new Map<string, string>();
  const approved = new Set<string>();
  type Item = {
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    status?: {
      phase?: string;
      conditions?: { type: string; reason: string; message: string }[];
      dag?: { id: string; state: string; stage: number; maxStage: number };
      deletions?: { result: string; goneAt?: string }[];
      pendingApproval?: { hash: string };
      observedCount?: number;
    };
  };
  const watchRaw = new RawApi(plane.server, plane.caPem, plane.admin.token);
  progress = setInterval(() => {
    void (async () => {
      for (const plural of ["tenantreplicasets", "redisinstancesets"]) {
        const list = await watchRaw.call<{ items: Item[] }>(
          "GET",
          `/apis/dbfleet.io/v1alpha1/namespaces/default/${plural}`,
        );
        for (const item of list.items) {
          const st = item.status ?? {};
          const cond = st.conditions?.find((c) => c.type !== "Ready") ?? st.conditions?.[0];
          const dag = st.dag
            ? ` DAG ${st.dag.id} ${st.dag.state} stage ${st.dag.stage}/${st.dag.maxStage}`
            : "";
          const d = st.deletions ?? [];
          const del =
            plural === "redisinstancesets"
              ? ` in scope ${st.observedCount ?? "?"}; deletions: ${d.filter((x) => x.result === "success").length} accepted, ${d.filter((x) => x.result === "failed").length} failed, ${d.filter((x) => x.goneAt).length} gone`
              : "";
          const line = `${plural === "tenantreplicasets" ? "trs" : "ris"}/${item.metadata.name.padEnd(15)} ${(st.phase ?? "-").padEnd(11)} ${cond?.reason ?? ""}${dag}${del}`;
          if (seen.get(item.metadata.name) !== line) {
            seen.set(item.metadata.name, line);
            console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);
          }
          const hash = st.pendingApproval?.hash;
          if (hash && !approved.has(hash)) {
            approved.add(hash);
            console.log(
              `          ${cond?.message ?? ""}\n          demo: approving in 5 s, as a human would with kubectl annotate`,
            );
            setTimeout(() => {
              void watchRaw.call(
                "PATCH",
                `/apis/dbfleet.io/v1alpha1/namespaces/default/${plural}/${item.metadata.name}`,
                { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } },
                "application/merge-patch+json",
              );
            }, 5000);
          }
        }
      }
    })().catch(() => undefined);
  }, 500);
} catch (error) {
  console.error(error);
  await stopAll();
  process.exit(1);
}
