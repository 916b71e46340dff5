// The metrics a controller-runtime dashboard reads, checked against controller-runtime's and client-go's
// definitions (names, types, labels, buckets), and the domain metrics' label hygiene.
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/controller.js";
import { KubeApiError } from "../../src/controller/kube-http.js";
import { WorkQueue } from "../../src/controller/work-queue.js";
import {
  errorCodeLabel,
  isPanic,
  OperatorMetrics,
  remoteOperationLabel,
} from "../../src/observability/metrics.js";
import { ServerError, TransportError } from "../../src/providers/errors.js";
import { ObserveFailed } from "../../src/reconcilers/engine/set-reconciler.js";
import { eventually, quietLogger } from "../harness/engine.js";

async function exposition(metrics: OperatorMetrics): Promise<string> {
  return metrics.registry.metrics();
}

/** `le` values of a histogram's first series, as numbers. */
function buckets(text: string, name: string): number[] {
  const les: number[] = [];
  let first: string | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const others = line.replace(/le="[^"]+",?/, "").replace(/ .*$/, "");
    first ??= others;
    if (others !== first) break;
    if (le !== undefined && le !== "+Inf") les.push(Number(le));
  }
  return les;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// From controller-runtime pkg/internal/controller/metrics/metrics.go, pkg/internal/metrics/workqueue.go,
// pkg/metrics/client_go_adapter.go, pkg/metrics/leaderelection.go (main, 2026-08).
const goExponential = (start: number, factor: number, count: number) => {
  const out: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) out.push(b);
  return out;
};
const upstream: { name: string; type: string; labels: string[]; buckets?: number[] }[] = [
  { name: "controller_runtime_reconcile_total", type: "counter", labels: ["controller", "result"] },
  { name: "controller_runtime_reconcile_errors_total", type: "counter", labels: ["controller"] },
  { name: "controller_runtime_terminal_reconcile_errors_total", type: "counter", labels: ["controller"] },
  { name: "controller_runtime_reconcile_panics_total", type: "counter", labels: ["controller"] },
  // controller-runtime v0.22+ (ReconciliationTimeout); absent from older metrics.go.
  { name: "controller_runtime_reconcile_timeouts_total", type: "counter", labels: ["controller"] },
  {
    name: "controller_runtime_reconcile_time_seconds",
    type: "histogram",
    labels: ["controller"],
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
      1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ],
  },
  { name: "controller_runtime_max_concurrent_reconciles", type: "gauge", labels: ["controller"] },
  { name: "controller_runtime_active_workers", type: "gauge", labels: ["controller"] },
  { name: "workqueue_depth", type: "gauge", labels: ["name", "controller", "priority"] },
  { name: "workqueue_adds_total", type: "counter", labels: ["name", "controller"] },
  {
    name: "workqueue_queue_duration_seconds",
    type: "histogram",
    labels: ["name", "controller"],
    buckets: goExponential(10e-9, 10, 12),
  },
  {
    name: "workqueue_work_duration_seconds",
    type: "histogram",
    labels: ["name", "controller"],
    buckets: goExponential(10e-9, 10, 12),
  },
  { name: "workqueue_unfinished_work_seconds", type: "gauge", labels: ["name", "controller"] },
  { name: "workqueue_longest_running_processor_seconds", type: "gauge", labels: ["name", "controller"] },
  { name: "workqueue_retries_total", type: "counter", labels: ["name", "controller"] },
  { name: "rest_client_requests_total", type: "counter", labels: ["code", "method", "host"] },
  {
    name: "rest_client_request_duration_seconds",
    type: "histogram",
    labels: ["verb", "host"],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0],
  },
  { name: "leader_election_master_status", type: "gauge", labels: ["name"] },
];

