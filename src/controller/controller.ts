// Workers that take keys from a queue and reconcile them: level-based, as controller-runtime.
import type { Logger } from "pino";
import { reconcileLogger } from "../observability/logger.js";
import type { WorkQueue } from "./work-queue.js";

export interface ReconcileResult {
  /** Reconcile again after this long even if nothing changes (polling a remote task); > 0 or absent. */
  requeueAfterMs?: number;
}

/** One reconcile: the object's key, the cancellation (leadership lost, shutdown) and its logger. */
export interface ReconcileRequest {
  key: string;
  signal: AbortSignal;
  /** Bound to the controller, the object and this reconcile. */
  log: Logger;
}

export interface Reconciler {
  /** Reads the object from the cache by `key`; throwing means "try again with the queue's backoff". */
  reconcile(req: ReconcileRequest): Promise<ReconcileResult>;
}

/** controller-runtime's result labels: error (thrown), requeue_after (> 0), success (none); no Requeue here. */
export type ReconcileResultLabel = "success" | "error" | "requeue_after";

export interface ReconcileObserver {
  onStart?(controller: string, workers: number): void;
  /** A worker took (+1) or finished (-1) a key. */
  onActive?(controller: string, delta: 1 | -1): void;
  onReconcile?(controller: string, result: ReconcileResultLabel, durationMs: number): void;
  /**
   * The reconcile threw (after onReconcile "error"); `cancelled` when its signal had aborted by then
   * (deadline, shutdown, leadership lost), so the error is the cancellation's. The observer decides what
   * counts as a panic (src/observability/metrics.ts).
   */
  onError?(controller: string, error: unknown, cancelled: boolean): void;
  /** The reconcile's --reconcile-timeout deadline fired before it returned, whatever it returned. */
  onTimeout?(controller: string): void;
}

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  workers?: number;
  logger: Logger;
  observer?: ReconcileObserver;
  /**
   * A deadline for one reconcile: its signal aborts then, and the key retries with backoff. A remote
   * that answers slowly (request timeouts times retries) cannot hold a worker for half an hour.
   */
  reconcileTimeoutMs?: number;
}

export class Controller {
  private workers: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<string>();

  constructor(private readonly options: ControllerOptions) {}

  get name(): string {
    return this.options.name;
  }

  get activeKeys(): ReadonlySet<string> {
    return this.inFlight;
  }

  start(): void {
    if (this.workers.length > 0) return;
    const n = Math.max(1, this.options.workers ?? 1);
    this.options.observer?.onStart?.(this.options.name, n);
    for (let i = 0; i < n; i++) this.workers.push(this.work());
  }

  /** Stop taking work; in-flight reconciles get until `deadlineMs`, then their signal aborts. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.options.queue.shutdown();
    const timer = setTimeout(() => this.abort.abort(new Error("shutdown deadline")), deadlineMs);
    await Promise.all(this.workers);
    clearTimeout(timer);
  }

  /** Stop at once: losing leadership must stop work immediately. */
  abortNow(): void {
    this.abort.abort(new Error("leadership lost"));
    this.options.queue.shutdown();
  }

  private async work(): Promise<void> {
    const { queue, reconciler, logger, name } = this.options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      this.inFlight.add(key);
      this.options.observer?.onActive?.(name, 1);
      const started = performance.now();
      const log = reconcileLogger(logger, name, key);
      const timeout = this.options.reconcileTimeoutMs;
      // Not AbortSignal.timeout: its timer (and what it holds) would outlive the reconcile by the whole
      // deadline, about two per set at 10,000 sets polling every 2 min (issue 29).
      const deadline = timeout === undefined ? undefined : new AbortController();
      const timer =
        deadline &&
        setTimeout(() => deadline.abort(new DOMException("reconcile deadline", "TimeoutError")), timeout);
      const signal =
        deadline === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, deadline.signal]);
      try {
        const result = await reconciler.reconcile({ key, signal, log });
        queue.forget(key);
        const requeue = result.requeueAfterMs;
        if (requeue !== undefined && requeue > 0) queue.addAfter(key, requeue);
        this.options.observer?.onReconcile?.(
          name,
          requeue !== undefined && requeue > 0 ? "requeue_after" : "success",
          performance.now() - started,
        );
      } catch (error) {
        const delay = queue.addRateLimited(key);
        this.options.observer?.onReconcile?.(name, "error", performance.now() - started);
        this.options.observer?.onError?.(name, error, signal.aborted);
        log.error({ err: error, retryInMs: delay }, "reconcile failed");
      } finally {
        // As controller-runtime counts reconcile timeouts: the own deadline fired, not a parent's cancel.
        clearTimeout(timer);
        if (deadline?.signal.aborted) this.options.observer?.onTimeout?.(name);
        this.options.observer?.onActive?.(name, -1);
        this.inFlight.delete(key);
        queue.done(key);
      }
    }
  }
}
