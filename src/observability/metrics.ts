// Prometheus metrics on one registry. The engine's series carry controller-runtime's and client-go's exact
// names, types, labels and buckets, so dashboards and alerts written for controller-runtime operators work
// unchanged; what only this operator knows is under `dbfleet_`. Label values are bounded: controller names,
// kinds, route templates, HTTP codes, never an endpoint, a path with ids, or a secret. Per-set state
// (conditions, phase, generations, approvals) is kube-state-metrics' to export from the sets' status
// (deploy/monitoring/kube-state-metrics.yaml); the Flux-style per-set gauge is only behind --per-set-metrics.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { z } from "zod";
import { type DestructiveOperation, SET_KINDS, type SetKindName } from "../api/kinds.js";
import { KubeApiError } from "../controller/kube-http.js";
import { RemoteError } from "../providers/errors.js";

/** prometheus.ExponentialBuckets as client_golang computes it (repeated multiplication, same floats). */
function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const buckets: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) buckets.push(b);
  return buckets;
}

// controller-runtime pkg/internal/controller/metrics/metrics.go (ReconcileTime).
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// controller-runtime pkg/internal/metrics/workqueue.go: ExponentialBuckets(10e-9, 10, 12).
const WORKQUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);
// controller-runtime pkg/metrics/client_go_adapter.go (requestLatency); reused for remote calls.
const REST_CLIENT_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0];

/** controller-runtime's result label values (pkg/internal/controller/controller.go, labelError ...). */
export type ReconcileResultLabel = "success" | "error" | "requeue" | "requeue_after";
const RECONCILE_RESULTS: readonly ReconcileResultLabel[] = ["error", "requeue_after", "requeue", "success"];

/** The kinds whose sets carry the per-set series. */
export type SetKind = SetKindName;
export type { DestructiveOperation };
/** How a destructive operation ended: all targets gone, none, or some (a DCS batch with failures). */
export type DestructiveOutcome = "succeeded" | "failed" | "partial";
export type Remote = "obshell" | "dcs";
const DEFAULT_METRICS_MISNAMED = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];
const DESTRUCTIVE_OUTCOMES: readonly DestructiveOutcome[] = ["succeeded", "failed", "partial"];

// The condition types and statuses of the per-set gauge (as Flux's gotk_reconcile_condition, which Flux
// deprecated in 2.1 for kube-state-metrics' custom resource state metrics: off unless --per-set-metrics).
const CONDITION_TYPES = ["Ready", "Reconciling", "Stalled"] as const;
const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

// Route templates of the remote calls (specs: obshell, DCS); anything else is "other", so a path that
// names a tenant, DAG, project or instance never becomes a label value.
const REMOTE_ROUTES: [RegExp, string][] = [
  [/^\/api\/v1\/info$/, "/api/v1/info"],
  [/^\/api\/v1\/secret$/, "/api/v1/secret"],
  [/^\/api\/v1\/tenants\/overview$/, "/api/v1/tenants/overview"],
  [/^\/api\/v1\/tenant\/[^/]+\/replicas$/, "/api/v1/tenant/{name}/replicas"],
  [/^\/api\/v1\/tenant\/[^/]+$/, "/api/v1/tenant/{name}"],
  [/^\/api\/v1\/task\/dag\/ob\/unfinish$/, "/api/v1/task/dag/ob/unfinish"],
  [/^\/api\/v1\/task\/dag\/[^/]+$/, "/api/v1/task/dag/{id}"],
  // DCS endpoints may carry a path prefix: match the tail only.
  [/\/v2\/[^/]+\/instances$/, "/v2/{project_id}/instances"],
  [/\/v2\/[^/]+\/instances\/[^/]+$/, "/v2/{project_id}/instances/{instance_id}"],
];
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** `DELETE /api/v1/tenant/orders/replicas?x` -> `DELETE /api/v1/tenant/{name}/replicas`; unknown -> `other`. */
export function remoteOperationLabel(operation: string): string {
  const space = operation.indexOf(" ");
  const method = operation.slice(0, space);
  const path = (operation.slice(space + 1).split("?")[0] ?? "").replace(/\/+$/, "");
  if (space < 0 || !METHODS.has(method)) return "other";
  for (const [pattern, template] of REMOTE_ROUTES) if (pattern.test(path)) return `${method} ${template}`;
  return `${method} other`;
}

/** A DCS error code as a label (`DCS.4099`, `APIGW.0308`); anything unlike one is `other`. */
export function errorCodeLabel(code: string | undefined): string {
  if (code === undefined || code === "") return "";
  return /^[A-Za-z]{2,12}\.[0-9]{1,10}$/.test(code) ? code : "other";
}

