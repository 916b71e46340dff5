// Runs informers, controllers, leader election and the health server, and shuts them down in order.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { OperatorMetrics } from "../observability/metrics.js";
import { Controller, type Reconciler } from "./controller.js";
import { EventRecorder } from "./events.js";
import { Informer, type InformerEvent } from "./informer.js";
import type { KubeAccess } from "./kube-access.js";
import { KubeHttp } from "./kube-http.js";
import { LeaderElector } from "./leader-election.js";
import { type KubeObject, objectKey, type ResourceType, splitKey } from "./resource.js";
import { ReferencedSecrets, SECRET_TYPE, type SecretReader } from "./secret-cache.js";
import { type Scrubber, StatusWriter } from "./status-writer.js";
import { ControllerWiring } from "./wiring.js";
import { WorkQueue } from "./work-queue.js";

export interface ManagerOptions {
  /** client-node's KubeConfig, or the lean access that `loadKubeAccess` reads from a kubeconfig. */
  kubeConfig: KubeConfig | KubeAccess;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Namespaces to watch; all when empty. */
  namespaces?: string[];
  /** Runs once this replica leads and the caches are synced, before any controller starts. */
  beforeControllers?: () => Promise<void>;
  /** The operator's own namespace: where ClusterDatabaseConnection Secrets and its Lease live. */
  operatorNamespace?: string | undefined;
  labelSelector?: string;
  leaderElection?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  watchTimeoutSeconds?: number;
  idleTimeoutMs?: number;
  resyncMs?: number;
  component?: string;
  /** Called once leadership is lost after it was held (the process should exit and restart). */
  onLeadershipLost?: () => void;
  /** Known credential values, scrubbed from every status and Event written. */
  secretValues?: Scrubber | undefined;
}

/** One informer per watched namespace, seen as one cache. */
export class NamespacedInformers<T extends KubeObject = KubeObject> {
  readonly byNamespace: Map<string, Informer<T>>;
  constructor(informers: Map<string, Informer<T>>) {
    this.byNamespace = informers;
  }
  private pick(namespace: string | undefined): Informer<T> | undefined {
    return this.byNamespace.get("") ?? this.byNamespace.get(namespace ?? "");
  }
  get(key: string): T | undefined {
    return this.pick(splitKey(key).namespace)?.get(key);
  }
  list(): T[] {
    return [...this.byNamespace.values()].flatMap((i) => i.list());
  }
  byIndex(name: string, value: string): T[] {
    return [...this.byNamespace.values()].flatMap((i) => i.byIndex(name, value));
  }
  /** The keys indexed under `value`, namespace by namespace, without building a list of objects. */
  *keysByIndex(name: string, value: string): Iterable<string> {
    for (const i of this.byNamespace.values()) yield* i.keysByIndex(name, value);
  }
  hasIndexed(name: string, value: string): boolean {
    for (const i of this.byNamespace.values()) if (i.hasIndexed(name, value)) return true;
    return false;
  }
  addIndex(name: string, fn: (o: T) => string[], unchanged?: (old: T, next: T) => boolean): void {
    for (const i of this.byNamespace.values()) i.addIndex(name, fn, unchanged);
  }
  on(handler: (event: InformerEvent<T>) => void): void {
    for (const i of this.byNamespace.values()) i.on(handler);
  }
  indexValues(name: string, key: string): readonly string[] {
    return this.pick(splitKey(key).namespace)?.indexValues(name, key) ?? [];
  }
  reindex(key: string): void {
    this.pick(splitKey(key).namespace)?.reindex(key);
  }
  get hasSynced(): boolean {
    return [...this.byNamespace.values()].every((i) => i.hasSynced);
  }
  async waitForSync(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.waitForSync()));
  }
}

/**
 * Objects of another kind that a controller's objects reference by name (a set's connection). They may be
 * created, changed or deleted in any order relative to the objects that name them: each change requeues
 * the objects that name it, re-indexes them and reads the Secrets it references first.
 */
export interface DependencySpec<T extends KubeObject> {
  /** The dependency's cache, from `informersFor`. */
  cache: NamespacedInformers;
  /** Keys of the objects in `cache` that `object` names; read from `object` alone. */
  refsOf(object: T): string[];
  /** Secrets ("namespace/name") the dependency keyed `key` references; read from it alone. */
  secretsOf?(key: string, dependency: KubeObject): string[];
}

