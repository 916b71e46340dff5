// core/v1 Events about our objects, with client-go's EventCorrelator behaviour (tools/record/events_cache.go):
// a repeat of the same type, reason and note on the same object bumps the count of the existing Event
// instead of creating another, and a token bucket per source+object+type (burst 25, refilled one every
// five minutes) drops what exceeds it, so an object that stays unhealthy cannot flood the API server.
// Callers raise events on change only (issue 21): `isTransition` for a set's condition, `StandingEvents`
// for warnings that hold as long as a configuration does.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { describeError } from "../observability/logger.js";
import { KubeApiError, type KubeHttp } from "./kube-http.js";
import type { KubeObject } from "./resource.js";
import type { Scrubber } from "./status-writer.js";

export type EventType = "Normal" | "Warning";

/** An event to raise: what `record` takes besides the object. */
export interface EventNote {
  type: EventType;
  reason: string;
  message: string;
}

interface Seen {
  name: string;
  count: number;
  namespace: string;
  /** Whether an Event with this name exists on the server (the first occurrence may have been dropped). */
  written: boolean;
}

/** client-go's maxLruCacheEntries, defaultSpamBurst and defaultSpamQPS. */
const MAX_TRACKED = 4096;
/**
 * Events waiting to be written, and writes in flight. client-go queues at most 1000 (maxQueuedEvents,
 * dropped when full) and one goroutine writes them in turn. Unbounded fire-and-forget writes opened a TLS
 * connection each: 1,000 sets starting at once held 760 sockets and ~50 MiB of C heap (issue 29).
 */
export const MAX_QUEUED_EVENTS = 1000;
const EVENT_WRITERS = 2;
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 300_000;

/** What a status says, as far as "a change" goes: its phase and its condition's reason. */
export interface ReportedState {
  phase?: string | undefined;
  reason?: string | undefined;
}

/**
 * Events on change only: a state raises its events when it differs from the stored one, never on a
 * repeat, so a set that stays Stalled spends none of its spam budget and a new reason always has one.
 */
export function isTransition(before: ReportedState | undefined, after: ReportedState): boolean {
  return before?.phase !== after.phase || before?.reason !== after.reason;
}

/** The events of `now` that `before` had not raised; a repeat raises nothing, a reappearance again. */
export function newEvents<E extends EventNote>(before: readonly string[], now: readonly E[]): E[] {
  return now.filter((e) => !before.includes(noteKey(e)));
}

function noteKey(e: EventNote): string {
  return `${e.type}/${e.reason}/${e.message}`;
}

/**
 * Sets whose standing warnings are remembered at once; past it the least recently reconciled is forgotten
 * and raises its warnings once more. Well above a fleet's size: under client-go's 4096 (the events' own
 * caches), a fleet of more sets than that forgot each set before its next poll and raised its warnings on
 * every poll, an Event write per poll (issue 29).
 */
const MAX_STANDING = 100_000;
/** Distinct lists of warnings kept for sharing; past it the table starts again (what was shared stays). */
const MAX_STANDING_LISTS = 1024;

/**
 * Warnings that stand as long as a configuration does (a connection that allows plain HTTP): raised when
 * they appear, not on every reconcile. Remembered in memory: a restarted or new leader raises them once more.
 */
export class StandingEvents {
  /** Per set (its uid, the cached object's own string), what it stands with; nothing for a set with none. */
  private readonly last = new Map<string, readonly string[]>();
  /** One copy of each list: every set of a connection stands with the same warnings. */
  private readonly lists = new Map<string, readonly string[]>();