/** A metrics object with one controller's series populated through the hooks the engine calls. */
async function exercised() {
  const metrics = new OperatorMetrics({ defaultMetrics: false, version: "1.2.3" });
  const queue = new WorkQueue({ observer: metrics.queueObserver("tenantreplicaset") });
  metrics.observeUnfinishedWork("tenantreplicaset", queue);
  const reconcile = metrics.reconcileObserver();
  reconcile.onStart("tenantreplicaset", 4);
  reconcile.onReconcile("tenantreplicaset", "success", 12);
  const rest = metrics.restClientObserver();
  rest.onResult("200", "GET", "127.0.0.1:6443");
  rest.onLatency("GET", "127.0.0.1:6443", 3);
  metrics.leaderMetric().off("dbfleet-operator");
  queue.add("prod/orders");
  const key = await queue.get();
  if (key) queue.done(key);
  return { metrics, text: await exposition(metrics) };
}

describe("controller-runtime and client-go metrics", () => {
  it.each(upstream)("$name has controller-runtime's type, labels and buckets", async (want) => {
    const { metrics, text } = await exercised();
    const json = await metrics.registry.getMetricsAsJSON();
    const got = json.find((m) => m.name === want.name);
    expect(got, `${want.name} is exported`).toBeDefined();
    expect(String(got?.type)).toBe(want.type);
    const labelNames = new Set<string>();
    for (const v of (got?.values ?? []) as { labels: Record<string, unknown>; metricName?: string }[])
      for (const l of Object.keys(v.labels)) if (l !== "le") labelNames.add(l);
    expect([...labelNames].sort()).toEqual([...want.labels].sort());
    if (want.buckets) expect(buckets(text, want.name)).toEqual(want.buckets);
  });

  it("counts reconciles by controller-runtime's four results, every series present from the start", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const observer = metrics.reconcileObserver();
    observer.onStart("redisinstanceset", 2);
    let text = await exposition(metrics);
    for (const result of ["success", "error", "requeue", "requeue_after"])
      expect(
        sample(text, `controller_runtime_reconcile_total{controller="redisinstanceset",result="${result}"}`),
      ).toBe(0);
    expect(sample(text, `controller_runtime_max_concurrent_reconciles{controller="redisinstanceset"}`)).toBe(
      2,
    );
    observer.onReconcile("redisinstanceset", "error", 5);
    observer.onReconcile("redisinstanceset", "requeue_after", 5);
    observer.onActive("redisinstanceset", 1);
    text = await exposition(metrics);
    expect(sample(text, `controller_runtime_reconcile_errors_total{controller="redisinstanceset"}`)).toBe(1);
    expect(
      sample(text, `controller_runtime_reconcile_total{controller="redisinstanceset",result="error"}`),
    ).toBe(1);
    expect(
      sample(
        text,
        `controller_runtime_reconcile_total{controller="redisinstanceset",result="requeue_after"}`,
      ),
    ).toBe(1);
    expect(sample(text, `controller_runtime_active_workers{controller="redisinstanceset"}`)).toBe(1);
  });

  it("has the terminal-error, panic and timeout series at 0 from the start", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.reconcileObserver().onStart("tenantreplicaset", 2);
    const text = await exposition(metrics);
    for (const name of ["terminal_reconcile_errors", "reconcile_panics", "reconcile_timeouts"])
      expect(sample(text, `controller_runtime_${name}_total{controller="tenantreplicaset"}`)).toBe(0);
  });

  it.each([
    [
      "a TypeError (a bug)",
      new TypeError("Cannot read properties of undefined (reading 'name')"),
      false,
      true,
    ],
    ["an assertion", new Error("Wait is not an action"), false, true],
    ["a thrown string", "boom", false, true],
    [
      "a remote's 503",
      new ServerError("down", { provider: "obshell", operation: "GET /x", status: 503 }),
      false,
      false,
    ],
    [
      "a failed observation",
      new ObserveFailed(new TransportError("reset", { provider: "dcs", operation: "GET /v2/p/instances" })),
      false,
      false,
    ],
    ["an API server conflict", new KubeApiError(409, "Conflict", "changed", "PUT /x"), false, false],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      false,
      false,
    ],
    ["a TypeError after the deadline", new TypeError("x"), true, false],
  ])("counts %s as a panic: %s", (_, error, cancelled, panic) => {
    expect(isPanic(error, cancelled)).toBe(panic);
  });

  it("counts panics and timeouts where the controller's workers meet them", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const queue = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 1 });
    const seen = new Map<string, number>();
    const controller = new Controller({
      name: "c",
      queue,
      logger: quietLogger,
      workers: 1,
      reconcileTimeoutMs: 50,
      observer: metrics.reconcileObserver(),
      reconciler: {
        async reconcile({ key, signal }) {
          const n = (seen.get(key) ?? 0) + 1;
          seen.set(key, n);
          if (n > 1) return {};
          if (key === "ns/bug") throw new TypeError("Cannot read properties of undefined");
          if (key === "ns/remote")
            throw new ServerError("down", { provider: "dcs", operation: "GET /x", status: 503 });
          // ns/slow: a remote that never answers; only the deadline ends it.
          await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
          return {};
        },
      },
    });
    controller.start();
    for (const key of ["ns/bug", "ns/remote", "ns/slow"]) queue.add(key);
    await eventually(
      "every key retried once",
      () => [...seen.values()].filter((n) => n >= 2).length === 3,
      5_000,
    );
    await controller.stop(100);
    const text = await exposition(metrics);
    expect(sample(text, `controller_runtime_reconcile_panics_total{controller="c"}`)).toBe(1);
    expect(sample(text, `controller_runtime_reconcile_timeouts_total{controller="c"}`)).toBe(1);
    expect(sample(text, `controller_runtime_reconcile_errors_total{controller="c"}`)).toBe(3);
    expect(sample(text, `controller_runtime_terminal_reconcile_errors_total{controller="c"}`)).toBe(0);
  });
});

