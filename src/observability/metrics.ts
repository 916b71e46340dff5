// prom-client metrics of the engine and the providers, on one registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: "dbfleet_reconcile_total",
    help: "Reconciles by controller and result (success, requeue, error).",
    labelNames: ["controller", "result"],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "dbfleet_reconcile_errors_total",
    help: "Reconciles that failed, by controller.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "dbfleet_reconcile_duration_seconds",
    help: "Reconcile duration by controller.",
    labelNames: ["controller"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "dbfleet_workqueue_depth",
    help: "Keys waiting.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: "dbfleet_workqueue_adds_total",
    help: "Keys added.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: "dbfleet_workqueue_retries_total",
    help: "Rate-limited re-adds after a failure.",
    labelNames: ["controller"],
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: "dbfleet_workqueue_queue_duration_seconds",
    help: "Time a key waited before a worker took it.",
    labelNames: ["controller"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly remoteRequests = new Counter({
    name: "dbfleet_remote_requests_total",
    help: "Requests to obshell and DCS by provider, operation and status code.",
    labelNames: ["provider", "operation", "code"],
    registers: [this.registry],
  });
  readonly remoteDuration = new Histogram({
    name: "dbfleet_remote_request_duration_seconds",
    help: "Remote request duration by provider and operation.",
    labelNames: ["provider", "operation"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: "dbfleet_status_writes_total",
    help: "Status subresource writes by resource and outcome (written, unchanged, conflict).",
    labelNames: ["resource", "outcome"],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "dbfleet_leader",
    help: "1 while this replica holds the lease.",
    labelNames: ["lease"],
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "dbfleet_watch_restarts_total",
    help: "Watch restarts by resource and reason (timeout, idle, error, gone).",
    labelNames: ["resource", "reason"],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  queueObserver(controller: string) {
    return {
      onAdd: () => this.queueAdds.inc({ controller }),
      onDepth: (depth: number) => this.queueDepth.set({ controller }, depth),
      onRetry: () => this.queueRetries.inc({ controller }),
      onLatency: (ms: number) => this.queueLatency.observe({ controller }, ms / 1000),
    };
  }

  reconcileObserver() {
    return {
      onReconcile: (
        controller: string,
        result: "success" | "requeue_after" | "error",
        durationMs: number,
      ) => {
        this.reconcileTotal.inc({ controller, result });
        if (result === "error") this.reconcileErrors.inc({ controller });
        this.reconcileDuration.observe({ controller }, durationMs / 1000);
      },
    };
  }

  /** A request observation from either provider client. */
  onRemoteRequest = (o: {
    provider: string;
    operation: string;
    status: number | "error";
    durationMs: number;
  }): void => {
    // The operation's path names tenants and instances: keep the label cardinality bounded.
    const operation = o.operation.replace(/\/(tenant|dag|instances|v2)\/[^/ ]+/g, "/$1/:id");
    this.remoteRequests.inc({ provider: o.provider, operation, code: String(o.status) });
    this.remoteDuration.observe({ provider: o.provider, operation }, o.durationMs / 1000);
  };
}