/**
 * A short, stable label for a credential: 12 hex digits of a SHA-256 over its identifying parts. Pass
 * only parts that are not secret (endpoint, project, access key id, the Secret's namespace/name/key):
 * a short digest of a password could be guessed offline.
 */
export function credentialLabel(...identity: string[]): string {
  return createHash("sha256")
    .update(`dbfleet-credential\u0000${identity.join("\u0000")}`)
    .digest("hex")
    .slice(0, 12);
}

/** The package version, read next to the sources (src/ under tsx, dist/src/ once built). */
export function packageVersion(): string {
  const shape = z.object({ version: z.string() });
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const parsed = shape.safeParse(JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")));
      if (parsed.success) return parsed.data.version;
    } catch {}
  }
  return "unknown";
}

/**
 * Whether an error that escaped a reconcile counts in controller_runtime_reconcile_panics_total. Go
 * reconcilers fail by returning errors and count only recovered panics; ours fail by throwing, so the
 * failures a reconcile expects are told apart from the rest, which are bugs (a TypeError, a schema that
 * throws, an assertion): a remote's error (RemoteError, also as the cause of ObserveFailed), the API
 * server's answer (KubeApiError), a network error from undici or Node (a string `code`: ECONNREFUSED,
 * UND_ERR_SOCKET), and anything thrown after the reconcile's signal aborted (deadline, shutdown, lost lease).
 */
export function isPanic(error: unknown, cancelled: boolean): boolean {
  if (cancelled) return false;
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (e instanceof RemoteError || e instanceof KubeApiError) return false;
    if (typeof (e as { code?: unknown }).code === "string") return false;
    if (e.name === "AbortError" || e.name === "TimeoutError") return false;
  }
  return true;
}

/** What identifies a credential without holding it. */
export interface CredentialIdentity {
  endpoint: string;
  projectId?: string;
  accessKeyId?: string;
  /** The Secret it is read from, `namespace/name/key`. */
  secret?: string;
}

/** What a work queue reports about the keys its workers hold (client-go's updateUnfinishedWork). */
export interface UnfinishedWorkSource {
  unfinishedWork(): { totalMs: number; longestMs: number };
}

export interface OperatorMetricsOptions {
  /** process_* and nodejs_* collectors (controller-runtime registers Go's and the process's). */
  defaultMetrics?: boolean;
  /** `dbfleet_build_info{version}`; the package.json version when absent. */
  version?: string;
  /**
   * `dbfleet_reconcile_condition{kind,namespace,name,type,status}`, 9 series per set (--per-set-metrics).
   * Off by default: kube-state-metrics exports the same from status (deploy/monitoring), and at thousands
   * of sets these series are most of the registry's memory (issue 29).
   */
  perSetMetrics?: boolean;
}

/** One budget's use in one scope (src/reconcilers/budget.ts BudgetUsage). */
export interface BudgetUse {
  budget: string;
  unit: string;
  scope: string;
  limit: number;
  used: number;
}

/** Scope series per budget and unit: a remote or namespace label is bounded by this, whatever the fleet. */
export const BUDGET_SCOPES_SHOWN = 20;

