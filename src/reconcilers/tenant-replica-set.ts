// TenantReplicaSet: observe the tenant through obshell, plan (pure), remove zones one DAG at a time,
// follow the DAG in status. Intent is written before the delete; after a crash the DAG is found again.
import type { Logger } from "pino";
import { durationMs } from "../api/common.js";
import { APPROVE_PLAN_ANNOTATION } from "../api/group.js";
import {
  type DagStatus,
  type TenantReplicaSet,
  type TenantReplicaSetStatus,
  tenantReplicaSet,
  tenantReplicaSetStatus,
} from "../api/tenant-replica-set.js";
import type { ReconcileResult, Reconciler } from "../controller/controller.js";
import type { ReconcileContext } from "../controller/manager.js";
import type { KubeObject } from "../controller/resource.js";
import { AuthError, BadRequestError, BusyError, NotFoundError, RemoteError } from "../providers/errors.js";
import { ObshellClient } from "../providers/obshell/client.js";
import type { DagDetail } from "../providers/obshell/schemas.js";
import { ClientCache, credentialKey } from "./client-cache.js";
import { readSecret } from "./credentials.js";
import { observeTenant } from "./observe-tenant.js";
import { type Outcome, saveStatus, timestamp } from "./outcome.js";
import { openSet, ReconcileLog } from "./reconcile-scope.js";
import { remoteFailure } from "./remote-failure.js";
import { clean, TENANT_REPLICA_SET } from "./resources.js";
import { planTenant } from "./tenant-plan.js";

export interface TenantReconcilerOptions {
  now?: () => Date;
  /** First DAG poll delay; it grows to 15 s as the DAG runs longer. */
  dagPollMs?: number;
  onRequest?: ConstructorParameters<typeof ObshellClient>[0]["onRequest"];
}

type Status = TenantReplicaSetStatus;
const CONTINUE = Symbol("continue");

function dagMirror(dag: DagDetail): DagStatus {
  const unset = (t: string) => (t.startsWith("0001-01-01") ? undefined : t);
  return clean({
    id: dag.id,
    dagId: dag.dag_id,
    name: dag.name,
    stage: dag.stage,
    maxStage: dag.max_stage,
    state: dag.state,
    operator: dag.operator,
    startTime: unset(dag.start_time),
    endTime: unset(dag.end_time),
  });
}

export class TenantReplicaSetReconciler implements Reconciler {
  readonly clients = new ClientCache<ObshellClient>();
  private readonly failures = new Map<string, number>();
  private readonly now: () => Date;
  private readonly logs: ReconcileLog;

  constructor(
    private readonly ctx: ReconcileContext<KubeObject>,
    private readonly options: TenantReconcilerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.logs = new ReconcileLog(ctx.logger);
  }

  reconcile(key: string, _signal?: AbortSignal, parentLog?: Logger): Promise<ReconcileResult | undefined> {
    const object = this.ctx.cache.get(key);
    const log = (parentLog ?? this.ctx.logger).child({
      kind: "TenantReplicaSet",
      generation: object?.metadata.generation,
    });
    return this.logs.run(log, () => this.reconcileSet(key, object));
  }

  private async reconcileSet(
    key: string,
    object: KubeObject | undefined,
  ): Promise<ReconcileResult | undefined> {
    const trs = await openSet(object, tenantReplicaSet, "TenantReplicaSet", (o, outcome) =>
      this.save(o, outcome),
    );
    if (!trs || !object) return undefined;
    const ns = object.metadata.namespace ?? "default";
    const ref = trs.spec.obshell.credentialsSecretRef;
    const secret = readSecret(this.ctx.secrets, ns, ref.name, [ref.key]);
    if (!secret.ok) {
      await this.save(object, { phase: "Stalled", reason: "CredentialsMissing", message: secret.message });
      return undefined;
    }
    const password = secret.values[ref.key] ?? "";
    const endpoint = trs.spec.obshell.endpoint;
    const client = this.clients.get(`${ns}/${endpoint}`, credentialKey(endpoint, password), () => {
      const tls = trs.spec.obshell.tls;
      return new ObshellClient({
        endpoint,
        password: () => password,
        timeoutMs: durationMs(trs.spec.obshell.requestTimeout),
        ...(tls ? { tls: { insecureSkipVerify: tls.insecureSkipVerify } } : {}),
        ...(this.options.onRequest ? { onRequest: this.options.onRequest } : {}),
      });
    });

    try {
      let current: KubeObject = object;
      if (trs.status?.operation) {
        const followed = await this.follow(current, trs, client);
        if (followed !== CONTINUE) return followed;
        current = this.ctx.cache.get(key) ?? current;
      }
      const result = await this.observeAndAct(current, trs, client, durationMs(trs.spec.pollInterval));
      this.failures.delete(key);
      return result;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      return this.remoteFailed(key, object, error);
    }
  }

