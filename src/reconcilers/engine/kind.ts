// What a kind gives the generic set reconciler: its domain logic only (connect, observe, decide, record,
// act). Crossplane's ExternalConnecter/ExternalClient split is the model (docs/architecture.md).
import type { z } from "zod";
import type { DisruptionUnit } from "../../api/fleet-disruption-budget.js";
import type { DestructiveOperation, SetKindName } from "../../api/kinds.js";
import type { Reason } from "../../api/reasons.js";
import type { ResourceType } from "../../controller/resource.js";
import type { PendingPlan } from "./settle-gate.js";
import type { SharedStatus } from "./status.js";
import type { CommonStep, Phase, PlannedTargets, StepEvent } from "./step.js";

/** The set being reconciled, as decide and record see it. */
export interface SetIdentity {
  namespace: string;
  name: string;
  /** metadata.generation the decision is made for. */
  generation: number | undefined;
  annotations: Readonly<Record<string, string>>;
}

export interface ParsedSet<Spec, Status> {
  metadata: { name: string; annotations?: Record<string, string> | undefined };
  spec: Spec & { paused: boolean; pollInterval: string };
  status?: Status | undefined;
}

/** A connection to the remote, or the step that says why there is none. */
export type Connection<C> = Connected<C> | { ok: false; step: CommonStep };

export interface Connected<C> {
  ok: true;
  client: C;
  /** Digest naming the credential (never the credential): shared health across sets. */
  credential: string;
  /** The endpoint the client speaks to, as resolved from the connection. */
  endpoint: string;
  /** The DCS project, as resolved from the connection. */
  projectId?: string;
  /** Digest of what a remote locks as a whole after bad requests (a DCS AK), when that differs. */
  lockScope?: string;
  /**
   * The `credential` this connection will have once the set's status records `identity` as its remote,
   * when health keys on the remote only then (an OceanBase cluster, learned on first use).
   */
  credentialOnceRecorded?(identity: string): string;
  /** Said about the connection on every reconcile (plain HTTP allowed, TLS verification off). */
  warnings?: StepEvent[];
}

export interface DecideInput<TSet, TStatus, TObs, TFleet> {
  set: TSet;
  status: TStatus | undefined;
  observed: TObs;
  /** What the other sets of the fleet claim (ownership). */
  fleet: TFleet;
  /** Where the connection leads: the endpoint the observation came from. */
  remote: Remote;
  id: SetIdentity;
  now: Date;
}

/** Where a set's connection leads. */
export interface Remote {
  endpoint: string;
  /** The DCS project. */
  projectId?: string;
  /**
   * What the remote is, whatever the URL's spelling (remote-identity.ts): `dcs|<project>`,
   * `obshell|<cluster>#<id>`, learned through this round's connection. Ownership, approvals, operation
   * binding and budgets key on it.
   */
  identity: string;
  /** The identity came from the remote (Identified.learned): recorded in `status.remote`. */
  learned?: boolean;
}

/**
 * What a connection leads to, or the step that says the set may go no further this round. `learned`: the
 * identity came from the remote, so the other sets know it only from this set's `status.remote`: the engine
 * records it there and acts on it only once recorded. Otherwise (a DCS project id) it is known from the
 * connection alone.
 */
export type Identified = { identity: string; learned?: boolean } | { step: CommonStep };

export interface RecordContext<TObs, TSet = unknown> {
  /** The parsed set the step was decided for; undefined when it did not parse. */
  set: TSet | undefined;
  observed: TObs | undefined;
  id: SetIdentity;
  now: Date;
}

export interface KindStep {
  kind: string;
  reason: Reason;
  message: string;
  event?: StepEvent;
  requeueAfterMs?: number;
  phase?: Phase;
  planned?: PlannedTargets;
  pendingPlan?: PendingPlan;
}

export interface SetKind<
  TSet extends ParsedSet<unknown, TStatus>,
  TStatus extends SharedStatus,
  TConn,
  TObs,
  TFleet,
  TStep extends KindStep,
