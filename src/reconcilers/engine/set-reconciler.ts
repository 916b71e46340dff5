// The one reconciler both kinds run through: open -> connect -> observe -> decide -> (record intent ->
// act) -> record. Every branch has one shape: log, event, status, return. Backoff for failures is the work
// queue's (a thrown error); a requeue is only a decision's own "look again in N ms".
import type { Logger } from "pino";
import { durationMs, type RecordedRemote } from "../../api/common.js";
import { PAUSED_ANNOTATION } from "../../api/group.js";
import { describeIssues, parseCached } from "../../api/parse.js";
import { Reason } from "../../api/reasons.js";
import type { ReconcileRequest, ReconcileResult, Reconciler } from "../../controller/controller.js";
import { type EventRecorder, isTransition, StandingEvents } from "../../controller/events.js";
import { KubeApiError } from "../../controller/kube-http.js";
import { type KubeObject, objectKey } from "../../controller/resource.js";
import type { StatusWriter } from "../../controller/status-writer.js";
import type { OperatorMetrics } from "../../observability/metrics.js";
import { withCallSignal } from "../../providers/call-signal.js";
import { isEndpointRefused } from "../../providers/endpoint-policy.js";
import { AuthError, PermissionDeniedError, RemoteError } from "../../providers/errors.js";
import type { BudgetVerdict, DisruptionRequest } from "../budget.js";
import { budgetRemoteKey } from "../budget.js";
import type { DisruptionBudgets } from "../fleet-budgets.js";
import { endpointKey } from "../fleet-view.js";
import { describeRemote, recordedIdentity } from "../remote-identity.js";
import type { CredentialGate, CredentialHealth } from "./credential-health.js";
import { disruptionTime, refundBudget, spendBudget, type WithDisruptions } from "./disruptions.js";
import type { Connected, KindStep, ParsedSet, Remote, SetIdentity, SetKind } from "./kind.js";
import { nextPollDelayMs } from "./poll-schedule.js";
import { settled, withPendingPlan } from "./settle-gate.js";
import { clean, type SharedStatus, timestamp, withOutcome } from "./status.js";
import { type CommonStep, phaseOf, type StepEvent } from "./step.js";

/** Bookkeeping steps (an operation ended, a DAG found) lead to a fresh observation, at most this often per reconcile. */
/** After a stale decision (its intent hit a write conflict), how soon to decide again from the fresh object. */
const STALE_DECISION_RETRY_MS = 200;
const MAX_ROUNDS = 3;

export interface SetReconcilerDeps {
  cache: { get(key: string): KubeObject | undefined };
  status: StatusWriter;
  events: Pick<EventRecorder, "record">;
  credentials: CredentialHealth;
  metrics?: EngineMetrics;
  /** The fleet's FleetDisruptionBudgets; absent: no budget applies (a test of one set). */
  budgets?: DisruptionBudgets;
  now?: () => Date;
}

/** The domain metrics the engine reports (src/observability/metrics.ts). */
export type EngineMetrics = Pick<
  OperatorMetrics,
  | "recordConditions"
  | "destructiveOperationStarted"
  | "destructiveOperationFinished"
  | "authFailure"
  | "dcsInstanceResult"
>;

/** What `plan` and the controller both compute: the step, and what it was decided from. */
export interface Assessment<TStep, TObs, TSet = unknown, TConn = unknown> {
  step: TStep | CommonStep;
  observed?: TObs;
  /** About the connection (plain HTTP allowed, TLS verification off): recorded as Warning events. */
  warnings?: StepEvent[];
  /** The set as parsed, with its status as stored; absent when it does not parse. */
  set?: TSet;
  /** The connection the step was decided through: an action is sent through the same one. */
  connection?: Connected<TConn>;
  /** What the connection leads to, as identified this round: recorded in `status.remote`. */
  remote?: Remote;
}