  /** A remote failure while observing or following: nothing is deleted; try later with backoff. */
  private async remoteFailed(key: string, object: KubeObject, error: RemoteError): Promise<ReconcileResult> {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const failure = remoteFailure(error, n, "obshell");
    await this.save(object, failure.outcome);
    return { requeueAfterMs: failure.requeueAfterMs };
  }

  private async observeAndAct(
    object: KubeObject,
    trs: TenantReplicaSet,
    client: ObshellClient,
    poll: number,
  ): Promise<ReconcileResult> {
    const tenantName = trs.spec.tenant;
    // A spec this reconciler has not acted on probably means work: ask for the tenant's unfinished DAGs
    // at the same time as the tenant, instead of after it (one round trip less before a delete).
    const specChanged = trs.status?.observedGeneration !== object.metadata.generation;
    const unfinishedEarly = specChanged ? client.unfinishedDags() : undefined;
    unfinishedEarly?.catch(() => undefined);
    const observation = await observeTenant(client, tenantName);
    const observed = (s: Status): Status =>
      observation
        ? { ...s, zones: observation.replicas.map((r) => r.zone), replicas: observation.replicas }
        : s;
    const plan = planTenant(trs.spec, observation);

    if (plan.blockers.length > 0) {
      const first = plan.blockers[0];
      const message = plan.blockers.map((b) => b.message).join("; ");
      await this.save(object, { phase: "Stalled", reason: first?.reason ?? "Blocked", message }, observed);
      this.ctx.events.record(object, "Warning", first?.reason ?? "Blocked", message);
      return { requeueAfterMs: poll };
    }
    if (plan.converged) {
      await this.save(
        object,
        {
          phase: "Ready",
          reason: "Converged",
          message: `tenant ${tenantName} has replicas in exactly ${trs.spec.zones.join(", ")}`,
        },
        (s) => {
          const { pendingApproval: _, ...rest } = observed(s);
          return rest;
        },
      );
      return { requeueAfterMs: poll };
    }
    // Another DAG on the tenant (ours lost, or someone else's): never start a second one.
    const busy = (await (unfinishedEarly ?? client.unfinishedDags())).find(
      (d) =>
        d.maintenance_key === tenantName &&
        (d.state === "READY" || d.state === "RUNNING" || d.state === "PENDING"),
    );
    if (busy) {
      await this.save(
        object,
        {
          phase: "Reconciling",
          reason: "TenantBusy",
          message: `DAG ${busy.id} (${busy.name}) is running on tenant ${tenantName}`,
        },
        observed,
      );
      return { requeueAfterMs: this.dagPoll(0) };
    }
    if (
      plan.approval.required &&
      object.metadata.annotations?.[APPROVE_PLAN_ANNOTATION] !== plan.approval.hash
    ) {
      const message = `${plan.approval.summary}: approve with kubectl annotate trs ${object.metadata.name} ${APPROVE_PLAN_ANNOTATION}=${plan.approval.hash}`;
      await this.save(object, { phase: "Stalled", reason: "ApprovalRequired", message }, (s) => ({
        ...observed(s),
        pendingApproval: {
          hash: plan.approval.hash,
          summary: plan.approval.summary,
          targets: plan.zonesToRemove,
        },
      }));
      this.ctx.events.record(object, "Warning", "ApprovalRequired", message);
      return { requeueAfterMs: poll };
    }
    if (trs.spec.policy.dryRun) {
      const message = `dry run: would remove ${plan.nextOperation.join(", ")} (all to remove: ${plan.zonesToRemove.join(", ")})`;
      await this.save(object, { phase: "DryRun", reason: "DryRun", message }, observed);
      this.ctx.events.record(object, "Normal", "DryRun", message);
      return { requeueAfterMs: poll };
    }

    // Intent first: a crash after the call still leaves a trace to find the DAG by.
    const zones = plan.nextOperation;
    const intent = await this.save(
      object,
      {
        phase: "Reconciling",
        reason: "RemovingZones",
        message: `removing ${zones.join(", ")} from tenant ${tenantName}`,
      },
      (s) => {
        const { pendingApproval: _, dag: __, ...rest } = observed(s);
        return {
          ...rest,
          operation: {
            kind: "RemoveZones",
            zones,
            startedAt: timestamp(this.now()),
            retries: 0,
            generation: object.metadata.generation ?? 0,
          },
        };
      },
    );
    let result: Awaited<ReturnType<ObshellClient["deleteReplicas"]>>;
    try {
      this.logs.current.info({ tenant: tenantName, zones }, "removing replicas");
      result = await client.deleteReplicas(tenantName, zones);
    } catch (error) {
      if (error instanceof BusyError) {
        await this.save(intent, { phase: "Reconciling", reason: "TenantBusy", message: error.message }, (s) =>
          withoutOperation(s),
        );
        return { requeueAfterMs: 10_000 };
      }
      if (error instanceof BadRequestError || error instanceof AuthError || error instanceof NotFoundError) {
        await this.save(intent, { phase: "Stalled", reason: "RemoteRefused", message: error.message }, (s) =>
          withoutOperation(s),
        );
        this.ctx.events.record(object, "Warning", "RemoteRefused", error.message);
        return { requeueAfterMs: poll };
      }
      // Unknown outcome (timeout, reset, 5xx): keep the intent; the next pass looks the DAG up.
      await this.save(intent, {
        phase: "Reconciling",
        reason: "DeleteOutcomeUnknown",
        message: `${error instanceof Error ? error.message : String(error)}; looking for the DAG before anything else`,
      });
      return { requeueAfterMs: this.dagPoll(0) };
    }
    if (result.kind === "nothing-to-do") {
      await this.save(
        intent,
        {
          phase: "Reconciling",
          reason: "NothingToRemove",
          message: "obshell reports no replica in those zones",
        },
        (s) => withoutOperation(s),
      );
      return { requeueAfterMs: 0 };
    }
    const dag = result.dag;
    await this.save(
      intent,
      {
        phase: "Reconciling",
        reason: "DagRunning",
        message: `DAG ${dag.id} removing ${zones.join(", ")}: stage ${dag.stage}/${dag.max_stage}`,
      },
      (s) => ({
        ...s,
        ...(s.operation ? { operation: { ...s.operation, dagId: dag.id } } : {}),
        dag: dagMirror(dag),
      }),
    );
    this.ctx.events.record(
      object,
      "Normal",
      "DagStarted",
      `obshell DAG ${dag.id} removes ${zones.join(", ")} from tenant ${tenantName}`,
    );
    return { requeueAfterMs: this.dagPoll(0) };
  }

