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

export class WorkQueue {
  private readonly queue: FairQueue;
  private readonly dirty = new Set<string>();
  /** Keys held by a worker, with when they were handed out. */
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  /**
   * Keys waiting for their time (addAfter), with when: one timer for the earliest, as client-go's delaying
   * queue, rather than one per key (10,000 polling sets held 10,000 timers; issue 29).
   */
  private readonly waiting = new Map<string, number>();
  private readonly due = new DueHeap();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
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
    const at = this.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending !== undefined && pending <= at) return;
    // The later entry of the key stays in the heap, ignored when it comes up (it no longer matches).
    this.waiting.set(key, at);
    this.due.push(key, at);
    this.arm();
  }

  /** The one timer, set for the earliest key still waiting. */
  private arm(): void {
    let head = this.due.peek();
    while (head && this.waiting.get(head.key) !== head.at) {
      this.due.pop();
      head = this.due.peek();
    }
    if (!head) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer && this.timerAt <= head.at) return;
    clearTimeout(this.timer);
    const armedFor = head.at;
    this.timerAt = armedFor;
    this.timer = setTimeout(() => this.release(armedFor), Math.max(0, armedFor - this.now()));
    this.timer.unref();
  }

  /** Adds every key whose time has come; the key the timer was set for has come whatever the clock says. */
  private release(armedFor: number): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const until = Math.max(this.now(), armedFor);
    for (let head = this.due.peek(); head && head.at <= until; head = this.due.peek()) {
      this.due.pop();
      if (this.waiting.get(head.key) !== head.at) continue;
      this.waiting.delete(head.key);
      this.add(head.key);
    }
    if (!this.shuttingDown) this.arm();
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
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
    this.due.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private handOut(key: string, to: (key: string | undefined) => void): void {
    this.dirty.delete(key);
    const now = this.now();
    this.processing.set(key, now);
    this.options.observer?.onDepth?.(this.dirty.size);
    const added = this.addedAt.get(key);
    // Forgotten once handed out: a deleted set's key must not stay here for the life of the process.
    this.addedAt.delete(key);
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

/** A binary min-heap of (key, time), earliest first. */
class DueHeap {
  private readonly items: { key: string; at: number }[] = [];

  push(key: string, at: number): void {
    const items = this.items;
    items.push({ key, at });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const [p, c] = [items[parent], items[i]] as [{ key: string; at: number }, { key: string; at: number }];
      if (p.at <= c.at) break;
      items[parent] = c;
      items[i] = p;
      i = parent;
    }
  }

  peek(): { key: string; at: number } | undefined {
    return this.items[0];
  }

  pop(): void {
    const items = this.items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < items.length && (items[l]?.at ?? 0) < (items[least]?.at ?? 0)) least = l;
      if (r < items.length && (items[r]?.at ?? 0) < (items[least]?.at ?? 0)) least = r;
      if (least === i) return;
      const [a, b] = [items[i], items[least]] as [{ key: string; at: number }, { key: string; at: number }];
      items[i] = b;
      items[least] = a;
      i = least;
    }
  }

  clear(): void {
    this.items.length = 0;
  }
}