/** What a reconciler offers `plan`: the same assessment, no status write and no action. */
export interface Assessor {
  assess(object: KubeObject, log?: Logger): Promise<Assessment<KindStep, unknown>>;
  /**
   * connect -> identify only: what the set's own connection leads to, as the controller records it in
   * `status.remote`; undefined when it cannot be told (paused, unparsable, no connection, a remote error).
   */
  identifyRemote(object: KubeObject): Promise<Remote | undefined>;
}

export class SetReconciler<
  TSet extends ParsedSet<unknown, TStatus>,
  TStatus extends SharedStatus,
  TConn,
  TObs,
  TFleet,
  TStep extends KindStep,
> implements Reconciler, Assessor
{
  private readonly now: () => Date;
  /** The connection warnings each set has raised, so they are raised on change only. */
  private readonly standing = new StandingEvents();

  constructor(
    readonly kind: SetKind<TSet, TStatus, TConn, TObs, TFleet, TStep>,
    private readonly deps: SetReconcilerDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(req: ReconcileRequest): Promise<ReconcileResult> {
    const object = this.deps.cache.get(req.key);
    // Gone, or being deleted: deleting a set never deletes anything remote.
    if (!object || object.metadata.deletionTimestamp) return {};
    const log = req.log.child({ kind: this.kind.kind, generation: object.metadata.generation });
    return withCallSignal(req.signal, () => this.run(object, log, req.signal));
  }

  private async run(object: KubeObject, log: Logger, signal: AbortSignal): Promise<ReconcileResult> {
    let current = object;
    try {
      return await this.rounds(current, log, signal, (o) => {
        current = o;
      });
    } catch (error) {
      if (error instanceof ObserveFailed) await this.recordObserveFailure(current, error, log);
      throw error;
    }
  }

  private async rounds(
    object: KubeObject,
    log: Logger,
    signal: AbortSignal,
    saved: (object: KubeObject) => void,
  ): Promise<ReconcileResult> {
    const id = identityOf(object);
    let current = object;
    for (let round = 1; ; round++) {
      signal.throwIfAborted();
      const assessment = await this.assess(current, log);
      const { step, observed, set, connection, remote } = assessment;
      // Known only when the connection was resolved; a warning already raised for this set is not raised again.
      if (assessment.warnings)
        for (const w of this.standing.fresh(current, assessment.warnings))
          this.deps.events.record(current, w.type, w.reason, w.message);
      if (set && this.kind.isBookkeeping(step) && round < MAX_ROUNDS) {
        current = await this.save(current, id, step, observed, log, set, undefined, remote);
        saved(current);
        continue;
      }
      if (!set || !connection || !remote || !this.kind.isAction(step)) {
        await this.save(current, id, step, observed, log, set, undefined, remote);
        return this.requeue(step, set, id);
      }
      // A set acts only on the remote its status already names, so that the other sets of its group have
      // seen it there (they read identities from status, never from a remote): a remote first learned, or
      // changed, this round is recorded first and acted on in the next round (when the kind says others
      // could contest it; a set alone with its objects acts at once, its intent recording the remote).
      if (
        remote.learned &&
        !identityRecorded(set.status as SharedStatus | undefined, remote) &&
        (this.kind.recordBeforeActing?.(set, id) ?? true)
      ) {
        const recordFirst: CommonStep = {
          kind: "Wait",
          reason: Reason.RemoteIdentified,
          message: `${remote.endpoint} leads to ${describeRemote(remote.identity)}: recorded before anything is acted on there`,
          requeueAfterMs: IDENTITY_RECORD_REQUEUE_MS,
        };
        await this.save(current, id, recordFirst, observed, log, set, undefined, remote);
        return this.requeue(recordFirst, set, id);
      }
      return this.execute(current, set, id, step as TStep, observed, connection, remote, log);
    }
  }

  /** open -> connect -> observe -> decide, for the controller and for `plan`. */
  async assess(object: KubeObject, log?: Logger): Promise<Assessment<TStep, TObs, TSet, TConn>> {
    const id = identityOf(object);
    const parsed = parseCached(this.kind.schema, object);
    if (!parsed.success)
      return {
        step: stallStep(Reason.InvalidSpec, `invalid ${this.kind.kind}: ${describeIssues(parsed.error)}`),
      };
    const paused = pausedStep(parsed.data, id);
    if (paused) return { step: paused, set: parsed.data };
    const set = this.withStoredStatus(object, parsed.data);
    const connection = await this.kind.connect(set, id);
    if (!connection.ok) return { step: connection.step, set };
    const now = this.now();
    const gate = await this.credentialGate(connection, now);
    if (!gate.ok)
      return {
        set,
        step: {
          kind: "Stall",
          reason: Reason.AuthenticationFailed,
          message: gate.message,
          requeueAfterMs: Math.max(1000, gate.retryAt - now.getTime()),
        },
      };
    const warnings = connection.warnings ?? [];
    let observed: TObs;
    let remote: Remote;
    try {
      // What the remote is comes before anything read from it: ownership and approvals key on it.
      const identified = this.kind.identify
        ? await this.kind.identify(connection.client, set, connection)
        : { identity: endpointKey(connection.endpoint) };
      if ("step" in identified) return { set, step: identified.step, warnings };
      this.prepareNextCredential(connection, identified.identity);
      remote = remoteOf(connection, identified.identity, identified.learned);
      observed = await this.kind.observe(connection.client, set, id, now);
      this.deps.credentials.recordSuccess(connection.credential);
    } catch (error) {
      return { set, step: this.remoteFailed(error, connection, now, log), warnings };
    }
    const fleet = this.kind.fleet(set, id, remote);
    const status = set.status as TStatus | undefined;
    const decided = this.kind.decide({ set, status, observed, fleet, id, now, remote });
    return {
      // The single decision point before any intent: a plan that removes anything waits until it has settled.
      // Then the fleet's budgets: a settled plan that does not fit waits, whole, for them to free.
      step: this.withinBudget(
        settled(decided, status?.pendingPlan, this.kind.settleTimeMs(set), now),
        id,
        remote,
        now,
      ),
      observed,
      warnings,
      set,
      connection,
      remote,
    };
  }

  async identifyRemote(object: KubeObject): Promise<Remote | undefined> {
    const id = identityOf(object);
    const parsed = this.kind.schema.safeParse(object);
    if (!parsed.success || pausedStep(parsed.data, id)) return undefined;
    const set = this.withStoredStatus(object, parsed.data);
    const connection = await this.kind.connect(set, id);
    if (!connection.ok) return undefined;
    if (!(await this.credentialGate(connection, this.now())).ok) return undefined;
    try {
      const identified = this.kind.identify
        ? await this.kind.identify(connection.client, set, connection)
        : { identity: endpointKey(connection.endpoint) };
      return "step" in identified ? undefined : remoteOf(connection, identified.identity, identified.learned);
    } catch (error) {
      if (error instanceof RemoteError || isEndpointRefused(error)) return undefined;
      throw error;
    }
  }

  /** Whether a request may be sent with the connection's credential now (its ids derived off the loop first). */
  private async credentialGate(
    connection: { credential: string; lockScope?: string },
    now: Date,
  ): Promise<CredentialGate> {
    const credentials = this.deps.credentials;
    await credentials.prepare?.(connection.credential, connection.lockScope);
    return credentials.mayAttempt(connection.credential, now, connection.lockScope);
  }

  /**
   * Once the remote is recorded, health keys on it (an OceanBase cluster): the credential that will then be
   * asked about is prepared now, in the background, so the first change after a set learned its remote
   * does not wait for its derivation (about 100 ms of scrypt on the thread pool: issue 29).
   */
  private prepareNextCredential(connection: Connected<TConn>, identity: string): void {
    const next = connection.credentialOnceRecorded?.(identity);
    if (next === undefined || next === connection.credential) return;
    this.deps.credentials.prepare?.(next, connection.lockScope)?.catch(() => undefined);
  }

  /** A destructive call: re-check, record the intent, send, record what came back. */
  private async execute(
    object: KubeObject,
    set: TSet,
    id: SetIdentity,
    planned: TStep,
    observed: TObs | undefined,
    connection: Connected<TConn>,
    remote: Remote,
    log: Logger,
  ): Promise<ReconcileResult> {
    // The connection of this round's assessment: the status it was made from is the one stored now (a
    // bookkeeping round that ended an operation was assessed again), so the step goes where it was decided.
    const client = connection.client;
    let step: TStep | CommonStep = planned;
    const now = this.now();
    try {
      if (this.kind.prepare) step = await this.kind.prepare(client, set, planned, id, now, remote);
    } catch (error) {
      step = this.remoteFailed(error, connection, now, log);
    }
    if (!this.kind.isAction(step)) {
      await this.save(object, id, step, observed, log, set, undefined, remote);
      return this.requeue(step, set, id);
    }
    const intent = step as TStep;
    const request = this.disruptionRequest(intent, id, remote);
    const budgets = this.deps.budgets;
    const write = () => this.writeIntent(object, set, id, intent, observed, log, request, remote);
    // Budget spent by one set is seen by the next: the last check and the intent's write run alone.
    // No budget limits it (none at all: today's behaviour): nothing to serialise.
    const written =
      budgets && request && budgets.limits(request) ? await budgets.exclusive(write) : await write();
    if (!("recorded" in written)) return written;
    const { recorded, startedAt } = written;
    const operation = this.kind.operations.started(intent);
    if (operation) this.deps.metrics?.destructiveOperationStarted(this.kind.kind, operation);
    let result: TStep | CommonStep;
    try {
      result = await this.kind.act(client, set, intent, id, this.now());
    } catch (error) {
      result = this.remoteFailed(error, connection, this.now(), log);
    }
    const refunded = request ? this.kind.disruptions.refunded(intent, result) : 0;
    const giveBack =
      request && refunded > 0
        ? (s: TStatus) =>
            refundBudget(s as TStatus & WithDisruptions, { unit: request.unit, startedAt }, refunded)
        : undefined;
    // No observation: the one this round made was taken before the call, and the intent's write already
    // recorded it. Given again, it would judge the call's own reply by a listing older than it; a reply
    // slower than a lost one is given up for would be settled as lost and the call sent again.
    await this.save(recorded, id, result, undefined, log, set, undefined, remote, giveBack);
    this.reportResult(intent, result);
    return this.requeue(result, set, id);
  }

  /**
   * Intent first: a crash or a lost reply after the call still leaves a trace to find the operation by.
   * The intent is written on the very object the decision was made from, or not at all: a conflict means
   * the cache was stale (another write, a lagging watch), so the decision is dropped and made again. The
   * disruption it starts is recorded in the same write, after the budgets were asked once more.
   */
  private async writeIntent(
    object: KubeObject,
    set: TSet,
    id: SetIdentity,
    intent: TStep,
    observed: TObs | undefined,
    log: Logger,
    request: DisruptionRequest | undefined,
    remote: Remote,
  ): Promise<{ recorded: KubeObject; startedAt: string } | ReconcileResult> {
    // Now, not when the decision began: the re-read before it may have taken a while, and the window of
    // what starts here must not begin before the call can be sent.
    const now = this.now();
    const refused = this.budgetRefusal(request, now);
    if (refused) {
      await this.save(object, id, refused, observed, log, set, undefined, remote);
      return this.requeue(refused, set, id);
    }
    const spend = request
      ? (s: TStatus) =>
          spendBudget(
            s as TStatus & WithDisruptions,
            { unit: request.unit, count: request.count, remote: request.remote },
            now,
          )
      : undefined;
    try {
      const recorded = await this.save(object, id, intent, observed, log, set, 1, remote, spend);
      return { recorded, startedAt: disruptionTime(now) };
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      log.debug({ step: intent.kind }, "status changed since the decision; deciding again");
      return { requeueAfterMs: STALE_DECISION_RETRY_MS };
    }
  }

  /** What an action would start, as the fleet's budgets count it; undefined when it starts nothing counted. */
  private disruptionRequest(
    step: TStep | CommonStep,
    id: SetIdentity,
    remote: Remote,
  ): DisruptionRequest | undefined {
    if (!this.kind.isAction(step)) return undefined;
    const counted = this.kind.disruptions.of(step);
    if (!counted) return undefined;
    return {
      ...counted,
      namespace: id.namespace,
      remote: budgetRemoteKey(remote),
    };
  }

  /** The step instead of the decided one when the fleet's budgets do not admit it (issue 26). */
  private budgetRefusal(request: DisruptionRequest | undefined, now: Date): CommonStep | undefined {
    const budgets = this.deps.budgets;
    if (!budgets || !request) return undefined;
    const verdict = budgets.admit(request, now);
    return verdict.ok ? undefined : budgetStep(verdict, now);
  }

  /** The decided step, or why the fleet's budgets hold it back: what `plan` shows too. */
  private withinBudget(
    step: TStep | CommonStep,
    id: SetIdentity,
    remote: Remote,
    now: Date,
  ): TStep | CommonStep {
    const refused = this.budgetRefusal(this.disruptionRequest(step, id, remote), now);
    if (!refused) return step;
    // The plan has settled; only the budget holds it. Its clock stays, so it runs when the window frees,
    // not a settle time after (a change to the plan still restarts the clock).
    return step.pendingPlan ? { ...refused, pendingPlan: step.pendingPlan } : refused;
  }

  /** What an action's reply says of its targets (a DCS batch: per instance, and the batch as a whole). */
  private reportResult(intent: TStep, result: TStep | CommonStep): void {
    const metrics = this.deps.metrics;
    const answered = metrics && this.kind.operations.answered?.(intent, result);
    if (!metrics || !answered) return;
    for (const r of answered.targets) metrics.dcsInstanceResult(r);
    metrics.destructiveOperationFinished(this.kind.kind, answered.operation, answered.outcome);
  }

  /** The set with its status as stored now (a bookkeeping round may just have changed it). */
  private withStoredStatus(object: KubeObject, set: TSet): TSet {
    const stored = this.storedStatus(object);
    return { ...set, status: stored.success ? stored.data : undefined } as TSet;
  }

  /** The status as stored in `object`, parsed once per version of it. */
  private storedStatus(object: KubeObject) {
    return parseCached(this.kind.statusSchema, object, (o: KubeObject) => o.status ?? {});
  }

  /** Nothing is decided from a failed read: auth failures are remembered per credential, the rest back off. */
  private remoteFailed(
    error: unknown,
    connection: { credential: string; lockScope?: string; endpoint: string; projectId?: string },
    now: Date,
    log?: Logger,
  ): CommonStep {
    if (isEndpointRefused(error))
      return { kind: "Stall", reason: Reason.EndpointRefused, message: (error as Error).message };
    if (!(error instanceof RemoteError)) throw error;
    if (error instanceof AuthError) {
      const gate = this.deps.credentials.recordFailure(
        connection.credential,
        now,
        connection.lockScope,
        error.message,
      );
      // Labelled by where the credential is used, never by the secret or a digest of it.
      this.deps.metrics?.authFailure(error.provider, {
        endpoint: connection.endpoint,
        ...(connection.projectId ? { projectId: connection.projectId } : {}),
        ...(connection.lockScope ? { accessKeyId: connection.lockScope.slice(0, 12) } : {}),
      });
      return {
        kind: "Stall",
        reason: Reason.AuthenticationFailed,
        message: error.message,
        requeueAfterMs: Math.max(1000, gate.retryAt - now.getTime()),
      };
    }
    // Only a person changing a policy ends it; the credential itself is fine, so nothing else is held.
    if (error instanceof PermissionDeniedError)
      return { kind: "Stall", reason: Reason.PermissionDenied, message: error.message };
    log?.debug({ err: error }, "remote failed");
    throw new ObserveFailed(error);
  }

  private requeue(step: TStep | CommonStep, set: TSet | undefined, id: SetIdentity): ReconcileResult {
    if (step.kind === "Paused" || !set) return {};
    const after =
      step.requeueAfterMs ??
      nextPollDelayMs(this.kind.pollIntervalMs(set), objectKey(id), this.now().getTime());
    return after > 0 ? { requeueAfterMs: after } : {};
  }

  private async save(
    object: KubeObject,
    id: SetIdentity,
    step: TStep | CommonStep,
    observed: TObs | undefined,
    log: Logger,
    set?: TSet,
    attempts?: number,
    remote?: Remote,
    budget?: (status: TStatus) => TStatus,
  ): Promise<KubeObject> {
    const phase = phaseOf(step);
    const now = this.now();
    let previousReason: string | undefined;
    let previousPhase: string | undefined;
    let previousStatus: unknown;
    let previousRemote: RecordedRemote | undefined;
    const written = await this.deps.status.update(
      this.kind.type,
      object,
      (current) => {
        const before = current.status as SharedStatus | undefined;
        previousStatus = current.status;
        previousPhase = before?.phase;
        previousReason = before?.conditions?.find((c) => c.type === "Ready")?.reason;
        previousRemote = before?.remote;
        const stored = this.storedStatus(current);
        // A stored status that does not parse is kept as it is (it may hold an intent); only conditions move.
        const recorded = stored.success
          ? withPendingPlan(this.kind.record(stored.data, step, { set, observed, id, now }), step)
          : ((current.status ?? {}) as TStatus);
        const identified = remote?.learned && stored.success ? withRemote(recorded, remote, now) : recorded;
        const base = stored.success && budget ? budget(identified) : identified;
        return clean(
          withOutcome(base, { phase, reason: step.reason, message: step.message }, id.generation, now),
        );
      },
      attempts,
    );
    this.deps.budgets?.written(written);
    // On change only (issue 21), measured against the status this write replaced: a repeat of the same
    // Stalled reason logs at debug and raises nothing, so it never spends the budget of a new reason's event.
    const changed = isTransition(
      { phase: previousPhase, reason: previousReason },
      { phase, reason: step.reason },
    );
    const level =
      phase === "Stalled" ? (changed ? "warn" : "debug") : this.kind.isAction(step) ? "info" : "debug";
    log[level]({ step: step.kind, reason: step.reason }, step.message);
    if (changed && phase === "Stalled") this.deps.events.record(object, "Warning", step.reason, step.message);
    if (changed && step.event)
      this.deps.events.record(object, step.event.type, step.event.reason, step.event.message);
    const learned = remote?.learned && remoteEvent(previousRemote, remote);
    if (learned) {
      log[learned.type === "Warning" ? "warn" : "info"]({ remote: remote.identity }, learned.message);
      this.deps.events.record(object, learned.type, learned.reason, learned.message);
    }
    const metrics = this.deps.metrics;
    if (metrics) {
      // Only for the object the cache still holds (issue 25, L4): a set deleted while this reconcile was in
      // flight had its series removed on the delete event; recording now would bring them back for good.
      const cached = this.deps.cache.get(objectKey({ namespace: id.namespace, name: id.name }));
      if (cached !== undefined && cached.metadata.uid === object.metadata.uid) {
        const conditions = (written.status as SharedStatus | undefined)?.conditions ?? [];
        metrics.recordConditions(this.kind.kind, id.namespace, id.name, conditions);
      }
      const ended = this.kind.operations.endedBy?.(step.reason, previousStatus);
      if (ended && previousReason !== step.reason)
        metrics.destructiveOperationFinished(this.kind.kind, ended.operation, ended.outcome);
    }
    return written;
  }

  /** The step a failed observation leaves in status before the error goes to the queue's backoff. */
  async recordObserveFailure(object: KubeObject, error: ObserveFailed, log: Logger): Promise<void> {
    const step: CommonStep = {
      kind: "Wait",
      reason: Reason.ObserveFailed,
      message: `${error.cause.message}; nothing is deleted until ${error.cause.provider} answers`,
      requeueAfterMs: 1,
    };
    await this.save(object, identityOf(object), step, undefined, log);
  }
}

/** A remote read failed: the status says so, the work queue retries with backoff. */
export class ObserveFailed extends Error {
  constructor(override readonly cause: RemoteError) {
    super(cause.message, { cause });
    this.name = "ObserveFailed";
  }
}

function remoteOf(
  connection: { endpoint: string; projectId?: string },
  identity: string,
  learned = false,
): Remote {
  return {
    endpoint: connection.endpoint,
    ...(connection.projectId ? { projectId: connection.projectId } : {}),
    identity,
    ...(learned ? { learned } : {}),
  };
}

/** A remote first learned or changed is recorded, then acted on in the next round: soon, not at the poll. */
const IDENTITY_RECORD_REQUEUE_MS = 1000;

/** Whether the status already names `remote`, learned through the same endpoint (normalised). */
function identityRecorded(status: SharedStatus | undefined, remote: Remote): boolean {
  return recordedIdentity(status?.remote, remote.endpoint) === remote.identity;
}

/** `status.remote` naming `remote`: unchanged (its time kept) while the identity and endpoint stay. */
function withRemote<S extends SharedStatus>(status: S, remote: Remote, now: Date): S {
  if (identityRecorded(status, remote)) return status;
  return {
    ...status,
    remote: { identity: remote.identity, endpoint: remote.endpoint, observedAt: timestamp(now) },
  };
}

/**
 * The event of a remote learned (Normal: first, or through a connection that now leads elsewhere) or found to
 * be another through the same endpoint (Warning: a DNS name or an agent address now answering for another
 * cluster); none while it stays.
 */
function remoteEvent(before: RecordedRemote | undefined, now: Remote): StepEvent | undefined {
  if (before?.identity === now.identity) return undefined;
  if (!before || endpointKey(before.endpoint) !== endpointKey(now.endpoint))
    return {
      type: "Normal",
      reason: Reason.RemoteIdentified,
      message: `${now.endpoint} leads to ${describeRemote(now.identity)}`,
    };
  return {
    type: "Warning",
    reason: Reason.RemoteIdentityChanged,
    message: `${now.endpoint} now leads to ${describeRemote(now.identity)}, not ${describeRemote(before.identity)} (learned through ${before.endpoint}): ownership and approvals follow ${describeRemote(now.identity)}`,
  };
}

export function identityOf(object: KubeObject): SetIdentity {
  return {
    namespace: object.metadata.namespace ?? "default",
    name: object.metadata.name,
    generation: object.metadata.generation,
    annotations: object.metadata.annotations ?? {},
  };
}

/** The step of a paused set: no remote call at all. One rule for the controller and `plan`. */
export function pausedStep(
  set: { spec: { paused: boolean } },
  id: Pick<SetIdentity, "annotations">,
): CommonStep | undefined {
  if (set.spec.paused)
    return { kind: "Paused", reason: Reason.Paused, message: "spec.paused: no remote call is made" };
  if (id.annotations[PAUSED_ANNOTATION] === "true")
    return {
      kind: "Paused",
      reason: Reason.Paused,
      message: `annotation ${PAUSED_ANNOTATION}: no remote call is made`,
    };
  return undefined;
}

/** A plan the budgets hold back: it waits until the window frees enough, or stalls when it never can. */
export function budgetStep(verdict: Exclude<BudgetVerdict, { ok: true }>, now: Date): CommonStep {
  if (verdict.reason === Reason.BudgetExhausted && verdict.freesAt)
    return {
      kind: "Wait",
      reason: verdict.reason,
      message: verdict.message,
      // Looked at again when the window frees, not polled.
      requeueAfterMs: Math.max(1000, verdict.freesAt.getTime() - now.getTime()),
      event: { type: "Normal", reason: verdict.reason, message: verdict.message },
    };
  return { kind: "Stall", reason: verdict.reason, message: verdict.message };
}

function stallStep(reason: CommonStep["reason"], message: string): CommonStep {
  return { kind: "Stall", reason, message };
}

export function pollMs(set: { spec: { pollInterval: string } }): number {
  return durationMs(set.spec.pollInterval);
}