  /** Follows the operation in status; CONTINUE once it is over and the tenant should be observed again. */
  private async follow(
    object: KubeObject,
    trs: TenantReplicaSet,
    client: ObshellClient,
  ): Promise<ReconcileResult | typeof CONTINUE> {
    const op = trs.status?.operation;
    if (!op) return CONTINUE;
    const tenantName = trs.spec.tenant;
    let dagId = op.dagId;
    if (!dagId) {
      const found = (await client.unfinishedDags()).find(
        (d) => d.maintenance_type === 3 && d.maintenance_key === tenantName,
      );
      if (found) {
        dagId = found.id;
        await this.save(
          object,
          {
            phase: "Reconciling",
            reason: "DagFound",
            message: `found DAG ${found.id} of the interrupted operation`,
          },
          (s) => ({
            ...s,
            ...(s.operation ? { operation: { ...s.operation, dagId: found.id } } : {}),
            dag: dagMirror(found),
          }),
        );
      } else {
        // No DAG in flight: either it finished, or the delete never took effect. Observe and plan again.
        await this.save(object, undefined, (s) => withoutOperation(s));
        this.ctx.events.record(
          object,
          "Normal",
          "IntentResolved",
          "no DAG found for the interrupted operation; observing the tenant again",
        );
        return CONTINUE;
      }
    }
    const dag = await client.getDag(dagId);
    const elapsed = this.now().getTime() - Date.parse(op.startedAt);
    const heldSinceGeneration = op.generation !== undefined && op.generation !== object.metadata.generation;
    const mirror = (s: Status): Status => ({ ...s, dag: dagMirror(dag) });
    if (dag.state === "READY" || dag.state === "RUNNING" || dag.state === "PENDING") {
      await this.save(
        object,
        {
          phase: "Reconciling",
          reason: "DagRunning",
          message: `DAG ${dag.id} removing ${op.zones.join(", ")}: stage ${dag.stage}/${dag.max_stage} ${dag.state}`,
        },
        mirror,
      );
      return { requeueAfterMs: this.dagPoll(elapsed) };
    }
    if (dag.state === "SUCCEED" && (dag.operator === "RUN" || dag.operator === "PASS")) {
      await this.save(object, undefined, (s) => withoutOperation(mirror(s)));
      this.ctx.events.record(
        object,
        "Normal",
        "DagSucceeded",
        `obshell DAG ${dag.id} removed ${op.zones.join(", ")}`,
      );
      return CONTINUE;
    }
    if (dag.operator === "ROLLBACK" || dag.operator === "CANCEL") {
      if (heldSinceGeneration) {
        await this.save(object, undefined, (s) => withoutOperation(mirror(s)));
        return CONTINUE;
      }
      const message = `DAG ${dag.id} ended ${dag.state}/${dag.operator}; change the spec to plan again`;
      await this.save(
        object,
        { phase: "Stalled", reason: dag.operator === "ROLLBACK" ? "DagRolledBack" : "DagCancelled", message },
        mirror,
      );
      return {};
    }
    // FAILED + RUN: retriable, rollbackable or passable.
    const detail = await client.getDag(dag.id, true);
    const failedNode = detail.nodes?.find((n) => n.state === "FAILED");
    const logs = failedNode?.sub_tasks
      ?.flatMap((t) => t.task_logs ?? [])
      .slice(-3)
      .join(" | ");
    const why = `DAG ${dag.id} FAILED at stage ${dag.stage}/${dag.max_stage}${failedNode ? ` (${failedNode.name})` : ""}${logs ? `: ${logs}` : ""}`;
    const policy = trs.spec.policy;
    if (policy.onDagFailure === "Retry" && op.retries < policy.maxDagRetries) {
      await client.operateDag(dag.id, "RETRY");
      await this.save(
        object,
        {
          phase: "Reconciling",
          reason: "DagRetried",
          message: `${why}; RETRY ${op.retries + 1}/${policy.maxDagRetries}`,
        },
        (s) => ({
          ...mirror(s),
          ...(s.operation ? { operation: { ...s.operation, retries: op.retries + 1 } } : {}),
        }),
      );
      this.ctx.events.record(object, "Warning", "DagRetried", why);
      return { requeueAfterMs: this.dagPoll(0) };
    }
    if (policy.onDagFailure === "Rollback") {
      await client.operateDag(dag.id, "ROLLBACK");
      await this.save(
        object,
        { phase: "Reconciling", reason: "DagRollingBack", message: `${why}; ROLLBACK requested` },
        mirror,
      );
      this.ctx.events.record(object, "Warning", "DagRollingBack", why);
      return { requeueAfterMs: this.dagPoll(0) };
    }
    await this.save(
      object,
      {
        phase: "Stalled",
        reason: "DagFailed",
        message: `${why}; operate the DAG (RETRY, ROLLBACK or PASS) or set policy.onDagFailure`,
      },
      mirror,
    );
    this.ctx.events.record(object, "Warning", "DagFailed", why);
    return { requeueAfterMs: durationMs(trs.spec.pollInterval) };
  }

  /** Short at first, backing off as the DAG runs longer (they take minutes to an hour per zone). */
  private dagPoll(elapsedMs: number): number {
    const base = this.options.dagPollMs ?? 2000;
    if (elapsedMs < 30_000) return base;
    if (elapsedMs < 300_000) return Math.max(base, 5000);
    return Math.max(base, 15_000);
  }

  private save(
    object: KubeObject,
    outcome: Outcome | undefined,
    edit: (s: Status) => Status = (s) => s,
  ): Promise<KubeObject> {
    if (outcome)
      this.logs.current[outcome.phase === "Stalled" ? "warn" : "debug"](
        { phase: outcome.phase, reason: outcome.reason },
        outcome.message,
      );
    return saveStatus(
      this.ctx.status,
      TENANT_REPLICA_SET,
      tenantReplicaSetStatus,
      object,
      outcome,
      edit,
      this.now(),
    );
  }
}

function withoutOperation(s: Status): Status {
  const { operation: _, ...rest } = s;
  return rest;
}
