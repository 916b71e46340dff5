// List-then-watch with the resilience client-node's informer lacks (docs/architecture.md "Kubernetes access"):
// "synced" only after a successful list; relist on 410 Gone with the differences emitted; reconnect
// with backoff on any drop; an inactivity timeout that restarts a watch that went silent; periodic resync.
import { createInterface, type Interface } from "node:readline";
import type { Logger } from "pino";
import { describeError } from "../observability/logger.js";
import { ExponentialBackoff } from "./backoff.js";
import type { KubeHttp } from "./kube-http.js";
import { collectionPath, type KubeObject, objectKey, type ResourceType } from "./resource.js";

export type InformerEvent<T extends KubeObject> =
  | { type: "added"; key: string; object: T }
  | { type: "updated"; key: string; object: T; old: T }
  | { type: "deleted"; key: string; object: T }
  | { type: "resync"; key: string; object: T };

export interface InformerOptions<T extends KubeObject = KubeObject> {
  type: ResourceType;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  /** Server-side watch timeout; the watch is then re-opened from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  /** No byte for this long (bookmarks included) and the watch is presumed dead and restarted. */
  idleTimeoutMs?: number;
  /** Every object is delivered again as "resync" this often; 0 disables. */
  resyncMs?: number;
  pageSize?: number;
  /**
   * Only metadata (PartialObjectMetadata): the cache then holds no data, as controller-runtime's
   * metadata-only informers. For Secrets, whose data can be large and is mostly not ours.
   */
  metadataOnly?: boolean;
  /**
   * The form kept in the cache and handed to handlers, made once per object version (controller-runtime's
   * cache TransformFunc): the set kinds keep their parse instead of the raw object (issue 29).
   */
  transform?: (object: T) => T;
  logger?: Logger;
  onWatchRestart?: (reason: "timeout" | "idle" | "error" | "gone") => void;
}

type WatchEvent = {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number };
};

class GoneError extends Error {}

/** An index: value -> keys, and per key the values it was added under. */
interface Index<T> {
  fn: (o: T) => string[];
  /** Whether `fn` would answer for `next` what it answered for `old` (then an update keeps the values). */
  unchanged: ((old: T, next: T) => boolean) | undefined;
  /**
   * Value -> the keys under it: one key as itself, more as a Set. Most values have one object (a set's own
   * scope or tenant group): a Set each was ~250 bytes per set at 10,000 sets (issue 29).
   */
  map: Map<string, string | Set<string>>;
  valuesOf: Map<string, string[]>;
}

/**
 * The string another key already holds for `value` (an equal text built anew for each object): the sets of
 * one connection or endpoint share one copy of its group rather than a copy each (issue 29).
 */
function sameValue<T>(index: Index<T>, keys: string | Set<string>, value: string): string {
  const holder = typeof keys === "string" ? keys : keys.values().next().value;
  return (holder === undefined ? undefined : index.valuesOf.get(holder)?.find((v) => v === value)) ?? value;
}

