// The TenantReplicaSet decision: pure. From the spec, what obshell showed, the status and the fleet, the
// one next step; the controller executes it and `plan` prints it (docs/architecture.md, "Steps").
import type { ConnectionRef } from "../../api/connection.js";
import { Reason } from "../../api/reasons.js";
import type {
  TenantOperation,
  TenantReplicaSet,
  TenantReplicaSetStatus,
} from "../../api/tenant-replica-set.js";
import type { DagDetail } from "../../providers/obshell/schemas.js";
import { targetHash } from "../approval.js";
import { approvalGate } from "../engine/approval-gate.js";
import type { DecideInput, Remote } from "../engine/kind.js";
import { type CommonStep, type StepBase, stall, wait } from "../engine/step.js";
import type { AddRefusalReason } from "./add-refusals.js";
import { dagRunning, LOCALITY_NODE, SCALE_IN_DAG, SCALE_OUT_DAG, type TenantObserved } from "./observe.js";
import { planTenant, type ReplicaToAdd, replicaFor, replicaSetting, type TenantPlan } from "./plan.js";

/** Where an operation runs and through what: recorded with the intent, followed there until it ends. */
export interface OperationTarget {
  endpoint: string;
  /** The cluster (remote-identity.ts); absent in an operation recorded before clusters were identified. */
  remote?: string;
  tenant: string;
  /** The admin-owned connection it runs through; absent for an inline connection. */
  connectionRef?: ConnectionRef;
  /** With an inline connection: the Secret it started with. */
  credentialsSecretName?: string;
  credentialsSecretKey?: string;
}

export type TenantStep =
  | CommonStep
  /** Record the intent, then DELETE /api/v1/tenant/:name/replicas. */
  | (StepBase & {
      kind: "RemoveZones";
      reason: typeof Reason.RemovingZones;
      message: string;
      target: OperationTarget;
      zones: string[];
      /** The approval this operation uses up, when it needed one. */
      approval?: string;
    })
  /** Record the intent (with each replica's settings), then POST /api/v1/tenant/:name/replicas. */
  | (StepBase & {
      kind: "AddZones";
      reason: typeof Reason.AddingZones;
      message: string;
      target: OperationTarget;
      zones: string[];
      replicas: ReplicaToAdd[];
      /** The approval this operation uses up, when it needed one. */
      approval?: string;
    })
  /** The POST was refused before any DAG started: the intent is dropped; a person fixes it, or it is retried. */
  | (StepBase & {
      kind: "AddRefused";
      reason: AddRefusalReason;
      message: string;
      phase: "Reconciling" | "Stalled";
      requeueAfterMs?: number;
    })
  /** After a lost reply: the DAG proven to be the operation's own. */
  | (StepBase & { kind: "AdoptDag"; reason: typeof Reason.DagFound; message: string; dag: DagDetail })
  /** The operation is over (or never took effect): forget it and observe again. */
  | (StepBase & {
      kind: "EndOperation";
      reason:
        | typeof Reason.DagSucceeded
        | typeof Reason.IntentResolved
        | typeof Reason.NothingToRemove
        | typeof Reason.OperationAbandoned;
      message: string;
    })
  | (StepBase & {
      kind: "RetryDag";
      reason: typeof Reason.DagRetried;
      message: string;
      dagId: string;
      attempt: number;
    })
  | (StepBase & { kind: "RollbackDag"; reason: typeof Reason.DagRollingBack; message: string; dagId: string })
  /** obshell refused the RETRY or ROLLBACK for good (DagOperationRefusedError): recorded, never asked again. */
  | (StepBase & {
      kind: "DagOperationRefused";
      reason: typeof Reason.DagOperationRefused;
      message: string;
      phase: "Stalled";
      dagId: string;
      operator: "RETRY" | "ROLLBACK";
      code: string;
    })
  /** What the DELETE answered: the DAG that now runs. */
  | (StepBase & {
      kind: "DagStarted";
      reason: typeof Reason.DagRunning;
      message: string;
      dag: DagDetail;
      requeueAfterMs: number;
    })
  /** The DELETE was refused before anything started: the intent is dropped. */
  | (StepBase & {
      kind: "DeleteRefused";
      reason: typeof Reason.TenantBusy | typeof Reason.RemoteRefused;
      message: string;
      phase: "Reconciling" | "Stalled";
      requeueAfterMs?: number;
    })
  /** The DELETE's reply was lost: the intent stays; the next pass looks the DAG up first. */
  | (StepBase & {
      kind: "OutcomeUnknown";
      reason: typeof Reason.DeleteOutcomeUnknown | typeof Reason.AddOutcomeUnknown;
      message: string;
      requeueAfterMs: number;
    });