export interface ControllerSpec<T extends KubeObject> {
  name: string;
  type: ResourceType;
  workers?: number;
  /** Secrets ("namespace/name") the object names itself: a change to one requeues it. */
  secretsOf?: (object: T) => string[];
  dependsOn?: DependencySpec<T>[];
  /**
   * Objects that share a value of `groupsOf` act on the same thing (a fleet group): when one joins or
   * leaves a group, by its own change or its dependency's, the rest of the old and the new group are
   * requeued. The index is kept on the controller's cache under `index`.
   */
  peers?: {
    index: string;
    groupsOf: (object: T) => string[];
    /** Groups only looked up, whose members are not requeued when one joins or leaves. */
    lookupOnly?: (group: string) => boolean;
  };
  /**
   * Whether `secretsOf`, every `refsOf` and `groupsOf` would answer for `next` what they answered for `old`
   * (an update that changed only what they do not read, such as most status writes): the object's index
   * values are kept and nothing is requeued for its dependencies or peers. Without it, every update
   * recomputes them.
   */
  sameIndexInputs?: (old: T, next: T) => boolean;
  reconciler: (ctx: ReconcileContext<T>) => Reconciler;
  /** The form the cache keeps of an object (InformerOptions.transform). */
  transform?: (object: T) => T;
  /** The work queue's per-key backoff for failed reconciles (default 5 ms doubling to 1000 s). */
  rateLimit?: { baseDelayMs: number; maxDelayMs: number };
  /** Called when an object leaves the cache (to release what it held). */
  onGone?: (key: string) => void;
  /** A deadline for one reconcile (see ControllerOptions). */
  reconcileTimeoutMs?: number;
}

export { SECRET_TYPE, type SecretReader };

export interface ReconcileContext<T extends KubeObject> {
  cache: NamespacedInformers<T>;
  /** The Secrets sets reference (`secretsOf`), with their data; others are not held. */
  secrets: SecretReader;
  http: KubeHttp;
  status: StatusWriter;
  events: EventRecorder;
  logger: Logger;
  metrics: OperatorMetrics;
  queue: WorkQueue;
}

