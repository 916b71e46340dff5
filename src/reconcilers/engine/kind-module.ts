// A kind is one module: everything kind-specific that the operator, `plan` and the fleet view need, behind
// one interface, so they iterate the KINDS list (src/reconcilers/kinds.ts) instead of naming kinds.
// Adding a kind is that list and one new folder.

import type { ConnectionRef } from "../../api/connection.js";
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
  /** Where a set's connection leads, read without Secrets or remote calls: the peers' endpoints. */
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

/**
 * What `import` asks for: every set of one scope on one connection. Each kind reads the fields it knows
 * and refuses the others (ImportScopeError).
 */
export interface ImportScope {
  /** Objects named exactly (obshell: tenants); none means every one the remote lists. */
  names: readonly string[];
  /** One set per prefix (DCS: instance names). */
  namePrefixes: readonly string[];
  /** Tags every object of every set carries (DCS). */
  tags: Readonly<Record<string, string>>;
}

export interface ImportRequest {
  /** How to reach the remote: the resolver and endpoint policy `plan` and the operator use. */
  connect: ConnectOptions;
  /** Where the sets go; a DatabaseConnection lives there too. */
  namespace: string;
  /** The connection every set names (never inline). */
  connectionRef: ConnectionRef;
  scope: ImportScope;
  /** spec.pollInterval of every set; the kind's default when absent. */
  pollInterval?: string | undefined;
  /** Every deletion of an imported set needs an approval (policy.approvalThreshold: 0). */
  requireApproval: boolean;
}

/** One set `import` would write, or why the kind cannot declare what exists there now. */
export interface ImportedSet {
  /** What the set declares, in the remote's words (a tenant's name; a prefix and tags): its name comes from it. */
  nameHint: string;
  /** The set, metadata.name left for the caller; absent when refused. */
  object?: KubeObject;
  refused?: { reason: string; message: string };
}

export type ImportResult =
  | { ok: true; sets: ImportedSet[] }
  /** Nothing was read: the connection was refused or missing, or the remote failed. */
  | { ok: false; reason: string; message: string };

/** Why `import` refused a set before any plan (the plan's own reasons come from the Step). */
export const ImportReason = {
  /** The scope holds nothing: an empty set would delete whatever appears in it. */
  NothingInScope: "NothingInScope",
  /** Something in scope is being created, deleted or operated on: there is no stable "now" to declare. */
  Changing: "Changing",
  /** A set of that name exists in the cluster with another spec: applying would replace it. */
  NameTaken: "NameTaken",
  /** What exists does not fit the kind's schema (a name the set cannot hold). */
  InvalidSpec: "InvalidSpec",
} as const;

/** A scope the kind cannot import (a tenant list for DCS, a prefix for obshell): the caller's usage error. */
export class ImportScopeError extends Error {}

export interface KindModule {
  readonly kind: SetKindName;
  readonly type: ResourceType;
  /** Its controller's name (work queue, metrics): the lower-case kind, as controller-runtime names it. */
  readonly controller: string;
  /** The key of its timings in KindContext.timings. */
  readonly timingKey: string;
  /** What `plan` calls its targets. */
  readonly targetsNoun: string;
  /**
   * The form the operator's cache keeps of a set (`keepParsed` of the kind's schema): its parse, so that
   * 10,000 sets are held once, not raw and parsed (issue 29).
   */
  cacheForm(object: KubeObject): KubeObject;
  /** The set as the connection resolver reads it; undefined when it does not parse. */
  connectionSpec(object: KubeObject): SetConnectionSpec | undefined;
  /** Secrets ("namespace/name") the set names beyond its connection (an operation in flight started with one). */
  startedSecrets(object: KubeObject): string[];
  /** The fleet groups the set acts in (ownership), through where its connection leads; [] when unknown. */
  fleetGroups(object: KubeObject, locate: LocateRemote): string[];
  /**
   * The remote identity the set acts on, read from the object alone (no Secret, no remote call): its
   * operation's while one is in flight, else the one recorded for the connection it leads through now
   * (`status.remote`), or what the connection names (a DCS project id). Undefined: never identified.
   */
  remoteKey(object: KubeObject, locate: LocateRemote): string | undefined;
  /**
   * The part of the stored status that connectionSpec, startedSecrets and fleetGroups read (besides the
   * spec): a status write that leaves it as it was leaves the set's indexes as they were.
   */
  indexedStatus(object: KubeObject): unknown;
  /** A fleet group of this kind kept only to be looked up: joining it requeues nobody. */
  isLookupGroup?(group: string): boolean;
  /** `plan`'s target column: what the set acts on. */
  targetOf(object: KubeObject): string;
  create(context: KindContext): KindRuntime;
  /**
   * The sets that declare exactly what exists now in `request.scope`, read through the kind's own client
   * (`import`). Only generation: whether a set would change anything is the engine's assess, run after.
   * A set is refused here when there is no stable "now" to declare (an operation changing it).
   */
  importSets(request: ImportRequest): Promise<ImportResult>;
}
