// Secrets in memory only when a set references them. Every Secret of the watched namespaces used to be
// cached with its data, and Helm release records (hundreds of 250 KB Secrets) drove the operator
// towards its memory limit, as they did cert-manager and Flux before they changed this. Now a
// metadata-only watch tells which Secrets exist and when they change; only referenced ones are read,
// with a GET, and kept with their data.
import type { Logger } from "pino";
import { isCredentialSecretType } from "../api/connection.js";
import { describeError } from "../observability/logger.js";
import { ExponentialBackoff } from "./backoff.js";
import type { InformerEvent } from "./informer.js";
import { KubeApiError, type KubeHttp } from "./kube-http.js";
import { type KubeObject, objectPath, type ResourceType, splitKey } from "./resource.js";

export const SECRET_TYPE: ResourceType = {
  group: "",
  version: "v1",
  plural: "secrets",
  kind: "Secret",
  namespaced: true,
};

/** What reconcilers read Secrets through: `get("namespace/name")`, the Secret with its data, if referenced. */
export interface SecretReader {
  get(key: string): KubeObject | undefined;
}

/** The metadata-only informers (one per namespace, seen as one). */
export interface SecretMetadata {
  get(key: string): KubeObject | undefined;
  on(handler: (event: InformerEvent<KubeObject>) => void): void;
  waitForSync(): Promise<void>;
  readonly hasSynced: boolean;
}

export class ReferencedSecrets implements SecretReader {
  private readonly loaded = new Map<string, KubeObject>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stale = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly handlers: ((key: string) => void)[] = [];
  private readonly backoff = new ExponentialBackoff(200, 30_000);
  private stopped = false;
  /** GETs issued, for tests and benchmarks. */
  reads = 0;

  constructor(
    private readonly http: KubeHttp,
    /** Every Secret of the watched namespaces, metadata only. */
    readonly metadata: SecretMetadata,
    /** Whether some set references `namespace/name` now. */
    private readonly isReferenced: (key: string) => boolean,
    private readonly logger?: Logger,
  ) {
    metadata.on((event) => {
      if (event.type === "resync") return;
      if (!this.isReferenced(event.key)) {
        this.loaded.delete(event.key);
        return;
      }
      if (event.type === "deleted") {
        this.loaded.delete(event.key);
        this.notify(event.key);
        return;
      }
      if (this.loaded.get(event.key)?.metadata.resourceVersion === event.object.metadata.resourceVersion)
        return;
      void this.refresh(event.key).then(() => this.notify(event.key));
    });
  }

  get(key: string): KubeObject | undefined {
    return this.loaded.get(key);
  }

  /** Called with the key of a referenced Secret that was created, changed or deleted (after it is read). */
  on(handler: (key: string) => void): void {
    this.handlers.push(handler);
  }

  /** How many Secrets are held with their data. */
  get size(): number {
    return this.loaded.size;
  }

  /** Whether every one of `keys` is held as the metadata watch last saw it (or known absent). */
  isCurrent(keys: readonly string[]): boolean {
    if (!this.metadata.hasSynced) return keys.length === 0;
    return keys.every((key) => {
      const meta = this.metadata.get(key);
      if (!meta) return !this.loaded.has(key);
      return this.loaded.get(key)?.metadata.resourceVersion === meta.metadata.resourceVersion;
    });
  }

  /** Reads whichever of `keys` exist and are not held yet: a set is reconciled only after this. */
  async ensure(keys: readonly string[]): Promise<void> {
    await this.metadata.waitForSync();
    await Promise.all(
      keys.map(async (key) => {
        if (this.isCurrent([key])) return;
        if (!this.metadata.get(key)) this.loaded.delete(key);
        else await this.refresh(key);
      }),
    );
  }

  /** Forgets Secrets no set references any more: of `candidates` (those a change may have released), or all. */
  prune(candidates?: Iterable<string>): void {
    for (const key of candidates ?? [...this.loaded.keys()])
      if (this.loaded.has(key) && !this.isReferenced(key)) this.loaded.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  private notify(key: string): void {
    for (const handler of this.handlers) handler(key);
  }

  /** One GET at a time per Secret; a change seen meanwhile reads it once more before resolving. */
  private refresh(key: string): Promise<void> {
    const running = this.inFlight.get(key);
    if (running) {
      this.stale.add(key);
      return running;
    }
    const reading = (async () => {
      do {
        this.stale.delete(key);
        await this.read(key);
      } while (this.stale.has(key) && !this.stopped);
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, reading);
    return reading;
  }

  private async read(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    this.reads++;
    try {
      const secret = await this.http.json<KubeObject>(objectPath(SECRET_TYPE, namespace, name));
      delete (secret.metadata as { managedFields?: unknown }).managedFields;
      // A Secret no connection may name (a ServiceAccount token, ...) is held without its values:
      // resolve refuses it by its type, and its values never sit in this process (issue 25, M2).
      if (!isCredentialSecretType((secret as { type?: unknown }).type)) {
        delete (secret as { data?: unknown }).data;
        delete (secret as { stringData?: unknown }).stringData;
      }
      secret.apiVersion ??= "v1";
      secret.kind ??= "Secret";
      if (this.isReferenced(key)) this.loaded.set(key, secret);
      this.backoff.forget(key);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) {
        this.loaded.delete(key);
        this.backoff.forget(key);
        return;
      }
      // What was held stays until a read succeeds; the owners are requeued then.
      if (this.stopped || this.retries.has(key)) return;
      const delay = this.backoff.next(key);
      this.logger?.warn(
        { ...describeError(error), secret: key, retryInMs: delay },
        "could not read Secret; retrying",
      );
      const timer = setTimeout(() => {
        this.retries.delete(key);
        if (this.isReferenced(key)) void this.refresh(key).then(() => this.notify(key));
      }, delay);
      timer.unref();
      this.retries.set(key, timer);
    }
  }
}