export class Manager {
  readonly http: KubeHttp;
  readonly statusWriter: StatusWriter;
  readonly events: EventRecorder;
  private readonly informerSets: NamespacedInformers[] = [];
  private readonly controllers: {
    spec: ControllerSpec<KubeObject>;
    controller: Controller | undefined;
    queue: WorkQueue;
    cache: NamespacedInformers;
    /** What its objects depend on, and whom a change requeues. */
    wiring: ControllerWiring<KubeObject>;
  }[] = [];
  private secrets: ReferencedSecrets | undefined;
  private elector: LeaderElector | undefined;
  private started = false;
  private everLed = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: ManagerOptions) {
    this.http = new KubeHttp(options.kubeConfig, options.metrics.restClientObserver());
    this.statusWriter = new StatusWriter(
      this.http,
      { onStatusWrite: (resource, outcome) => options.metrics.statusWrites.inc({ resource, outcome }) },
      options.secretValues,
    );
    const component = options.component ?? "dbfleet-operator";
    this.events = new EventRecorder(this.http, component, options.logger, undefined, options.secretValues);
  }

  get ready(): boolean {
    return this.started && this.informerSets.every((s) => s.hasSynced);
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.started;
  }

  informersFor<T extends KubeObject>(
    type: ResourceType,
    options: { metadataOnly?: boolean; allLabels?: boolean; transform?: (object: T) => T } = {},
  ): NamespacedInformers<T> {
    const watched = this.options.namespaces?.length ? this.options.namespaces : [""];
    // Cluster-scoped kinds have one list; Secrets are also read in the operator's own namespace
    // (ClusterDatabaseConnection credentials live there).
    const namespaces = !type.namespaced
      ? [""]
      : type.kind === "Secret" && watched[0] !== "" && this.options.operatorNamespace
        ? [...new Set([...watched, this.options.operatorNamespace])]
        : watched;
    const map = new Map<string, Informer<T>>();
    for (const ns of namespaces) {
      map.set(
        ns,
        new Informer<T>(this.http, {
          type,
          namespace: ns || undefined,
          labelSelector: type.kind === "Secret" || options.allLabels ? undefined : this.options.labelSelector,
          ...(options.metadataOnly ? { metadataOnly: true } : {}),
          ...(options.transform ? { transform: options.transform } : {}),
          logger: this.options.logger,
          ...(this.options.watchTimeoutSeconds === undefined
            ? {}
            : { watchTimeoutSeconds: this.options.watchTimeoutSeconds }),
          ...(this.options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.options.idleTimeoutMs }),
          ...(this.options.resyncMs === undefined || type.kind === "Secret"
            ? {}
            : { resyncMs: this.options.resyncMs }),
          onWatchRestart: (reason) =>
            this.options.metrics.watchRestarts.inc({ resource: type.plural, reason }),
        }),
      );
    }
    const set = new NamespacedInformers<T>(map);
    this.informerSets.push(set as unknown as NamespacedInformers);
    return set;
  }

  addController<T extends KubeObject>(spec: ControllerSpec<T>): NamespacedInformers<T> {
    const cache = this.informersFor<T>(spec.type, spec.transform ? { transform: spec.transform } : {});
    const queue = new WorkQueue({
      observer: this.options.metrics.queueObserver(spec.name),
      ...spec.rateLimit,
      closed: true,
      // Namespaces take turns: one team's busy sets cannot starve another's.
      fairBy: (key) => splitKey(key).namespace ?? "",
    });
    this.options.metrics.observeUnfinishedWork(spec.name, queue);
    const readsSecrets = spec.secretsOf !== undefined || (spec.dependsOn ?? []).some((d) => d.secretsOf);
    const wiring = new ControllerWiring(
      spec,
      cache,
      queue,
      readsSecrets ? this.referencedSecrets() : undefined,
    );
    wiring.watch();

    const entry = {
      spec: spec as unknown as ControllerSpec<KubeObject>,
      controller: undefined as Controller | undefined,
      queue,
      cache: cache as unknown as NamespacedInformers,
      wiring: wiring as unknown as ControllerWiring<KubeObject>,
    };
    const manager = this;
    const ctx: ReconcileContext<T> = {
      cache,
      // Read lazily: a later controller may be the one that starts the Secret informer.
      get secrets() {
        return manager.secretsOrEmpty();
      },
      http: this.http,
      status: this.statusWriter,
      events: this.events,
      logger: this.options.logger,
      metrics: this.options.metrics,
      queue,
    };
    entry.controller = new Controller({
      name: spec.name,
      queue,
      reconciler: spec.reconciler(ctx),
      workers: spec.workers ?? 2,
      ...(spec.reconcileTimeoutMs === undefined ? {} : { reconcileTimeoutMs: spec.reconcileTimeoutMs }),
      logger: this.options.logger,
      observer: this.options.metrics.reconcileObserver(),
    });
    this.controllers.push(entry);
    return cache;
  }

  private secretsOrEmpty(): SecretReader {
    return this.secrets ?? { get: () => undefined };
  }

  /** The Secret cache, started with the first controller whose objects reference Secrets. */
  private referencedSecrets(): ReferencedSecrets {
    this.secrets ??= new ReferencedSecrets(
      this.http,
      this.informersFor(SECRET_TYPE, { metadataOnly: true }),
      (key) => this.controllers.some((c) => c.wiring.readsSecret(key)),
      this.options.logger,
    );
    return this.secrets;
  }

  /** The Secret cache, for tests and benchmarks (undefined until a controller references Secrets). */
  get secretCache(): ReferencedSecrets | undefined {
    return this.secrets;
  }

  /** Start informers now; controllers once this replica leads (at once without leader election). */
  async start(): Promise<void> {
    this.started = true;
    for (const set of this.informerSets) for (const informer of set.byNamespace.values()) informer.start();
    const startControllers = () => {
      this.everLed = true;
      void Promise.all(this.informerSets.map((s) => s.waitForSync()))
        .then(() => this.options.beforeControllers?.())
        .then(() => this.openQueues())
        .then(() => {
          if (this.stopping) return;
          for (const c of this.controllers) c.controller?.start();
        });
    };
    const le = this.options.leaderElection;
    if (!le) {
      startControllers();
      return;
    }
    this.elector = new LeaderElector(this.http, {
      ...le,
      logger: this.options.logger,
      metric: this.options.metrics.leaderMetric(),
      onStartedLeading: startControllers,
      onStoppedLeading: () => {
        for (const c of this.controllers) c.controller?.abortNow();
        if (this.everLed && !this.stopping) this.options.onLeadershipLost?.();
      },
    });
    this.elector.start();
  }

  /**
   * On leading: the Secrets every cached object reads are held, then each queue opens and takes every
   * cached key (events seen while standing by were dropped: the cache holds their outcome).
   */
  private async openQueues(): Promise<void> {
    for (const c of this.controllers) {
      if (this.secrets) {
        this.secrets.prune();
        await this.secrets.ensure([...new Set(c.cache.list().flatMap((o) => c.wiring.secretsOf(o)))]);
      }
      c.queue.open();
      for (const o of c.cache.list()) c.queue.add(objectKey(o.metadata));
    }
  }

  /**
   * SIGTERM path: stop taking work, let in-flight reconciles finish up to `deadlineMs`, release the lease, close.
   * Once: a second call (a second signal, an embedder's cleanup) waits for the first.
   */
  stop(deadlineMs = 10_000): Promise<void> {
    this.stopped ??= this.stopOnce(deadlineMs);
    return this.stopped;
  }

  private async stopOnce(deadlineMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(this.controllers.map((c) => c.controller?.stop(deadlineMs)));
    await this.elector?.stop();
    this.secrets?.stop();
    await Promise.all(this.informerSets.flatMap((s) => [...s.byNamespace.values()].map((i) => i.stop())));
    // The events the last reconciles recorded, for a moment: a stalled API server does not hold up exit.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.events.flushed(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.min(deadlineMs, 2000));
      }),
    ]);
    clearTimeout(timer);
    await this.http.close();
  }
}
