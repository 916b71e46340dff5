// A work queue with controller-runtime's guarantees: a key waits once however often it is added,
// is never handed to two workers at once, and is handed out again after done() if it changed meanwhile.
// Failures back off per key (5 ms doubling to 1000 s) under an overall token bucket (10/s, burst 100).
import { ExponentialBackoff } from "./backoff.js";

/** Hooks at the points client-go's workqueue (util/workqueue/metrics.go) reports its metrics. */
export interface QueueObserver {
  /** A key became pending (an add of a key already pending is not counted, as client-go). */
  onAdd?(key: string): void;
  /** Keys added and not yet handed to a worker, including those waiting for their own worker to finish. */
  onDepth?(depth: number): void;
  /** An add with a delay > 0 (rate-limited re-add or requeue-after), as controller-runtime counts retries. */
  onRetry?(key: string): void;
  /** Time a key waited between being queued and handed to a worker, in fractional milliseconds. */
  onLatency?(ms: number): void;
  /** Time a worker held a key, from hand-out to done(), in fractional milliseconds. */
  onWorkDuration?(ms: number): void;
}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall limit for rate-limited re-adds. */
  qps?: number;
  burst?: number;
  observer?: QueueObserver;
  /**
   * Milliseconds on a monotonic clock, fractional: the queue only subtracts its readings. The default is
   * performance.now(), not Date.now(), whose whole milliseconds put most queue waits (well under 1 ms) at 0
   * in workqueue_queue_duration_seconds, whose buckets start at 10 ns (client-go's).
   */
  now?: () => number;
  /**
   * Start closed: adds are dropped until open(). A standby replica's queue stays empty (and its metrics
   * at zero) while its caches warm; the manager opens it on acquiring the lease and adds every cached key,
   * as controller-runtime starts its sources only then.
   */
  closed?: boolean;
  /**
   * The tenant a key belongs to (its namespace): keys are handed out round-robin between tenants with
   * work, so 300 busy sets of one namespace delay another namespace's set by one key each, not by all of
   * them. FIFO within a tenant. Without it, one FIFO.
   */
  fairBy?: (key: string) => string;
}

/** Keys waiting for a worker: one FIFO per tenant, tenants served in turn. */
class FairQueue {
  private readonly byTenant = new Map<string, string[]>();
  /** Tenants with keys waiting, in serving order. */
  private readonly turn: string[] = [];
  private size = 0;
  constructor(private readonly tenantOf: (key: string) => string) {}

  get length(): number {
    return this.size;
  }

  push(key: string): void {
    const tenant = this.tenantOf(key);
    let keys = this.byTenant.get(tenant);
    if (!keys) {
      keys = [];
      this.byTenant.set(tenant, keys);
      this.turn.push(tenant);
    }
    keys.push(key);
    this.size++;
  }

  shift(): string | undefined {
    const tenant = this.turn.shift();
    if (tenant === undefined) return undefined;
    const keys = this.byTenant.get(tenant) ?? [];
    const key = keys.shift();
    if (keys.length > 0) this.turn.push(tenant);
    else this.byTenant.delete(tenant);
    this.size--;
    return key;
  }
}

/** The longest delay setTimeout holds (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly queue: FairQueue;
  private readonly dirty = new Set<string>();
  /** Keys held by a worker, with when they were handed out. */
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: ExponentialBackoff;
  private readonly now: () => number;
  private tokens: number;
  private tokensAt: number;
  private shuttingDown = false;
  private closed: boolean;

  constructor(private readonly options: WorkQueueOptions = {}) {
    this.closed = options.closed ?? false;
    this.queue = new FairQueue(options.fairBy ?? (() => ""));
    this.backoff = new ExponentialBackoff(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000);
    this.now = options.now ?? (() => performance.now());
    this.tokens = options.burst ?? 100;
    this.tokensAt = this.now();
  }

  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Whether adds are taken (see `closed`). */
  get isOpen(): boolean {
    return !this.closed;
  }

  open(): void {
    this.closed = false;
  }

  add(key: string): void {
    if (this.closed || this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.now());
    this.options.observer?.onAdd?.(key);
    this.options.observer?.onDepth?.(this.dirty.size);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) this.handOut(key, waiter);
    else this.queue.push(key);
  }

  /** Add `key` after `delayMs`; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.closed || this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    this.options.observer?.onRetry?.(key);
    // Node fires a longer timer after 1 ms: a far-off requeue (a budget freeing in a month) comes back
    // after the longest a timer holds instead, and is decided again then.
    const delay = Math.min(delayMs, MAX_TIMER_MS);
    const at = this.now() + delay;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delay);
    timer.unref();
    this.waiting.set(key, { at, timer });
  }

  /** Re-add after a failure: the larger of the key's backoff and the overall bucket's wait. */
  addRateLimited(key: string): number {
    const delay = Math.max(this.backoff.next(key), this.bucketDelay());
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.attempts(key);
  }

  /** The next key, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return new Promise((resolve) => this.handOut(key, resolve));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const since = this.processing.get(key);
    if (since !== undefined) this.options.observer?.onWorkDuration?.(this.now() - since);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      const waiter = this.waiters.shift();
      if (waiter) this.handOut(key, waiter);
      else this.queue.push(key);
    }
  }

  /** Work in progress: the summed and the longest time workers have held their keys so far. */
  unfinishedWork(): { totalMs: number; longestMs: number } {
    const now = this.now();
    let totalMs = 0;
    let longestMs = 0;
    for (const since of this.processing.values()) {
      totalMs += now - since;
      longestMs = Math.max(longestMs, now - since);
    }
    return { totalMs, longestMs };
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private handOut(key: string, to: (key: string | undefined) => void): void {
    this.dirty.delete(key);
    const now = this.now();
    this.processing.set(key, now);
    this.options.observer?.onDepth?.(this.dirty.size);
    const added = this.addedAt.get(key);
    if (added !== undefined) this.options.observer?.onLatency?.(now - added);
    to(key);
  }

  private bucketDelay(): number {
    const qps = this.options.qps ?? 10;
    const burst = this.options.burst ?? 100;
    const now = this.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) / 1000) * qps);
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / qps) * 1000);
  }
}