const EMPTY: ReadonlySet<string> = new Set();
const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const METADATA_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly handlers: ((event: InformerEvent<T>) => void)[] = [];
  private resourceVersion = "";
  private synced = false;
  private stopped = false;
  private watchAbort: AbortController | undefined;
  private watchLines: Interface | undefined;
  private watchBody: { destroy(): void } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncWaiters: (() => void)[] = [];
  private readonly backoff = new ExponentialBackoff(200, 30_000);
  private loop: Promise<void> | undefined;
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, events: 0, relistsOnGone: 0, idleRestarts: 0 };

  constructor(
    private readonly http: KubeHttp,
    private readonly options: InformerOptions<T>,
  ) {}

  on(handler: (event: InformerEvent<T>) => void): void {
    this.handlers.push(handler);
  }

  /**
   * Adding an index under a name already used replaces it. With `unchanged`, an update for which it holds
   * keeps the object's values without calling `fn` (a status write that touches nothing `fn` reads).
   */
  addIndex(name: string, fn: (object: T) => string[], unchanged?: (old: T, next: T) => boolean): void {
    const index: Index<T> = { fn, unchanged, map: new Map(), valuesOf: new Map() };
    for (const [key, obj] of this.cache) this.indexAdd(index, key, obj);
    this.indexes.set(name, index);
  }

  /** Whether some object is indexed under `value`, without building the list. */
  hasIndexed(name: string, value: string): boolean {
    return this.indexes.get(name)?.map.has(value) ?? false;
  }

  /** The values `key` is indexed under in index `name`, as computed when it was last (re)indexed. */
  indexValues(name: string, key: string): readonly string[] {
    return this.indexes.get(name)?.valuesOf.get(key) ?? [];
  }

  /**
   * Index `key` again. An index function may read other caches (a set's fleet group goes through its
   * connection): when those change, the object's values change although the object did not.
   */
  reindex(key: string): void {
    const obj = this.cache.get(key);
    if (!obj) return;
    for (const index of this.indexes.values()) {
      this.indexRemoveFrom(index, key);
      this.indexAdd(index, key, obj);
    }
  }

  byIndex(name: string, value: string): T[] {
    return [...this.keysByIndex(name, value)]
      .map((k) => this.cache.get(k))
      .filter((o): o is T => o !== undefined);
  }

  /** The keys indexed under `value`, without building a list of objects (the index's own set: do not change it). */
  keysByIndex(name: string, value: string): Iterable<string> {
    const keys = this.indexes.get(name)?.map.get(value);
    return keys === undefined ? EMPTY : typeof keys === "string" ? [keys] : keys;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    const resync = this.options.resyncMs ?? 0;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => {
        if (!this.synced) return;
        for (const [key, object] of this.cache) this.emit({ type: "resync", key, object });
      }, resync);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.watchAbort?.abort();
    // An abort after the reply started may not reach a pending line read: end the iteration directly.
    this.watchLines?.close();
    this.watchBody?.destroy();
    await this.loop;
  }

  private emit(event: InformerEvent<T>): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (error) {
        this.options.logger?.error({ err: error, key: event.key }, "informer handler threw");
      }
    }
  }

  private indexAdd(index: Index<T>, key: string, obj: T): void {
    const values = [...new Set(index.fn(obj))];
    for (const [i, value] of values.entries()) {
      const keys = index.map.get(value);
      if (keys === undefined) index.map.set(value, key);
      else {
        values[i] = sameValue(index, keys, value);
        if (typeof keys === "string") {
          if (keys !== key) index.map.set(value, new Set([keys, key]));
        } else keys.add(key);
      }
    }
    // Most sets are under no value of most indexes (no Secret of their own): nothing is kept for them.
    if (values.length > 0) index.valuesOf.set(key, values);
  }

  /** Removes `key` under the values it was added with (the function may answer differently now). */
  private indexRemoveFrom(index: Index<T>, key: string): void {
    for (const value of index.valuesOf.get(key) ?? []) {
      const keys = index.map.get(value);
      if (keys === key) index.map.delete(value);
      else if (typeof keys === "object") {
        keys.delete(key);
        // Back to one key: kept as itself again.
        if (keys.size === 1) index.map.set(value, keys.values().next().value as string);
        else if (keys.size === 0) index.map.delete(value);
      }
    }
    index.valuesOf.delete(key);
  }

  private indexRemove(key: string): void {
    for (const index of this.indexes.values()) this.indexRemoveFrom(index, key);
  }

  /** Caches `obj` (in its transformed form): the form kept, and the one it replaced. */
  private store(key: string, received: T): { stored: T; old: T | undefined } {
    let obj = received;
    // managedFields are server-side apply bookkeeping, often the largest part of an object: a cache of
    // thousands of sets does not keep them (controller-runtime's caches strip them the same way). A copy
    // without them rather than `delete`, which would leave V8 a slower and larger dictionary object.
    if ("managedFields" in obj.metadata) {
      const { managedFields: _dropped, ...metadata } = obj.metadata as typeof obj.metadata & {
        managedFields?: unknown;
      };
      obj.metadata = metadata;
    }
    if (this.options.transform) obj = this.options.transform(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    for (const index of this.indexes.values()) {
      if (old && index.unchanged?.(old, obj)) continue;
      if (old) this.indexRemoveFrom(index, key);
      this.indexAdd(index, key, obj);
    }
    return { stored: obj, old };
  }

  private remove(key: string): T | undefined {
    const old = this.cache.get(key);
    if (old) this.indexRemove(key);
    this.cache.delete(key);
    return old;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        // Stopped while listing: a watch opened now would outlive stop() until the server times it out.
        if (this.stopped) return;
        const reason = await this.watch();
        this.backoff.forget("watch");
        this.options.onWatchRestart?.(reason);
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof GoneError) {
          this.stats.relistsOnGone++;
          this.options.onWatchRestart?.("gone");
          needList = true;
          continue;
        }
        const delay = this.backoff.next("watch");
        // One line per try, no stack: an unreachable API server would otherwise print a trace per retry.
        this.options.logger?.warn(
          {
            ...describeError(error),
            resource: this.options.type.plural,
            ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
            retryInMs: delay,
          },
          "list/watch failed; retrying",
        );
        this.options.onWatchRestart?.("error");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private selectorQuery(): Record<string, string | undefined> {
    return { labelSelector: this.options.labelSelector };
  }

  /**
   * A full paged list; replaces the cache and emits only what changed. Each page is stored as it arrives,
   * not gathered first: a first list of 10,000 sets held every object as sent at once, and the heap V8
   * grew for that peak stayed committed (issue 29). Objects of later pages are still cached at their old
   * version meanwhile, and only a complete list removes what it did not see.
   */
  private async relist(): Promise<void> {
    const path = collectionPath(this.options.type, this.options.namespace);
    const apiVersion = this.options.type.group
      ? `${this.options.type.group}/${this.options.type.version}`
      : this.options.type.version;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.http.json<{
        metadata: { resourceVersion: string; continue?: string };
        items: T[] | null;
      }>(path, {
        query: { ...this.selectorQuery(), limit: this.options.pageSize ?? 500, continue: continueToken },
        ...(this.options.metadataOnly ? { accept: METADATA_LIST } : {}),
      });
      // A metadata-only list of nothing has `items: null`.
      for (const item of page.items ?? []) {
        item.apiVersion ??= apiVersion;
        item.kind ??= this.options.type.kind;
        const key = objectKey(item.metadata);
        seen.add(key);
        // The version cached already: nothing changed, nothing to transform again.
        if (this.cache.get(key)?.metadata.resourceVersion === item.metadata.resourceVersion) continue;
        const { stored, old } = this.store(key, item);
        if (!old) this.emit({ type: "added", key, object: stored });
        else this.emit({ type: "updated", key, object: stored, old });
      }
      resourceVersion = page.metadata.resourceVersion;
      continueToken = page.metadata.continue || undefined;
    } while (continueToken);
    this.stats.lists++;
    for (const key of [...this.cache.keys()]) {
      if (seen.has(key)) continue;
      const old = this.remove(key);
      if (old) this.emit({ type: "deleted", key, object: old });
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** One watch connection; resolves when it ends normally, throws GoneError on 410. */
  private async watch(): Promise<"timeout" | "idle"> {
    const abort = new AbortController();
    this.watchAbort = abort;
    if (this.stopped) abort.abort();
    const idleMs = this.options.idleTimeoutMs ?? ((this.options.watchTimeoutSeconds ?? 300) + 30) * 1000;
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        abort.abort();
        this.watchLines?.close();
        this.watchBody?.destroy();
      }, idleMs);
    };
    touch();
    this.stats.watches++;
    try {
      const res = await this.http.raw(collectionPath(this.options.type, this.options.namespace), {
        query: {
          ...this.selectorQuery(),
          watch: 1,
          allowWatchBookmarks: true,
          resourceVersion: this.resourceVersion,
          timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
        },
        signal: abort.signal,
        watch: { idleMs },
        ...(this.options.metadataOnly ? { accept: METADATA_WATCH } : {}),
      });
      // Kept for after the line iteration (which may just end); also keeps the abort in `finally` handled.
      let bodyError: unknown;
      res.body.on("error", (error) => {
        bodyError ??= error;
      });
      if (res.statusCode === 410) {
        await res.body.dump();
        throw new GoneError("410");
      }
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        throw new Error(`watch answered ${res.statusCode}: ${text.slice(0, 200)}`);
      }
      res.body.on("data", touch);
      const lines = createInterface({ input: res.body, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("error", () => {});
      this.watchLines = lines;
      this.watchBody = res.body;
      // However the body ends (server timeout, reset, abort by idle or stop), the line iteration ends with
      // it: a body torn down under a pending read does not always reach readline.
      res.body.once("close", () => lines.close());
      if (this.stopped || abort.signal.aborted) lines.close();
      for await (const line of lines) {
        if (line.trim() === "") continue;
        const event = JSON.parse(line) as WatchEvent;
        this.handleWatchEvent(event);
      }
      if (bodyError !== undefined) throw bodyError;
      return "timeout";
    } catch (error) {
      // undici's body timeout (the same idle span) may fire before our timer: both mean a silent watch.
      if (idle || (error as { code?: string }).code === "UND_ERR_BODY_TIMEOUT") {
        this.stats.idleRestarts++;
        return "idle";
      }
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
      abort.abort();
      this.watchLines = undefined;
      this.watchBody = undefined;
    }
  }

  private handleWatchEvent(event: WatchEvent): void {
    const object = event.object;
    if (event.type === "ERROR") {
      if (object.code === 410) throw new GoneError("410");
      throw new Error(`watch error event: ${JSON.stringify(object).slice(0, 200)}`);
    }
    if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return;
    this.stats.events++;
    const typed = object as T;
    const key = objectKey(typed.metadata);
    if (event.type === "DELETED") {
      const old = this.remove(key) ?? typed;
      this.emit({ type: "deleted", key, object: old });
      return;
    }
    const { stored, old } = this.store(key, typed);
    if (old) this.emit({ type: "updated", key, object: stored, old });
    else this.emit({ type: "added", key, object: stored });
  }
}
