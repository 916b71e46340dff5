// A kind is one module: everything kind-specific that the operator, `plan` and the fleet view need, behind
// one interface, so they iterate the KINDS list (src/reconcilers/kinds.ts) instead of naming kinds.
// Adding a kind is that list and one new folder.
import type { SetKindName } from "../../api/kinds.js";
import type { SetConnectionSpec } from "../../connections/resolve.js";
import type { Reconciler } from "../../controller/controller.js";
import type { KubeObject, ResourceType } from "../../controller/resource.js";
import type { ConnectOptions } from "../connect.js";
import type { FleetCache, LocateRemote } from "../fleet-view.js";
import type { Assessor, SetReconcilerDeps } from "./set-reconciler.js";

/** What a kind is built with: how to connect, where its peers are found, and its timings (tests shorten them). */
export interface KindContext {
  connect: ConnectOptions;
  /** The other sets of the fleet, indexed by group: the informer cache, or `plan`'s manifests and cluster. */
  fleet: FleetCache;
  /** Where a set's connection leads, read without Secrets: the peers' remotes (ownership). */
  locate: LocateRemote;
  /** Timings by the kind's `timingKey`: poll and retry intervals in ms. */
  timings?: Readonly<Record<string, Readonly<Record<string, number>> | undefined>>;
}

/** A kind built for one operator or one `plan` run: its engine, and the remote clients it holds. */
export interface KindRuntime {
  reconciler(deps: SetReconcilerDeps): Reconciler & Assessor;
  /** A set is gone: the client it held is released (closed when no set uses it). */
  release(key: string): void;
  close(): Promise<void>;
}

export interface KindModule {
  readonly kind: SetKindName;
  readonly type: ResourceType;
  /** Its controller's name (work queue, metrics): the lower-case kind, as controller-runtime names it. */
  readonly controller: string;
  /** The key of its timings in KindContext.timings. */
  readonly timingKey: string;
  /** What `plan` calls its targets. */
  readonly targetsNoun: string;
  /** The set as the connection resolver reads it; undefined when it does not parse. */
  connectionSpec(object: KubeObject): SetConnectionSpec | undefined;
  /** Secrets ("namespace/name") the set names beyond its connection (an operation in flight started with one). */
  startedSecrets(object: KubeObject): string[];
  /** The fleet groups the set acts in (ownership), through where its connection leads; [] when unknown. */
  fleetGroups(object: KubeObject, locate: LocateRemote): string[];
  /** `plan`'s target column: what the set acts on. */
  targetOf(object: KubeObject): string;
  create(context: KindContext): KindRuntime;
}