/** The scopes with the least left, per budget and unit, at most BUDGET_SCOPES_SHOWN of each. */
export function shownBudgetUse(usage: readonly BudgetUse[]): BudgetUse[] {
  const groups = new Map<string, BudgetUse[]>();
  for (const u of usage) {
    const key = `${u.budget}\u0000${u.unit}`;
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  return [...groups.values()].flatMap((g) =>
    g.sort((a, b) => a.limit - a.used - (b.limit - b.used)).slice(0, BUDGET_SCOPES_SHOWN),
  );
}

export class OperatorMetrics {
  readonly registry = new Registry();

  // controller-runtime pkg/internal/controller/metrics/metrics.go (and its controller.go for when each moves)
  private readonly reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"],
    registers: [this.registry],
  });
  private readonly reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  // Incremented by controller-runtime for an error wrapped in reconcile.TerminalError: not retried. This
  // operator has no such error: a failure only a human can end (InvalidSpec, EndpointRefused, a failed DAG
  // held, AuthenticationFailed) is written as Stalled and the reconcile returns without error, as a
  // controller-runtime reconciler that sets Stalled and returns nil; the series stays 0 and exists for the
  // dashboards and alerts that expect it. Stalled sets are counted by kube-state-metrics from status.
  private readonly terminalErrors = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  // An error escaping a reconcile that it does not expect (isPanic); as a recovered Go panic it also counts
  // as an error and retries with backoff.
  private readonly reconcilePanics = new Counter({
    name: "controller_runtime_reconcile_panics_total",
    help: "Total number of reconciliation panics per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  // Newer controller-runtime (ReconciliationTimeout, v0.22): its controller.go counts when the reconcile's
  // own deadline fired; ours is --reconcile-timeout.
  private readonly reconcileTimeouts = new Counter({
    name: "controller_runtime_reconcile_timeouts_total",
    help: "Total number of reconciliation timeouts per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  private readonly reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"],
    buckets: RECONCILE_TIME_BUCKETS,
    registers: [this.registry],
  });
  private readonly workerCount = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  private readonly activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"],
    registers: [this.registry],
  });

  // controller-runtime pkg/internal/metrics/workqueue.go (names from pkg/metrics/workqueue.go); its
  // provider sets both `name` and `controller` to the controller's name, and depth has `priority` ("").
  private readonly queueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue by workqueue and priority",
    labelNames: ["name", "controller", "priority"],
    registers: [this.registry],
  });
  private readonly queueAdds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames: ["name", "controller"],
    registers: [this.registry],
  });
  private readonly queueLatency = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames: ["name", "controller"],
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes.",
    labelNames: ["name", "controller"],
    buckets: WORKQUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly unfinishedSources = new Map<string, UnfinishedWorkSource>();
  private readonly queueRetries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of items added to the workqueue with a non-zero delay (rate-limited requeues, explicit RequeueAfter or AddAfter calls)",
    labelNames: ["name", "controller"],
    registers: [this.registry],
  });

  // controller-runtime pkg/metrics/client_go_adapter.go; values as client-go rest/request.go sends them:
  // code = HTTP status or "<error>", method/verb = the HTTP method, host = the URL's host:port.
  private readonly restRequests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests, partitioned by status code, method, and host.",
    labelNames: ["code", "method", "host"],
    registers: [this.registry],
  });
  private readonly restLatency = new Histogram({
    name: "rest_client_request_duration_seconds",
    help: "Request latency in seconds. Broken down by verb and host.",
    labelNames: ["verb", "host"],
    buckets: REST_CLIENT_BUCKETS,
    registers: [this.registry],
  });

  // controller-runtime pkg/metrics/leaderelection.go; `name` is the lease name.
  private readonly leaderStatus = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
    labelNames: ["name"],
    registers: [this.registry],
  });

  // What only this operator knows.
  private readonly remoteRequests = new Counter({
    name: "dbfleet_remote_requests_total",
    help: "Requests to obshell and DCS by remote, operation (route template) and HTTP status code (<error> without a reply).",
    labelNames: ["remote", "operation", "code"],
    registers: [this.registry],
  });
  private readonly remoteLatency = new Histogram({
    name: "dbfleet_remote_request_duration_seconds",
    help: "Duration of requests to obshell and DCS by remote and operation.",
    labelNames: ["remote", "operation"],
    buckets: REST_CLIENT_BUCKETS,
    registers: [this.registry],
  });
  private readonly dcsInstanceResults = new Counter({
    name: "dbfleet_dcs_instance_deletions_total",
    help: "Per-instance results of DCS deletions (a batch answers 200 with failures inside), by result and DCS error code.",
    labelNames: ["result", "error_code"],
    registers: [this.registry],
  });
  private readonly conditionGauge: Gauge<"kind" | "name" | "namespace" | "type" | "status"> | undefined;
  private readonly destructiveStarted = new Counter({
    name: "dbfleet_destructive_operations_total",
    help: "Destructive remote operations started (the call sent after its intent was recorded), by kind and operation.",
    labelNames: ["kind", "operation"],
    registers: [this.registry],
  });
  private readonly destructiveResults = new Counter({
    name: "dbfleet_destructive_operation_results_total",
    help: "Destructive remote operations that ended, by kind, operation and outcome (succeeded, failed, partial).",
    labelNames: ["kind", "operation", "outcome"],
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: "dbfleet_auth_failures_total",
    help: "Requests a remote refused for authentication, by remote and credential (a short digest of its identity, never the key).",
    labelNames: ["remote", "credential"],
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: "dbfleet_status_writes_total",
    help: "Status subresource writes by resource and outcome (written, unchanged, conflict).",
    labelNames: ["resource", "outcome"],
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "dbfleet_watch_restarts_total",
    help: "Watch restarts by resource and reason (timeout, idle, error, gone).",
    labelNames: ["resource", "reason"],
    registers: [this.registry],
  });

  /** Where the fleet's budget use is read at scrape time (the operator's FleetBudgets); none: no series. */
  private budgetUsage: () => readonly BudgetUse[] = () => [];

  /** Budget use per scope is computed at scrape time from the cached sets' recorded disruptions. */
  watchBudgets(usage: () => readonly BudgetUse[]): void {
    this.budgetUsage = usage;
  }

  constructor(options: OperatorMetricsOptions = {}) {
    this.conditionGauge = options.perSetMetrics
      ? new Gauge({
          name: "dbfleet_reconcile_condition",
          help: "The current condition status of a set, as Flux's gotk_reconcile_condition: 1 for the status the condition has, 0 for the others.",
          labelNames: ["kind", "name", "namespace", "type", "status"],
          registers: [this.registry],
        })
      : undefined;
    const sources = this.unfinishedSources;
    const collectUnfinished = (pick: "totalMs" | "longestMs") =>
      function (this: Gauge<"name" | "controller">) {
        // Computed at scrape time instead of client-go's 500 ms ticker: the same value, no timer.
        for (const [name, source] of sources)
          this.set({ name, controller: name }, source.unfinishedWork()[pick] / 1000);
      };
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ["name", "controller"],
      registers: [this.registry],
      collect: collectUnfinished("totalMs"),
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name", "controller"],
      registers: [this.registry],
      collect: collectUnfinished("longestMs"),
    });
    const budgets = () => shownBudgetUse(this.budgetUsage());
    new Gauge({
      name: "dbfleet_budget_used",
      help: `Destructive work counted by a FleetDisruptionBudget in its window now, per unit (instances, zones) and scope (a remote, a namespace, or fleet); at most ${BUDGET_SCOPES_SHOWN} scopes per budget and unit, those with the least left.`,
      labelNames: ["budget", "unit", "scope"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const u of budgets()) this.set({ budget: u.budget, unit: u.unit, scope: u.scope }, u.used);
      },
    });
    new Gauge({
      name: "dbfleet_budget_remaining",
      help: "What a FleetDisruptionBudget still admits in its window now, per unit and scope (as dbfleet_budget_used).",
      labelNames: ["budget", "unit", "scope"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const u of budgets())
          this.set({ budget: u.budget, unit: u.unit, scope: u.scope }, Math.max(0, u.limit - u.used));
      },
    });
    new Gauge({
      name: "dbfleet_build_info",
      help: "The operator's version; always 1.",
      labelNames: ["version"],
      registers: [this.registry],
    }).set({ version: options.version ?? packageVersion() }, 1);
    // Counters that alerts take increase() of exist at 0 from the start, so a first failure shows as one.
    for (const { kind, operations } of Object.values(SET_KINDS))
      for (const operation of operations) {
        this.destructiveStarted.inc({ kind, operation }, 0);
        for (const outcome of DESTRUCTIVE_OUTCOMES)
          this.destructiveResults.inc({ kind, operation, outcome }, 0);
      }
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters fail `promtool check metrics`; each is the sum of its per-type gauge
      // (nodejs_active_handles{type} ...), which stays.
      for (const name of DEFAULT_METRICS_MISNAMED) this.registry.removeSingleMetric(name);
    }
  }

  /** The work queue hooks of controller `name` (src/controller/work-queue.ts QueueObserver). */
  queueObserver(name: string) {
    const labels = { name, controller: name };
    this.queueDepth.set({ ...labels, priority: "" }, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
    return {
      onAdd: () => this.queueAdds.inc(labels),
      onDepth: (depth: number) => this.queueDepth.set({ ...labels, priority: "" }, depth),
      onRetry: () => this.queueRetries.inc(labels),
      onLatency: (ms: number) => this.queueLatency.observe(labels, ms / 1000),
      onWorkDuration: (ms: number) => this.workDuration.observe(labels, ms / 1000),
    };
  }

  /** Reports `workqueue_unfinished_work_seconds` and `..._longest_running_processor_seconds` of a queue. */
  observeUnfinishedWork(name: string, source: UnfinishedWorkSource): void {
    this.unfinishedSources.set(name, source);
  }

  /** The worker hooks (src/controller/controller.ts ReconcileObserver). */
  reconcileObserver() {
    return {
      // controller-runtime's initMetrics: every result series exists (at 0) once a controller starts.
      onStart: (controller: string, workers: number) => {
        for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
        this.reconcileErrors.inc({ controller }, 0);
        this.terminalErrors.inc({ controller }, 0);
        this.reconcilePanics.inc({ controller }, 0);
        this.reconcileTimeouts.inc({ controller }, 0);
        this.workerCount.set({ controller }, workers);
        this.activeWorkers.set({ controller }, 0);
      },
      onActive: (controller: string, delta: 1 | -1) => this.activeWorkers.inc({ controller }, delta),
      onReconcile: (controller: string, result: ReconcileResultLabel, durationMs: number) => {
        this.reconcileTotal.inc({ controller, result });
        if (result === "error") this.reconcileErrors.inc({ controller });
        this.reconcileTime.observe({ controller }, durationMs / 1000);
      },
      onError: (controller: string, error: unknown, cancelled: boolean) => {
        if (isPanic(error, cancelled)) this.reconcilePanics.inc({ controller });
      },
      onTimeout: (controller: string) => this.reconcileTimeouts.inc({ controller }),
    };
  }

  /** The API server client's hooks (src/controller/kube-http.ts RestClientObserver). */
  restClientObserver() {
    return {
      onResult: (code: string, method: string, host: string) => this.restRequests.inc({ code, method, host }),
      onLatency: (verb: string, host: string, ms: number) =>
        this.restLatency.observe({ verb, host }, ms / 1000),
    };
  }

  /** The leader election hooks (src/controller/leader-election.ts LeaderMetric), as client-go's LeaderMetric. */
  leaderMetric() {
    return {
      on: (name: string) => this.leaderStatus.set({ name }, 1),
      off: (name: string) => this.leaderStatus.set({ name }, 0),
    };
  }

  /** A request observation from either provider client (src/providers/transport.ts RequestObservation). */
  onRemoteRequest = (o: {
    provider: Remote;
    operation: string;
    status: number | "error";
    durationMs: number;
  }): void => {
    const operation = remoteOperationLabel(o.operation);
    const code = o.status === "error" ? "<error>" : String(o.status);
    this.remoteRequests.inc({ remote: o.provider, operation, code });
    this.remoteLatency.observe({ remote: o.provider, operation }, o.durationMs / 1000);
  };

  /** One instance's entry of a DCS batch delete (or its later lookup): `failed` with the DCS error code if known. */
  dcsInstanceResult(result: "success" | "failed", errorCode?: string): void {
    this.dcsInstanceResults.inc({
      result,
      error_code: result === "success" ? "" : errorCodeLabel(errorCode),
    });
  }

  /**
   * With --per-set-metrics, the set's conditions as they were written: Ready, Reconciling and Stalled each get 1 on the status
   * they have and 0 on the others; an absent Reconciling or Stalled counts as False (kstatus's
   * "abnormal-true" convention), an absent Ready as Unknown.
   */
  recordConditions(
    kind: SetKind,
    namespace: string,
    name: string,
    conditions: readonly { type: string; status: string }[],
  ): void {
    const gauge = this.conditionGauge;
    if (!gauge) return;
    for (const type of CONDITION_TYPES) {
      const status =
        conditions.find((c) => c.type === type)?.status ?? (type === "Ready" ? "Unknown" : "False");
      for (const s of CONDITION_STATUSES)
        gauge.set({ kind, name, namespace, type, status: s }, s === status ? 1 : 0);
    }
  }

  /** Removes a set's condition series once it is gone from the cache (Flux deletes them too). */
  forgetSet(kind: SetKind, namespace: string, name: string): void {
    const gauge = this.conditionGauge;
    if (!gauge) return;
    for (const type of CONDITION_TYPES)
      for (const status of CONDITION_STATUSES) gauge.remove({ kind, name, namespace, type, status });
  }

  /** A destructive call is about to be sent (after its intent is in status). */
  destructiveOperationStarted(kind: SetKind, operation: DestructiveOperation): void {
    this.destructiveStarted.inc({ kind, operation });
  }

  /** A destructive operation ended (DAG SUCCEED/FAILED, DCS batch answered); once per operation. */
  destructiveOperationFinished(
    kind: SetKind,
    operation: DestructiveOperation,
    outcome: DestructiveOutcome,
  ): void {
    this.destructiveResults.inc({ kind, operation, outcome });
  }

  /**
   * A remote refused a credential (an AuthError). Labelled by a digest of its identity, which holds nothing
   * secret: not the password or a digest of it (12 hex digits of one could be matched offline against weak
   * passwords), but where it is kept. obshell: endpoint and Secret; DCS: endpoint, project and access key id.
   */
  authFailure(remote: Remote, identity: CredentialIdentity): void {
    const parts = [
      identity.endpoint,
      identity.projectId ?? "",
      identity.accessKeyId ?? "",
      identity.secret ?? "",
    ];
    this.authFailures.inc({ remote, credential: credentialLabel(...parts) });
  }
}