export interface TenantTiming {
  /** First DAG poll; it grows to 15 s as the DAG runs longer. */
  dagPollMs: number;
  /** After obshell said the tenant is under maintenance. */
  busyRetryMs: number;
}

export const DEFAULT_TENANT_TIMING: TenantTiming = { dagPollMs: 2000, busyRetryMs: 10_000 };

/** Short at first, backing off as the DAG runs longer (they take minutes to an hour per zone). */
export function dagPollMs(timing: TenantTiming, elapsedMs: number): number {
  if (elapsedMs < 30_000) return timing.dagPollMs;
  if (elapsedMs < 300_000) return Math.max(timing.dagPollMs, 5000);
  return Math.max(timing.dagPollMs, 15_000);
}

/** Other sets naming the same tenant on the same cluster (fleet rule: ownership). */
export interface TenantFleet {
  peers: string[];
  /** Other sets naming the same tenant whose cluster was never learned: it may be this one (tenant/fleet.ts). */
  unidentified?: string[];
}

/** How soon a set held by an unidentified peer looks again (the peer's own first reconcile identifies it). */
export const UNIDENTIFIED_RETRY_MS = 10_000;

/** The step of a set that may not touch its tenant while another set naming it may be on its cluster. */
function unidentifiedStep(fleet: TenantFleet, tenant: string, doing: string): CommonStep | undefined {
  const unknown = fleet.unidentified ?? [];
  if (unknown.length === 0) return undefined;
  return wait(
    Reason.RemoteUnidentified,
    `tenant ${tenant} is also named by ${unknown.join(", ")}, whose cluster was never learned (not reached since its connection last changed): it may be this one, so ${doing} waits until it is identified, repointed or deleted`,
    UNIDENTIFIED_RETRY_MS,
  );
}

type Input = DecideInput<TenantReplicaSet, TenantReplicaSetStatus, TenantObserved, TenantFleet>;

/** The target the spec names now, on the cluster its connection leads to. */
export function specTarget(
  set: TenantReplicaSet,
  remote: Pick<Remote, "endpoint" | "identity">,
): OperationTarget {
  const { connectionRef, obshell } = set.spec;
  return {
    endpoint: remote.endpoint,
    remote: remote.identity,
    tenant: set.spec.tenant,
    ...(connectionRef ? { connectionRef } : {}),
    ...(obshell && !connectionRef
      ? {
          credentialsSecretName: obshell.credentialsSecretRef.name,
          credentialsSecretKey: obshell.credentialsSecretRef.key,
        }
      : {}),
  };
}

/** The target an operation was started on; fields an older status lacks are the spec's. */
export function operationTarget(
  set: TenantReplicaSet,
  op: TenantOperation,
  remote: Pick<Remote, "endpoint" | "identity">,
): OperationTarget {
  const spec = specTarget(set, remote);
  return {
    endpoint: op.endpoint ?? spec.endpoint,
    ...(op.remote ? { remote: op.remote } : {}),
    tenant: op.tenant ?? spec.tenant,
    ...(op.connectionRef ? { connectionRef: op.connectionRef } : {}),
    ...(op.credentialsSecretName
      ? {
          credentialsSecretName: op.credentialsSecretName,
          credentialsSecretKey: op.credentialsSecretKey ?? "password",
        }
      : op.connectionRef
        ? {}
        : {
            credentialsSecretName: spec.credentialsSecretName,
            credentialsSecretKey: spec.credentialsSecretKey,
          }),
  };
}

