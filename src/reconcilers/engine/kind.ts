// What a kind gives the generic set reconciler: its domain logic only (connect, observe, decide, record,
// act). Crossplane's ExternalConnecter/ExternalClient split is the model (docs/architecture.md).
import type { z } from "zod";
import type { Reason } from "../../api/reasons.js";
import type { ResourceType } from "../../controller/resource.js";
import type { SharedStatus } from "./status.js";
import type { CommonStep, Phase, StepEvent } from "./step.js";

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
export type Connection<C> =
  | {
      ok: true;
      client: C;
      /** Digest naming the credential (never the credential): shared health across sets. */
      credential: string;
    }
  | { ok: false; step: CommonStep };

export interface DecideInput<TSet, TStatus, TObs, TFleet> {
  set: TSet;
  status: TStatus | undefined;
  observed: TObs;
  /** What the other sets of the fleet claim (ownership). */
  fleet: TFleet;
  id: SetIdentity;
  now: Date;
}

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
}

export interface SetKind<
  TSet extends ParsedSet<unknown, TStatus>,
  TStatus extends SharedStatus,
  TConn,
  TObs,
  TFleet,
  TStep extends KindStep,
> {
  readonly kind: "TenantReplicaSet" | "RedisInstanceSet";
  /** kubectl short name, for the hints in messages. */
  readonly short: string;
  readonly type: ResourceType;
  readonly schema: z.ZodType<TSet>;
  readonly statusSchema: z.ZodType<TStatus>;

  pollIntervalMs(set: TSet): number;
  /** Endpoint and credentials: for an operation in flight, those it started with. */
  connect(set: TSet, id: SetIdentity): Promise<Connection<TConn>>;
  /** Reads the remote; a RemoteError means nothing may be decided from it. */
  observe(client: TConn, set: TSet, id: SetIdentity, now: Date): Promise<TObs>;
  fleet(set: TSet, id: SetIdentity): TFleet;
  /** Pure: the next step. */
  decide(input: DecideInput<TSet, TStatus, TObs, TFleet>): TStep | CommonStep;
  /** Pure: the status the step leaves, through named transitions (phase and conditions are the engine's). */
  record(status: TStatus, step: TStep | CommonStep, context: RecordContext<TObs, TSet>): TStatus;
  /** Recorded, then the remote is observed again (an operation ended or was found). */
  isBookkeeping(step: TStep | CommonStep): boolean;
  /** Sends a destructive call or operates a remote task: the intent is recorded first. */
  isAction(step: TStep | CommonStep): boolean;
  /** Just before the intent: re-check what the step targets (e.g. re-read each victim by id). */
  prepare?(client: TConn, set: TSet, step: TStep, id: SetIdentity, now: Date): Promise<TStep | CommonStep>;
  /** Sends the call; returns the step that records what came back (including an unknown outcome). */
  act(client: TConn, set: TSet, step: TStep, id: SetIdentity, now: Date): Promise<TStep | CommonStep>;
}