describe("work queue metrics, at the points client-go reports them", () => {
  it("depth counts keys not yet handed out; adds, retries, queue and work durations; unfinished work", async () => {
    let now = 1_000;
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const queue = new WorkQueue({ observer: metrics.queueObserver("q"), now: () => now });
    metrics.observeUnfinishedWork("q", queue);
    const series = (name: string) => `${name}{name="q",controller="q"}`;
    queue.add("a");
    queue.add("a"); // already pending: no second add, as client-go
    queue.add("b");
    let text = await exposition(metrics);
    expect(sample(text, `workqueue_depth{name="q",controller="q",priority=""}`)).toBe(2);
    expect(sample(text, series("workqueue_adds_total"))).toBe(2);
    now += 250;
    const a = await queue.get();
    now += 1_500;
    text = await exposition(metrics);
    expect(sample(text, `workqueue_depth{name="q",controller="q",priority=""}`)).toBe(1);
    expect(sample(text, series("workqueue_queue_duration_seconds_sum"))).toBeCloseTo(0.25);
    expect(sample(text, series("workqueue_unfinished_work_seconds"))).toBeCloseTo(1.5);
    expect(sample(text, series("workqueue_longest_running_processor_seconds"))).toBeCloseTo(1.5);
    if (a) queue.done(a);
    queue.addAfter("c", 1_000); // a requeue-after counts as a retry in controller-runtime
    queue.addRateLimited("b");
    text = await exposition(metrics);
    expect(sample(text, series("workqueue_work_duration_seconds_sum"))).toBeCloseTo(1.5);
    expect(sample(text, series("workqueue_work_duration_seconds_count"))).toBe(1);
    expect(sample(text, series("workqueue_unfinished_work_seconds"))).toBe(0);
    expect(sample(text, series("workqueue_retries_total"))).toBe(2);
    queue.shutdown();
  });

  it("records a 0.3 ms wait in the (0.0001, 0.001] bucket, not at 0", async () => {
    let now = 5_000;
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const queue = new WorkQueue({ observer: metrics.queueObserver("q"), now: () => now });
    queue.add("a");
    now += 0.3;
    const a = await queue.get();
    now += 0.04;
    if (a) queue.done(a);
    const text = await exposition(metrics);
    const bucket = (name: string, le: string) =>
      sample(text, `workqueue_${name}_duration_seconds_bucket{le="${le}",name="q",controller="q"}`);
    expect(bucket("queue", "0.00009999999999999999")).toBe(0);
    expect(bucket("queue", "0.001")).toBe(1);
    expect(sample(text, `workqueue_queue_duration_seconds_sum{name="q",controller="q"}`)).toBeCloseTo(
      0.0003,
      9,
    );
    expect(bucket("work", "0.000009999999999999999")).toBe(0);
    expect(bucket("work", "0.00009999999999999999")).toBe(1);
  });

  it("times with a clock finer than Date.now's whole milliseconds by default", async () => {
    const waits: number[] = [];
    const queue = new WorkQueue({ observer: { onLatency: (ms) => waits.push(ms) } });
    for (let i = 0; i < 20; i++) {
      queue.add(`k${i}`);
      const key = await queue.get();
      if (key) queue.done(key);
    }
    // Date.now would give whole numbers (mostly 0); performance.now gives fractions.
    expect(waits.some((ms) => ms > 0 && !Number.isInteger(ms))).toBe(true);
  });
});