/** Whether the spec still points where the operation runs: the same tenant, through the same connection. */
function sameTarget(set: TenantReplicaSet, target: OperationTarget): boolean {
  if (set.spec.tenant !== target.tenant) return false;
  const ref = set.spec.connectionRef;
  if (ref || target.connectionRef)
    return ref?.kind === target.connectionRef?.kind && ref?.name === target.connectionRef?.name;
  return set.spec.obshell?.endpoint === target.endpoint;
}

export function decideTenant(input: Input, timing: TenantTiming = DEFAULT_TENANT_TIMING): TenantStep {
  const op = input.status?.operation;
  if (op && input.observed.kind === "operation") return followOperation(input, op, input.observed, timing);
  // An operation in flight is only ever decided from its own observation, never planned over.
  if (op || input.observed.kind !== "tenant")
    return wait(Reason.ObserveFailed, "observation does not match the status; observing again", 1000);
  return planNext(input, input.observed, timing);
}

function followOperation(
  input: Input,
  op: TenantOperation,
  observed: Extract<TenantObserved, { kind: "operation" }>,
  timing: TenantTiming,
): TenantStep {
  const { set, now } = input;
  const target = operationTarget(set, op, input.remote);
  const zones = op.zones.join(", ");
  const adding = op.kind === "AddZones";
  const what = adding ? `addition of ${zones} to` : `removal of ${zones} from`;
  const elapsed = now.getTime() - Date.parse(op.startedAt);
  const dag = observed.dag;
  if (!dag) {
    const ours = (observed.candidates ?? []).filter((d) => provablyOurs(d, op));
    if (ours.length === 1 && ours[0]) {
      const message = `found DAG ${ours[0].id} of the interrupted ${what} tenant ${target.tenant}`;
      // An event, not only a passing condition: the next pass already says DagRunning.
      return {
        kind: "AdoptDag",
        reason: Reason.DagFound,
        message,
        dag: ours[0],
        event: { type: "Normal", reason: Reason.DagFound, message },
      };
    }
    const running = (observed.candidates ?? []).filter(dagRunning);
    if (running.length > 0)
      return wait(
        Reason.ForeignDag,
        `DAG ${running.map((d) => `${d.id} (${d.name}, started ${d.start_time})`).join(", ")} runs on tenant ${target.tenant} and cannot be proven to be the interrupted ${what} tenant ${target.tenant}; it is not operated, waiting for it to end`,
        dagPollMs(timing, elapsed),
      );
    return {
      kind: "EndOperation",
      reason: Reason.IntentResolved,
      message: `no DAG of the interrupted ${what} tenant ${target.tenant} is unfinished; observing the tenant again`,
    };
  }

  const where = adding
    ? `DAG ${dag.id} adding ${zones} to tenant ${target.tenant}`
    : `DAG ${dag.id} removing ${zones} from tenant ${target.tenant}`;
  const contested =
    input.fleet.peers.length > 0
      ? `tenant ${target.tenant} at ${target.endpoint} is also named by ${input.fleet.peers.join(", ")}`
      : undefined;
  // Following a DAG only reads it: a running DAG is polled to its end, contested or not.
  if (dagRunning(dag))
    return wait(
      Reason.DagRunning,
      `${where}: stage ${dag.stage}/${dag.max_stage} ${dag.state}${contested ? `; ${contested}: should it fail, it is held, not operated` : ""}`,
      dagPollMs(timing, elapsed),
    );
  const specChanged = op.generation !== undefined && op.generation !== input.id.generation;
  if (dag.state === "SUCCEED" && (dag.operator === "RUN" || dag.operator === "PASS"))
    return {
      kind: "EndOperation",
      reason: Reason.DagSucceeded,
      message: `${where}: ${dag.operator === "PASS" ? "passed by a person" : "succeeded"}`,
    };
  if (dag.operator === "ROLLBACK" || dag.operator === "CANCEL") {
    const how = dag.operator === "ROLLBACK" ? "rolled back" : "cancelled";
    if (specChanged)
      return {
        kind: "EndOperation",
        reason: Reason.OperationAbandoned,
        message: `${where}: ${how}; the spec changed since, planning again`,
      };
    return stall(
      dag.operator === "ROLLBACK" ? Reason.DagRolledBack : Reason.DagCancelled,
      `${where}: ended ${dag.state}/${dag.operator}, nothing was ${adding ? "added" : "removed"}; change the spec to plan again`,
    );
  }

  // FAILED + RUN/RETRY: retriable, rollbackable or passable — by policy, never PASS.
  const why = failureSummary(dag, observed.detail);
  // A contested tenant is touched by neither set, and RETRY or ROLLBACK is a touch: a platform team that
  // finds two sets naming one tenant expects nothing more to happen to it until one set owns it, so the
  // failed DAG is held for a person whatever the policy (ours or the peer's). Once the tenant has a single
  // owner again, that set's own policy applies to the DAG (issue 22).
  if (contested)
    return stall(
      Reason.OwnershipConflict,
      `${why}; ${contested}: the failed DAG is held (no RETRY or ROLLBACK) until one set owns the tenant; remove or repoint the other set(s), or operate the DAG yourself`,
    );
  // obshell refused the policy's operation for good (Task.Expired, Task.Dag.Operator.*): asking again would
  // only be refused again, so the DAG is held for a person, who can PASS it (the agent allows that even then).
  if (op.refused?.dagId === dag.id)
    return stall(
      Reason.DagOperationRefused,
      `${why}; obshell refused ${op.refused.operator} with ${op.refused.code} at ${op.refused.at}, so it is not asked again: operate the DAG yourself (PASS releases it) or change the spec`,
    );
  const policy = set.spec.policy;
  const stillWanted = adding ? stillToAdd(set, target, op) : stillToRemove(set, target, op.zones);
  const retry = policy.onDagFailure === "Retry" && op.retries < policy.maxDagRetries && stillWanted;
  // RETRY and ROLLBACK touch the tenant: not while a set naming it may be on this cluster unseen.
  const unseen = policy.dryRun
    ? undefined
    : unidentifiedStep(input.fleet, target.tenant, `operating DAG ${dag.id}`);
  if (unseen && (retry || policy.onDagFailure === "Rollback")) return unseen;
  // A dry run never operates a DAG either (it may be turned on while one is in flight): it shows the call
  // that would be made, as planning shows the removal; turning it off lets the policy act.
  if (policy.dryRun && (retry || policy.onDagFailure === "Rollback")) {
    const would = retry
      ? `RETRY ${op.retries + 1}/${policy.maxDagRetries} of DAG ${dag.id}`
      : `ROLLBACK of DAG ${dag.id}`;
    return {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would request ${would}; ${why}`,
      targets: op.zones,
      event: { type: "Normal", reason: Reason.DryRun, message: `dry run: would request ${would}` },
    };
  }
  if (retry)
    return {
      kind: "RetryDag",
      reason: Reason.DagRetried,
      message: `${why}; RETRY ${op.retries + 1}/${policy.maxDagRetries}`,
      dagId: dag.id,
      attempt: op.retries + 1,
    };
  if (policy.onDagFailure === "Rollback")
    return {
      kind: "RollbackDag",
      reason: Reason.DagRollingBack,
      message: `${why}; ROLLBACK requested`,
      dagId: dag.id,
    };
  const held = !stillWanted
    ? `the spec no longer ${adding ? "adds" : "removes"} ${zones} ${adding ? "to" : "from"} tenant ${target.tenant} at ${target.endpoint}${adding ? " with the same replica settings" : ""}, so it is not retried`
    : policy.onDagFailure === "Retry"
      ? `${op.retries} RETRYs used`
      : "policy.onDagFailure is Hold";
  // The scale-out DAG's first node (pool creation) cannot be PASSed (agent: its task sets no CanPass).
  const operate = adding
    ? `operate the DAG (RETRY or ROLLBACK; PASS is refused while it fails at "Create and attach resource pools")`
    : "operate the DAG (RETRY, ROLLBACK or PASS)";
  return stall(Reason.DagFailed, `${why}; ${held}: ${operate} or change the policy`);
}

/** RETRY only while the spec still removes every zone of the operation, on the same tenant and connection. */
function stillToRemove(set: TenantReplicaSet, target: OperationTarget, zones: readonly string[]): boolean {
  return sameTarget(set, target) && zones.every((z) => !set.spec.zones.includes(z));
}

/**
 * RETRY an add only while the spec still wants every zone of it, made of what the DAG makes, on the same
 * tenant and connection: a retried DAG would otherwise build replicas the spec no longer describes.
 */
function stillToAdd(set: TenantReplicaSet, target: OperationTarget, op: TenantOperation): boolean {
  if (!sameTarget(set, target) || !set.spec.replicaTemplate) return false;
  return (op.replicas ?? []).every(
    (r) =>
      set.spec.zones.includes(r.zone) &&
      replicaSetting(replicaFor(set.spec, r.zone, r.unitNum)) === replicaSetting(r),
  );
}

/**
 * A DAG is adopted after a lost reply only if it is provably the operation's: a replica removal (or, for
 * an add, a scale-out) on that tenant, started no earlier than the intent was written, with one locality
 * node per recorded zone (obshell's DagDetailDTO does not name the zones, so their number is what can be
 * checked).
 */
export function provablyOurs(dag: DagDetail, op: TenantOperation): boolean {
  if (dag.name !== (op.kind === "AddZones" ? SCALE_OUT_DAG : SCALE_IN_DAG)) return false;
  if (op.tenant !== undefined && dag.maintenance_key !== op.tenant) return false;
  const started = Date.parse(dag.start_time);
  if (Number.isNaN(started) || started < Date.parse(op.startedAt)) return false;
  const nodes = dag.nodes ?? [];
  return nodes.filter((n) => n.name === LOCALITY_NODE).length === op.zones.length;
}

function failureSummary(dag: DagDetail, detail: DagDetail | undefined): string {
  const failed = detail?.nodes?.find((n) => n.state === "FAILED");
  const logs = failed?.sub_tasks
    ?.flatMap((t) => t.task_logs ?? [])
    .slice(-3)
    .join(" | ");
  return `DAG ${dag.id} FAILED at stage ${dag.stage}/${dag.max_stage}${failed ? ` (${failed.name})` : ""}${logs ? `: ${logs.slice(0, 500)}` : ""}`;
}

function planNext(
  input: Input,
  observed: Extract<TenantObserved, { kind: "tenant" }>,
  timing: TenantTiming,
): TenantStep {
  const { set, id, fleet } = input;
  const target = specTarget(set, input.remote);
  const tenant = target.tenant;
  if (fleet.peers.length > 0)
    return stall(
      Reason.OwnershipConflict,
      `tenant ${tenant} at ${target.endpoint} is also named by ${fleet.peers.join(", ")}: none of them touches it until one set owns it`,
    );
  const plan = planTenant(set.spec, observed.tenant);
  const first = plan.blockers[0];
  if (first) return stall(first.reason, plan.blockers.map((b) => b.message).join("; "));
  if (plan.converged)
    return {
      kind: "Ready",
      reason: Reason.Converged,
      message: `tenant ${tenant} has replicas in exactly ${set.spec.zones.join(", ")}`,
    };
  // observe.ts leaves them unread only for a tenant it found converged; never decide without them.
  const unfinished = observed.unfinished;
  if (unfinished === undefined)
    throw new Error(`tenant ${tenant} is not converged and its unfinished DAGs were not read`);
  // Another DAG on the tenant (a person's, or one that outlived its record): never start a second one.
  const busy = unfinished.find(dagRunning);
  const change =
    plan.action === "add"
      ? `adding ${plan.toAdd.map((r) => r.zone).join(", ")}`
      : `removing ${plan.zonesToRemove.join(", ")}`;
  if (busy)
    return wait(
      Reason.TenantBusy,
      `DAG ${busy.id} (${busy.name}) is ${busy.state} on tenant ${tenant}; ${change} waits for it`,
      timing.dagPollMs,
    );
  if (plan.action === "add") return planAdd(input, plan, target, unfinished);
  // A dry run never deletes, so it never waits for an approval either: it shows the plan.
  if (set.spec.policy.dryRun)
    return {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would remove ${plan.nextOperation.join(", ")} (all to remove: ${plan.zonesToRemove.join(", ")})`,
      targets: plan.nextOperation,
      event: {
        type: "Normal",
        reason: Reason.DryRun,
        message: `dry run: would remove ${plan.nextOperation.join(", ")}`,
      },
    };
  const unidentified = unidentifiedStep(fleet, tenant, `removing ${plan.nextOperation.join(", ")}`);
  if (unidentified) return unidentified;
  const request = {
    hash: targetHash({
      kind: "RemoveZones",
      namespace: id.namespace,
      name: id.name,
      remote: input.remote.identity,
      scope: tenant,
      targets: plan.zonesToRemove,
    }),
    summary: plan.approval.summary,
    targets: plan.zonesToRemove,
  };
  const gate = approvalGate(plan.approval.required, request, id, "trs", input.status?.usedApprovals);
  if (!gate.run) return gate.step;
  return {
    kind: "RemoveZones",
    reason: Reason.RemovingZones,
    message: `removing ${plan.nextOperation.join(", ")} from tenant ${tenant}`,
    target,
    zones: plan.nextOperation,
    planned: { hash: request.hash, targets: request.targets },
    ...(gate.consumes ? { approval: gate.consumes } : {}),
  };
}

/**
 * The add side of the plan, after the blockers and the busy check: a failed DAG left on the tenant (a
 * scale-in nobody resolved) keeps adds off it; a dry run shows the add; the approval covers the action,
 * the exact zones and each replica's settings.
 */
function planAdd(
  input: Input,
  plan: TenantPlan,
  target: OperationTarget,
  unfinished: readonly DagDetail[],
): TenantStep {
  const { set, id } = input;
  const tenant = target.tenant;
  const failed = unfinished.find((d) => d.state === "FAILED");
  if (failed)
    return stall(
      Reason.UnresolvedDag,
      `DAG ${failed.id} (${failed.name}) FAILED on tenant ${tenant} and is unresolved; nothing is added until a person operates it (RETRY, ROLLBACK or CANCEL)`,
    );
  const zones = plan.nextAdd.map((r) => r.zone);
  const described = plan.nextAdd.map(describeReplica).join(", ");
  if (set.spec.policy.dryRun)
    return {
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would add ${described} (all to add: ${plan.toAdd.map((r) => r.zone).join(", ")})`,
      targets: zones.map((z) => `+${z}`),
      event: { type: "Normal", reason: Reason.DryRun, message: `dry run: would add ${described}` },
    };
  const request = {
    hash: targetHash({
      kind: "AddZones",
      namespace: id.namespace,
      name: id.name,
      remote: input.remote.identity,
      scope: tenant,
      targets: plan.toAdd.map((r) => r.zone),
      settings: plan.toAdd.map(replicaSetting),
    }),
    summary: plan.approval.summary,
    targets: plan.toAdd.map((r) => `+${r.zone}`),
  };
  const gate = approvalGate(plan.approval.required, request, id, "trs", input.status?.usedApprovals);
  if (!gate.run) return gate.step;
  return {
    kind: "AddZones",
    reason: Reason.AddingZones,
    message: `adding ${described} to tenant ${tenant}`,
    target,
    zones,
    replicas: plan.nextAdd,
    ...(gate.consumes ? { approval: gate.consumes } : {}),
  };
}

function describeReplica(r: ReplicaToAdd): string {
  return `${r.zone} (${r.type}, unit config ${r.unitConfigName} x${r.unitNum})`;
}
