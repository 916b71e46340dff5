// make bench: figures for convergence latency, throughput, remote cost and memory, on the real API
// server of the envtest harness and the simulators. Benchmarks print figures; they assert nothing.
// BENCH_SETS (default 1000) scales the large cases; BENCH_MEMORY_SETS (default 10000) the memory case;
// BENCH_ONLY picks parts.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pino } from "pino";
import { KubeHttp } from "../src/controller/kube-http.js";
import { OperatorMetrics } from "../src/observability/metrics.js";
import { createOperator, type Operator } from "../src/operator.js";
import { startControlPlane } from "../test/harness/control-plane.js";
import { kubeConfigVia, loopbackConnections } from "../test/harness/engine.js";
import { bindOperatorIdentity, installCrds, kubeConfigFor } from "../test/harness/kube.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../test/harness/raw-api.js";
import type { SimInstanceInput } from "../test/simulators/dcs/instances.js";
import { DcsSimulator } from "../test/simulators/dcs/server.js";
import { ObshellSimulator } from "../test/simulators/obshell/server.js";
import { percentile, printTable, type Row } from "./stats.js";

const SETS = Number(process.env.BENCH_SETS ?? 1000);
const MEMORY_SETS = Number(process.env.BENCH_MEMORY_SETS ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
/** BENCH_ONLY=latency,throughput,bulk,memory,secrets runs a subset. */
const ONLY = process.env.BENCH_ONLY?.split(",");
const want = (part: string) => !ONLY || ONLY.includes(part);
const root = join(import.meta.dirname, "..");
const logger = pino({ level: "silent" });
const rows: Row[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const plane = await startControlPlane();
const raw = new RawApi(plane.server, plane.caPem, plane.admin.token);
await installCrds(kubeConfigFor(plane.kubeconfigPath), raw);
await bindOperatorIdentity(raw, plane.operator.user);
const PASSWORD = "bench-password";
const AK = "AKBENCH0000000000001";
const SK = "SKbench000000000000000000000000000000000";
const tenants = [
  ...Array.from({ length: SETS }, (_, i) => `lat${i}`),
  ...Array.from({ length: SETS }, (_, i) => `cold${i}`),
];
const obshell = new ObshellSimulator({
  password: PASSWORD,
  stageMs: 20,
  seed: {
    zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
    tenants: tenants.map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
  },
});
await obshell.start();
const projects: Record<string, SimInstanceInput[]> = {};
for (let p = 0; p < 10; p++) {
  const perProject = SETS / 10;
  projects[`proj${p}`] = Array.from({ length: perProject }, (_, s) => [
    { name: `p${p}s${s}-keep`, tags: { set: `p${p}s${s}` } },
    { name: `p${p}s${s}-drop`, tags: { set: `p${p}s${s}` } },
  ]).flat();
}
projects.bulk = Array.from({ length: 600 }, (_, i) => ({ name: `bulk-${i}` }));
const dcs = new DcsSimulator({
  credentials: [{ accessKey: AK, secretKey: SK }],
  projects,
  deleteDelayMs: 50,
});
await dcs.start();

async function namespace(name: string): Promise<void> {
  await raw.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await applyCredentialSecrets(raw, name, { password: PASSWORD, accessKey: AK, secretKey: SK });
}

function trs(
  ns: string,
  name: string,
  tenant: string,
  zones: string[],
  extra: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace: ns },
    spec: {
      obshell: { endpoint: obshell.url, credentialsSecretRef: { name: "obshell" }, allowInsecureHTTP: true },
      tenant,
      zones,
      pollInterval: "5m",
      ...extra,
    },
  };
}

async function createAll(docs: RawObject[], concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < docs.length) {
        const doc = docs[next++];
        if (doc)
          await raw.call(
            "POST",
            `/apis/dbfleet.io/v1alpha1/namespaces/${doc.metadata.namespace}/${doc.kind === "TenantReplicaSet" ? "tenantreplicasets" : "redisinstancesets"}`,
            doc,
          );
      }
    }),
  );
}