describe("domain metrics", () => {
  it.each([
    ["DELETE /api/v1/tenant/orders/replicas", "DELETE /api/v1/tenant/{name}/replicas"],
    ["GET /api/v1/tenant/orders", "GET /api/v1/tenant/{name}"],
    ["GET /api/v1/task/dag/ob/unfinish", "GET /api/v1/task/dag/ob/unfinish"],
    ["GET /api/v1/task/dag/24000000001?show_details=true", "GET /api/v1/task/dag/{id}"],
    ["POST /api/v1/task/dag/24000000001", "POST /api/v1/task/dag/{id}"],
    ["GET /v2/0a1b2c/instances", "GET /v2/{project_id}/instances"],
    ["DELETE /prefix/v2/0a1b2c/instances", "DELETE /v2/{project_id}/instances"],
    ["GET /v2/0a1b2c/instances/6f1d-22", "GET /v2/{project_id}/instances/{instance_id}"],
    ["GET /some/user/path/with/secrets", "GET other"],
    ["BREW /api/v1/info", "other"],
  ])("remote operation %s is labelled %s (a route template, never ids)", (operation, label) => {
    expect(remoteOperationLabel(operation)).toBe(label);
  });

  it.each([
    ["DCS.4099", "DCS.4099"],
    ["APIGW.0308", "APIGW.0308"],
    ["<html>oops</html>", "other"],
    ["DCS.4099 and a long message naming cache-eu-1", "other"],
  ])("DCS error code %s is labelled %s", (code, label) => {
    expect(errorCodeLabel(code)).toBe(label);
  });

  it("labels a credential by a short digest that does not contain what it was made from", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.authFailure("dcs", {
      endpoint: "https://dcs.example",
      projectId: "0a1b2c",
      accessKeyId: "AKIDEXAMPLE",
    });
    metrics.authFailure("dcs", {
      endpoint: "https://dcs.example",
      projectId: "0a1b2c",
      accessKeyId: "AKIDOTHER",
    });
    metrics.authFailure("obshell", {
      endpoint: "http://10.0.0.1:2886",
      secret: "prod/obshell-prod/password",
    });
    const text = await exposition(metrics);
    const labels = [
      ...text.matchAll(/dbfleet_auth_failures_total\{remote="(\w+)",credential="([^"]*)"\} 1/g),
    ];
    expect(labels.map((m) => m[1])).toEqual(["dcs", "dcs", "obshell"]);
    for (const m of labels) expect(m[2]).toMatch(/^[0-9a-f]{12}$/);
    expect(new Set(labels.map((m) => m[2])).size).toBe(3);
    for (const word of ["AKIDEXAMPLE", "AKIDOTHER", "0a1b2c", "dcs.example", "obshell-prod"])
      expect(text).not.toContain(word);
  });

  it("counts remote calls by route template and code, a transport failure as <error>", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.onRemoteRequest({
      provider: "obshell",
      operation: "GET /api/v1/tenant/orders",
      status: 200,
      durationMs: 4,
    });
    metrics.onRemoteRequest({
      provider: "dcs",
      operation: "DELETE /v2/p/instances",
      status: "error",
      durationMs: 4,
    });
    const text = await exposition(metrics);
    expect(
      sample(
        text,
        `dbfleet_remote_requests_total{remote="obshell",operation="GET /api/v1/tenant/{name}",code="200"}`,
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        `dbfleet_remote_requests_total{remote="dcs",operation="DELETE /v2/{project_id}/instances",code="<error>"}`,
      ),
    ).toBe(1);
    expect(text).not.toContain("orders");
  });

  it("counts DCS per-instance results by error code, not under the batch's 200", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.dcsInstanceResult("success");
    metrics.dcsInstanceResult("failed", "DCS.4099");
    metrics.dcsInstanceResult("failed");
    const text = await exposition(metrics);
    expect(sample(text, `dbfleet_dcs_instance_deletions_total{result="success",error_code=""}`)).toBe(1);
    expect(sample(text, `dbfleet_dcs_instance_deletions_total{result="failed",error_code="DCS.4099"}`)).toBe(
      1,
    );
    expect(sample(text, `dbfleet_dcs_instance_deletions_total{result="failed",error_code=""}`)).toBe(1);
  });

  it("exports no per-set series unless asked (--per-set-metrics): kube-state-metrics reads status", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.recordConditions("TenantReplicaSet", "prod", "orders", [{ type: "Stalled", status: "True" }]);
    const text = await exposition(metrics);
    expect(text).not.toContain("dbfleet_reconcile_condition");
    expect(text).not.toContain('name="orders"');
  });

  it("with --per-set-metrics keeps one condition gauge per set and type, as Flux's gotk_reconcile_condition, and forgets a deleted set", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false, perSetMetrics: true });
    metrics.recordConditions("TenantReplicaSet", "prod", "orders", [
      { type: "Ready", status: "False" },
      { type: "Stalled", status: "True" },
    ]);
    const at = (type: string, status: string) =>
      `dbfleet_reconcile_condition{kind="TenantReplicaSet",name="orders",namespace="prod",type="${type}",status="${status}"}`;
    let text = await exposition(metrics);
    expect(sample(text, at("Stalled", "True"))).toBe(1);
    expect(sample(text, at("Stalled", "False"))).toBe(0);
    expect(sample(text, at("Ready", "False"))).toBe(1);
    expect(sample(text, at("Reconciling", "False"))).toBe(1); // absent means False in kstatus's convention
    metrics.recordConditions("TenantReplicaSet", "prod", "orders", [{ type: "Ready", status: "True" }]);
    text = await exposition(metrics);
    expect(sample(text, at("Stalled", "True"))).toBe(0);
    expect(sample(text, at("Ready", "True"))).toBe(1);
    metrics.forgetSet("TenantReplicaSet", "prod", "orders");
    expect(await exposition(metrics)).not.toContain('name="orders"');
  });

  it("counts destructive operations started and ended; the failure series exists before the first failure", async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const failed = `dbfleet_destructive_operation_results_total{kind="TenantReplicaSet",operation="remove_replicas",outcome="failed"}`;
    expect(sample(await exposition(metrics), failed)).toBe(0);
    metrics.destructiveOperationStarted("TenantReplicaSet", "remove_replicas");
    metrics.destructiveOperationFinished("TenantReplicaSet", "remove_replicas", "failed");
    const text = await exposition(metrics);
    expect(
      sample(
        text,
        `dbfleet_destructive_operations_total{kind="TenantReplicaSet",operation="remove_replicas"}`,
      ),
    ).toBe(1);
    expect(sample(text, failed)).toBe(1);
  });

  it("exports the build version", async () => {
    const text = await exposition(new OperatorMetrics({ defaultMetrics: false, version: "9.9.9" }));
    expect(sample(text, `dbfleet_build_info{version="9.9.9"}`)).toBe(1);
    const fromPackage = await exposition(new OperatorMetrics({ defaultMetrics: false }));
    expect(fromPackage).toMatch(/dbfleet_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1/);
  });
});