> {
  readonly kind: SetKindName;
  readonly type: ResourceType;
  readonly schema: z.ZodType<TSet>;
  readonly statusSchema: z.ZodType<TStatus>;

  pollIntervalMs(set: TSet): number;
  /** spec.policy.settleTime: how long a destructive plan must stay the same before it runs (0: at once). */
  settleTimeMs(set: TSet): number;
  /** Endpoint and credentials: for an operation in flight, those it started with. */
  connect(set: TSet, id: SetIdentity): Promise<Connection<TConn>>;
  /**
   * What the remote is (Remote.identity), asked before it is observed: it may ask the remote (a RemoteError
   * means nothing is decided). A step instead: the connection no longer leads where the set's operation
   * runs. Without it, a remote is its normalised endpoint.
   */
  identify?(client: TConn, set: TSet, connection: Connected<TConn>): Promise<Identified>;
  /**
   * Whether a remote learned this round must be recorded before the set acts on it: when other sets could
   * be contesting the same objects and know this set's remote only from its status. Without it: always.
   */
  recordBeforeActing?(set: TSet, id: SetIdentity): boolean;
  /** Reads the remote; a RemoteError means nothing may be decided from it. */
  observe(client: TConn, set: TSet, id: SetIdentity, now: Date): Promise<TObs>;
  fleet(set: TSet, id: SetIdentity, remote: Remote): TFleet;
  /** Pure: the next step. */
  decide(input: DecideInput<TSet, TStatus, TObs, TFleet>): TStep | CommonStep;
  /** Pure: the status the step leaves, through named transitions (phase and conditions are the engine's). */
  record(status: TStatus, step: TStep | CommonStep, context: RecordContext<TObs, TSet>): TStatus;
  /** Recorded, then the remote is observed again (an operation ended or was found). */
  isBookkeeping(step: TStep | CommonStep): boolean;
  /** Sends a destructive call or operates a remote task: the intent is recorded first. */
  isAction(step: TStep | CommonStep): boolean;
  /** Just before the intent: re-check what the step targets (e.g. re-read each victim by id). */
  prepare?(
    client: TConn,
    set: TSet,
    step: TStep,
    id: SetIdentity,
    now: Date,
    remote: Remote,
  ): Promise<TStep | CommonStep>;
  /** How the destructive-operation metrics count this kind's actions. */
  readonly operations: OperationMetrics<TStep>;
  /** What the fleet's disruption budgets count of this kind's actions. */
  readonly disruptions: DisruptionCount<TStep>;
  /** Sends the call; returns the step that records what came back (including an unknown outcome). */
  act(client: TConn, set: TSet, step: TStep, id: SetIdentity, now: Date): Promise<TStep | CommonStep>;
}

/** How an operation ended: all targets gone, none, or some (a DCS batch with failures). */
export type DestructiveOutcome = "succeeded" | "failed" | "partial";

/** A kind's actions as the destructive-operation metrics count them. */
export interface OperationMetrics<TStep extends KindStep> {
  /** The metric's name for an action step about to be sent; undefined: not counted. */
  started(step: TStep): DestructiveOperation | undefined;
  /**
   * An operation that ends when the set takes `reason` (a DAG's end), counted once per transition;
   * `previous` is the status the step replaces (it still holds the operation that ended).
   */
  endedBy?(
    reason: string,
    previous?: unknown,
  ): { operation: DestructiveOperation; outcome: DestructiveOutcome } | undefined;
  /** What an action's reply says of its targets (a batch's per-target results). */
  answered?(
    intent: TStep,
    result: TStep | CommonStep,
  ):
    | { operation: DestructiveOperation; outcome: DestructiveOutcome; targets: ("success" | "failed")[] }
    | undefined;
}

/** A kind's actions as FleetDisruptionBudgets count them (issue 26). */
export interface DisruptionCount<TStep extends KindStep> {
  /** What an action about to be sent starts (zones removed, instances deleted); undefined: nothing (a RETRY). */
  of(step: TStep | CommonStep): { unit: DisruptionUnit; count: number } | undefined;
  /** Of the intent's count, how many its reply shows were certainly not acted on (refused): given back. */
  refunded(intent: TStep, result: TStep | CommonStep): number;
}