  /** Remembers `now` as what `object` stands with and returns the events that are new to it. */
  fresh<E extends EventNote>(object: KubeObject, now: readonly E[]): E[] {
    const key = object.metadata.uid ?? `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    const raised = newEvents(this.last.get(key) ?? [], now);
    this.last.delete(key);
    if (now.length === 0) return raised;
    if (this.last.size >= MAX_STANDING) this.last.delete(this.last.keys().next().value ?? "");
    this.last.set(key, this.shared(now.map(noteKey)));
    return raised;
  }

  private shared(keys: string[]): readonly string[] {
    const joined = keys.join("\n");
    const known = this.lists.get(joined);
    if (known) return known;
    if (this.lists.size >= MAX_STANDING_LISTS) this.lists.clear();
    const list = Object.freeze(keys);
    this.lists.set(joined, list);
    return list;
  }
}

/**
 * The spam filter's key: source and object and the event's type, as client-go's getSpamKey
 * (tools/record/events_cache.go; `event.Type` joined the key in client-go for Kubernetes 1.32, commit
 * "Updating event spam key to allow recording of more unique events"), so Normal events never use up
 * the Warnings' budget. client-go also joins Source.Host, which we never set.
 */
export function spamKey(component: string, object: KubeObject, type: EventType): string {
  return [
    component,
    object.kind,
    object.metadata.namespace ?? "default",
    object.metadata.name,
    object.metadata.uid,
    object.apiVersion,
    type,
  ].join("/");
}

/** A token bucket per key, refilled continuously, as flowcontrol's token bucket rate limiter. */
export class SpamFilter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly now: () => number,
    private readonly burst = SPAM_BURST,
    private readonly refillMs = SPAM_REFILL_MS,
  ) {}

  /** Takes a token for `key`; false when none is left (the event is dropped). */
  tryAccept(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.refillMs);
    bucket.at = now;
    // Least recently used last: delete and set again so the oldest key is the first one evicted.
    this.buckets.delete(key);
    if (this.buckets.size >= MAX_TRACKED) this.buckets.delete(this.buckets.keys().next().value ?? "");
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly spam: SpamFilter;
  /** Events dropped by the spam filter or a full queue, for tests and metrics. */
  dropped = 0;
  private readonly queued: Array<() => Promise<unknown>> = [];
  private writing = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly http: KubeHttp,
    private readonly component: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    /** Known credential values are scrubbed from every note (issue 25, L3), before it is counted. */
    private readonly secrets?: Scrubber,
  ) {
    this.spam = new SpamFilter(() => this.now().getTime());
  }

  /**
   * Fire and forget: queued and written in turn by a few writers; an event that cannot be written is
   * logged, and one that finds the queue full is dropped; neither fails a reconcile.
   */
  record(object: KubeObject, type: EventType, reason: string, note: string): void {
    if (this.queued.length >= MAX_QUEUED_EVENTS) {
      this.dropped++;
      return;
    }
    this.queued.push(() =>
      this.write(object, type, reason, note).catch((error: unknown) =>
        this.logger.warn({ ...describeError(error), reason }, "could not record event"),
      ),
    );
    this.pump();
  }

  /** Resolves once every recorded event has been written or given up (shutdown, tests). */
  flushed(): Promise<void> {
    if (this.writing === 0 && this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.writing < EVENT_WRITERS) {
      const next = this.queued.shift();
      if (!next) break;
      this.writing++;
      void next().finally(() => {
        this.writing--;
        this.pump();
        if (this.writing === 0 && this.queued.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  /** Resolves to false when the spam filter dropped the event. */
  async write(object: KubeObject, type: EventType, reason: string, text: string): Promise<boolean> {
    const note = this.secrets ? this.secrets.scrub(text) : text;
    const namespace = object.metadata.namespace ?? "default";
    const key = `${object.metadata.uid}/${type}/${reason}/${note}`;
    const timestamp = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    // As client-go, the count goes up before the filter: a repeat that gets through carries every
    // occurrence, dropped ones included.
    let seen = this.seen.get(key);
    if (seen) seen.count++;
    else {
      // Unique without coordination (client-go uses UnixNano): events in the same millisecond, from either
      // replica, must not collide, or the 409 path would count one on another's Event.
      const name = `${object.metadata.name}.${this.now().getTime().toString(16)}${randomBytes(4).toString("hex")}`;
      seen = { name, count: 1, namespace, written: false };
      if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value ?? "");
      this.seen.set(key, seen);
    }
    if (!this.spam.tryAccept(spamKey(this.component, object, type))) {
      this.dropped++;
      return false;
    }
    if (seen.written) {
      try {
        await this.http.json(`/api/v1/namespaces/${namespace}/events/${seen.name}`, {
          method: "PATCH",
          contentType: "application/merge-patch+json",
          body: { count: seen.count, lastTimestamp: timestamp, message: note },
        });
        return true;
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.status !== 404) throw error;
        // Expired or deleted on the server: write it anew under the same name.
      }
    }
    await this.create(object, seen, type, reason, note, timestamp);
    seen.written = true;
    return true;
  }

  private async create(
    object: KubeObject,
    seen: Seen,
    type: EventType,
    reason: string,
    note: string,
    timestamp: string,
  ): Promise<void> {
    const namespace = seen.namespace;
    await this.http
      .json(`/api/v1/namespaces/${namespace}/events`, {
        method: "POST",
        body: {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: seen.name, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name: object.metadata.name,
            namespace,
            uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion,
          },
          reason,
          message: note,
          type,
          count: seen.count,
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          source: { component: this.component },
          reportingComponent: this.component,
        },
      })
      .catch(async (error: unknown) => {
        // A concurrent first occurrence created it already: count on it instead.
        if (!(error instanceof KubeApiError) || error.status !== 409) throw error;
        await this.http.json(`/api/v1/namespaces/${namespace}/events/${seen.name}`, {
          method: "PATCH",
          contentType: "application/merge-patch+json",
          body: { count: seen.count, lastTimestamp: timestamp },
        });
      });
  }
}