type Listed = {
  items: {
    metadata: { name: string; generation: number };
    status?: {
      observedGeneration?: number;
      conditions?: { type: string; status: string; observedGeneration?: number }[];
    };
  }[];
};
async function readyCount(ns: string, plural: string): Promise<number> {
  const list = await raw.call<Listed>("GET", `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/${plural}`);
  return list.items.filter((i) =>
    i.status?.conditions?.some(
      (c) => c.type === "Ready" && c.status === "True" && c.observedGeneration === i.metadata.generation,
    ),
  ).length;
}
async function waitReady(ns: string, plural: string, n: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await readyCount(ns, plural)) < n) {
    if (Date.now() > deadline)
      throw new Error(`${ns}/${plural}: fewer than ${n} Ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

function startOperator(ns: string[], metrics: OperatorMetrics): Operator {
  const op = createOperator({
    ...loopbackConnections,
    kubeConfig: kubeConfigVia(plane.kubeconfigPath, undefined, "operator"),
    logger,
    metrics,
    namespaces: ns,
    workers: 8,
    tenant: { dagPollMs: 100 },
    redis: { deletePollMs: 200 },
  });
  void op.manager.start();
  return op;
}

async function counter(
  metrics: OperatorMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[])
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A bare watch on the namespace: the floor of how fast anything can see a change. */
async function bareWatch(
  ns: string,
  onEvent: (name: string, generation: number, at: number) => void,
): Promise<() => void> {
  const http = new KubeHttp(kubeConfigVia(plane.kubeconfigPath));
  const abort = new AbortController();
  const list = await http.json<{ metadata: { resourceVersion: string } }>(
    `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`,
  );
  const res = await http.raw(`/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`, {
    query: { watch: 1, resourceVersion: list.metadata.resourceVersion },
    signal: abort.signal,
  });
  res.body.on("error", () => {});
  const lines = createInterface({ input: res.body });
  lines.on("error", () => {});
  lines.on("line", (line) => {
    const event = JSON.parse(line) as { object: { metadata: { name: string; generation: number } } };
    onEvent(
      event.object.metadata.name,
      event.object.metadata.generation,
      performance.timeOrigin + performance.now(),
    );
  });
  return () => {
    abort.abort();
    void http.close();
  };
}

// 1. Convergence latency, with 1, 100 and SETS sets present.
if (want("latency")) {
  const ns = "bench-latency";
  await namespace(ns);
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const operator = startOperator([ns], metrics);
  let present = 0;
  for (const n of [1, 100, SETS].filter((v, i, a) => v <= SETS && a.indexOf(v) === i)) {
    await createAll(
      Array.from({ length: n - present }, (_, i) =>
        trs(ns, `s${present + i}`, `lat${present + i}`, ["z1", "z2", "z3"]),
      ),
    );
    present = n;
    await waitReady(ns, "tenantreplicasets", n);
    const floorSeen = new Map<string, number>();
    const stopWatch = await bareWatch(ns, (name, generation, at) => {
      const key = `${name}@${generation}`;
      if (!floorSeen.has(key)) floorSeen.set(key, at);
    });
    const latency: number[] = [];
    const floor: number[] = [];
    for (let sample = 0; sample < SAMPLES; sample++) {
      const i = sample % n;
      const name = `s${i}`;
      const tenant = obshell.cluster.tenants.get(`lat${i}`);
      if (!tenant) throw new Error("missing tenant");
      const deletesBefore = obshell.log.filter(
        (e) => e.method === "DELETE" && e.path === `/api/v1/tenant/lat${i}/replicas`,
      ).length;
      const t0 = performance.timeOrigin + performance.now();
      const patched = await raw.call<{ metadata: { generation: number } }>(
        "PATCH",
        `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`,
        { spec: { zones: ["z1", "z2"] } },
        "application/merge-patch+json",
      );
      let arrived: number | undefined;
      for (let w = 0; w < 3000 && arrived === undefined; w++) {
        const deletes = obshell.log.filter(
          (e) => e.method === "DELETE" && e.path === `/api/v1/tenant/lat${i}/replicas`,
        );
        if (deletes.length > deletesBefore) arrived = deletes.at(-1)?.at;
        else await sleep(2);
      }
      if (arrived === undefined) throw new Error(`no delete for ${name}`);
      latency.push(arrived - t0);
      const seen = floorSeen.get(`${name}@${patched.metadata.generation}`);
      if (seen !== undefined) floor.push(seen - t0);
      // Put the zone back for the next round: wait for the DAG, then restore spec and replica.
      while (
        tenant.replicas.some((r) => r.zone === "z3") ||
        obshell.cluster.unfinished().some((d) => d.tenant === `lat${i}`)
      )
        await sleep(5);
      await waitFor(async () => (await readyCount(ns, "tenantreplicasets")) === n);
      tenant.replicas.push({ zone: "z3", type: "FULL" });
      await raw.call(
        "PATCH",
        `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`,
        { spec: { zones: ["z1", "z2", "z3"] } },
        "application/merge-patch+json",
      );
      await waitFor(async () => (await readyCount(ns, "tenantreplicasets")) === n);
    }
    stopWatch();
    const p50 = percentile(latency, 50);
    const p99 = percentile(latency, 99);
    const f99 = percentile(floor, 99);
    rows.push({ metric: `latency p50 (${n} sets)`, value: p50, unit: "ms" });
    rows.push({
      metric: `latency p99 (${n} sets)`,
      value: p99,
      unit: "ms",
      target: n === SETS ? "< 1000 ms" : "",
    });
    rows.push({ metric: `watch floor p50 (${n} sets)`, value: percentile(floor, 50), unit: "ms" });
    rows.push({ metric: `watch floor p99 (${n} sets)`, value: f99, unit: "ms" });
    rows.push({
      metric: `latency p99 / floor p99 (${n} sets)`,
      value: p99 / f99,
      unit: "x",
      target: "<= 3x",
    });
    console.log(
      `latency with ${n} sets: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, floor p99 ${f99.toFixed(1)} ms`,
    );
  }
  await operator.stop(2000);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(20);
  }
}

// 2. Throughput from a cold start, and 3. remote cost once converged.
if (want("throughput")) {
  const ns = "bench-cold";
  await namespace(ns);
  const docs: RawObject[] = Array.from({ length: SETS }, (_, i) =>
    trs(ns, `t${i}`, `cold${i}`, ["z1", "z2"]),
  );
  for (let p = 0; p < 10; p++)
    for (let s = 0; s < SETS / 10; s++)
      docs.push({
        apiVersion: "dbfleet.io/v1alpha1",
        kind: "RedisInstanceSet",
        metadata: { name: `r-p${p}-s${s}`, namespace: ns },
        spec: {
          dcs: {
            endpoint: dcs.url,
            projectId: `proj${p}`,
            credentialsSecretRef: { name: "dcs" },
            allowInsecureHTTP: true,
          },
          selector: { tags: { set: `p${p}s${s}` } },
          instances: [`p${p}s${s}-keep`],
          pollInterval: "10s",
        },
      });
  await createAll(docs);
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const started = Date.now();
  const operator = startOperator([ns], metrics);
  await waitReady(ns, "tenantreplicasets", SETS);
  await waitReady(ns, "redisinstancesets", SETS);
  const seconds = (Date.now() - started) / 1000;
  const reconciles = await counter(metrics, "controller_runtime_reconcile_total");
  rows.push({ metric: `cold start to Ready (${SETS} TRS + ${SETS} RIS)`, value: seconds, unit: "s" });
  rows.push({ metric: "reconciles per second (cold start)", value: reconciles / seconds, unit: "1/s" });
  console.log(`cold start: ${2 * SETS} sets Ready in ${seconds.toFixed(1)} s, ${reconciles} reconciles`);

  // Remote cost over one RIS poll interval (10 s), everything converged.
  await sleep(12_000);
  const listsBefore = dcs.log.filter(
    (e) => e.method === "GET" && /offset=0(&|$)/.test(e.query) && e.path.endsWith("/instances"),
  ).length;
  const writesBefore = await counter(metrics, "dbfleet_status_writes_total", { outcome: "written" });
  const reconcilesBefore = await counter(metrics, "controller_runtime_reconcile_total");
  await sleep(10_000);
  const lists =
    dcs.log.filter(
      (e) => e.method === "GET" && /offset=0(&|$)/.test(e.query) && e.path.endsWith("/instances"),
    ).length - listsBefore;
  const writes =
    (await counter(metrics, "dbfleet_status_writes_total", { outcome: "written" })) - writesBefore;
  const steadyReconciles = (await counter(metrics, "controller_runtime_reconcile_total")) - reconcilesBefore;
  rows.push({
    metric: `DCS list calls per 10 s poll (${SETS} RIS, 10 projects)`,
    value: lists,
    unit: "calls",
    target: "10",
  });
  rows.push({
    metric: "status writes per steady reconcile",
    value: steadyReconciles ? writes / steadyReconciles : 0,
    unit: "writes",
    target: "0",
  });
  console.log(
    `steady state: ${lists} list calls and ${writes} status writes over ${steadyReconciles} reconciles in 10 s`,
  );
  await operator.stop(2000);
}

// 3b. Batch delete calls for 500 deletions in one project.
if (want("bulk")) {
  const ns = "bench-bulk";
  await namespace(ns);
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const before = dcs.log.filter((e) => e.method === "DELETE" && e.path === "/v2/bulk/instances").length;
  await createAll([
    {
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "bulk", namespace: ns },
      spec: {
        dcs: {
          endpoint: dcs.url,
          projectId: "bulk",
          credentialsSecretRef: { name: "dcs" },
          allowInsecureHTTP: true,
        },
        selector: { namePrefix: "bulk-" },
        instances: Array.from({ length: 100 }, (_, i) => `bulk-${i}`),
        policy: { maxDeletionsPerOperation: 500, approvalThreshold: 1000 },
        pollInterval: "10s",
      },
    },
  ]);
  const operator = startOperator([ns], metrics);
  await waitReady(ns, "redisinstancesets", 1);
  const calls =
    dcs.log.filter((e) => e.method === "DELETE" && e.path === "/v2/bulk/instances").length - before;
  rows.push({
    metric: "batch delete calls for 500 deletions",
    value: calls,
    unit: "calls",
    target: "10 (ceil(500/50))",
  });
  console.log(`bulk: 500 deletions in ${calls} batch calls`);
  await operator.stop(2000);
}

// 4. Memory of the operator process with 1,000 and MEMORY_SETS sets cached.
if (want("memory")) {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  const ns = "bench-memory";
  await namespace(ns);
  const paused = (i: number) => trs(ns, `m${i}`, `cold${i % SETS}`, ["z1", "z2"], { paused: true });
  await createAll(Array.from({ length: 1000 }, (_, i) => paused(i)));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(root, "dist", "src", "cli", "main.js"),
      "run",
      `--kubeconfig=${plane.kubeconfigPath}`,
      `--namespace=${ns}`,
      "--leader-elect=false",
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
      "--log-level=info",
    ],
    // The same Node options as deploy/operator/manager/deployment.yaml, so the figure is the one a cluster sees.
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: deploymentNodeOptions() } },
  );
  let url = "";
  child.stdout?.on("data", (d: Buffer) => {
    const m = /"metrics":"(http:[^"]+)"/.exec(d.toString());
    if (m?.[1]) url = m[1];
  });
  const sample = async (n: number) => {
    await waitFor(async () => url !== "" && (await fetch(`${url}/readyz`)).status === 200, 300_000);
    await waitFor(async () => (await readyOrPaused(ns)) >= n, 600_000);
    await sleep(3000);
    const rss =
      Number(
        /VmRSS:\s+(\d+)/.exec(
          execFileSync("cat", [`/proc/${child.pid}/status`], { encoding: "utf8" }),
        )?.[1] ?? 0,
      ) / 1024;
    const text = await (await fetch(`${url}/metrics`)).text();
    const heap = Number(/^nodejs_heap_size_used_bytes (\d+(\.\d+)?)/m.exec(text)?.[1] ?? 0) / 1024 / 1024;
    rows.push({
      metric: `operator RSS (${n} sets cached)`,
      value: rss,
      unit: "MiB",
      target: n >= 10_000 ? "< 200 MB" : "",
    });
    rows.push({ metric: `operator heap used (${n} sets cached)`, value: heap, unit: "MiB" });
    console.log(`memory with ${n} sets: RSS ${rss.toFixed(0)} MiB, heap ${heap.toFixed(0)} MiB`);
    return rss;
  };
  const small = await sample(1000);
  await createAll(Array.from({ length: MEMORY_SETS - 1000 }, (_, i) => paused(1000 + i)));
  const large = await sample(MEMORY_SETS);
  rows.push({
    metric: `RSS growth per 1,000 sets (1k -> ${MEMORY_SETS / 1000}k)`,
    value: ((large - small) / (MEMORY_SETS - 1000)) * 1000,
    unit: "MiB",
  });
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}

// 5. Secret memory: the operator's RSS with 200 unrelated 250 KB Secrets in its namespace (Helm release
// records look like this) against the same namespace without them. Only referenced Secrets are held
// with data, so the two should be within 10 MiB.
if (want("secrets")) {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  const ns = "bench-secrets";
  await namespace(ns);
  const sets = 100;
  await createAll(
    Array.from({ length: sets }, (_, i) =>
      trs(ns, `s${i}`, `cold${i % SETS}`, ["z1", "z2"], { paused: true }),
    ),
  );
  /** One fresh operator process on `ns`: its RSS and heap once every set is seen and the process settles. */
  const measure = async (label: string) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        join(root, "dist", "src", "cli", "main.js"),
        "run",
        `--kubeconfig=${plane.kubeconfigPath}`,
        `--namespace=${ns}`,
        "--leader-elect=false",
        "--metrics-port=0",
        "--metrics-host=127.0.0.1",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, NODE_OPTIONS: deploymentNodeOptions() },
      },
    );
    let url = "";
    child.stdout?.on("data", (d: Buffer) => {
      const m = /"metrics":"(http:[^"]+)"/.exec(d.toString());
      if (m?.[1]) url = m[1];
    });
    await waitFor(async () => url !== "" && (await fetch(`${url}/readyz`)).status === 200, 300_000);
    await waitFor(async () => (await readyOrPaused(ns)) >= sets, 300_000);
    await sleep(3000);
    const rss =
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    const text = await (await fetch(`${url}/metrics`)).text();
    const heap = Number(/^nodejs_heap_size_used_bytes (\d+(\.\d+)?)/m.exec(text)?.[1] ?? 0) / 1024 / 1024;
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    console.log(`secrets, ${label}: RSS ${rss.toFixed(0)} MiB, heap ${heap.toFixed(0)} MiB`);
    return { rss, heap };
  };
  const without = await measure("no unrelated Secrets");
  const secretCount = 200;
  const payload = Buffer.alloc((250 * 1024 * 3) / 4);
  for (let i = 0; i < secretCount; i++) {
    // Incompressible, as Helm's gzipped release records are.
    for (let b = 0; b < payload.length; b += 4) payload.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, b);
    await raw.call("POST", `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `sh.helm.release.v1.app${i}.v1`, namespace: ns, labels: { owner: "helm" } },
      type: "helm.sh/release.v1",
      data: { release: payload.toString("base64") },
    });
  }
  const withSecrets = await measure(`${secretCount} unrelated 250 KB Secrets`);
  rows.push({ metric: `operator RSS, ${sets} sets, no unrelated Secrets`, value: without.rss, unit: "MiB" });
  rows.push({
    metric: `operator RSS, ${sets} sets, ${secretCount} unrelated 250 KB Secrets`,
    value: withSecrets.rss,
    unit: "MiB",
  });
  rows.push({
    metric: "RSS added by the unrelated Secrets",
    value: withSecrets.rss - without.rss,
    unit: "MiB",
    target: "<= 10",
  });
}

function deploymentNodeOptions(): string {
  const text = readFileSync(join(root, "deploy", "deployment.yaml"), "utf8");
  return /name: NODE_OPTIONS\s+value: "([^"]*)"/.exec(text)?.[1] ?? "";
}

async function readyOrPaused(ns: string): Promise<number> {
  const list = await raw.call<Listed & { items: { status?: { phase?: string } }[] }>(
    "GET",
    `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`,
  );
  return list.items.filter((i) => (i.status as { phase?: string } | undefined)?.phase === "Paused").length;
}

console.log("");
printTable(rows);
mkdirSync(join(root, "bench", "results"), { recursive: true });
const result = {
  date: new Date().toISOString(),
  sets: SETS,
  memorySets: MEMORY_SETS,
  samples: SAMPLES,
  rows,
};
writeFileSync(join(root, "bench", "results", "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log("\nwrote bench/results/latest.json");
await obshell.stop();
await dcs.stop();
await raw.close();
await plane.stop();
process.exit(0);
