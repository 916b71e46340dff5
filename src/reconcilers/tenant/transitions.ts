// Named status transitions of a TenantReplicaSet, composed by `recordTenant` for each step.
import type { DagStatus, TenantReplicaSetStatus } from "../../api/tenant-replica-set.js";
import type { DagDetail } from "../../providers/obshell/schemas.js";
import { awaitApproval, clearApproval, keepUsedApprovals, useApproval } from "../engine/approval-gate.js";
import type { RecordContext } from "../engine/kind.js";
import { clean, timestamp } from "../engine/status.js";
import type { OperationTarget, TenantStep } from "./decide.js";
import type { TenantObserved } from "./observe.js";

type Status = TenantReplicaSetStatus;

/** status.dag: the obshell DagDetailDTO in camelCase, without nodes. */
export function dagMirror(dag: DagDetail): DagStatus {
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

export function withObservation(s: Status, observed: TenantObserved | undefined): Status {
  if (observed?.kind === "tenant" && observed.tenant)
    return { ...s, zones: observed.tenant.replicas.map((r) => r.zone), replicas: observed.tenant.replicas };
  if (observed?.kind === "operation" && observed.dag) return { ...s, dag: dagMirror(observed.dag) };
  return s;
}

export function startOperation(
  s: Status,
  target: OperationTarget,
  zones: string[],
  now: Date,
  generation: number | undefined,
): Status {
  const { dag: _, ...rest } = s;
  return {
    ...rest,
    operation: {
      kind: "RemoveZones",
      zones,
      startedAt: timestamp(now),
      retries: 0,
      ...(generation === undefined ? {} : { generation }),
      endpoint: target.endpoint,
      ...(target.remote ? { remote: target.remote } : {}),
      tenant: target.tenant,
      ...(target.connectionRef ? { connectionRef: target.connectionRef } : {}),
      ...(target.credentialsSecretName
        ? {
            credentialsSecretName: target.credentialsSecretName,
            credentialsSecretKey: target.credentialsSecretKey,
          }
        : {}),
    },
  };
}

export function attachDag(s: Status, dag: DagDetail): Status {
  return {
    ...s,
    ...(s.operation ? { operation: { ...s.operation, dagId: dag.id } } : {}),
    dag: dagMirror(dag),
  };
}

export function countRetry(s: Status, attempt: number): Status {
  return s.operation ? { ...s, operation: { ...s.operation, retries: attempt } } : s;
}

/** obshell refused a RETRY or ROLLBACK of the DAG for good: remembered so that it is not asked again. */
export function refuseDagOperation(
  s: Status,
  refusal: { dagId: string; operator: "RETRY" | "ROLLBACK"; code: string },
  now: Date,
): Status {
  return s.operation
    ? { ...s, operation: { ...s.operation, refused: { ...refusal, at: timestamp(now) } } }
    : s;
}

export function clearOperation(s: Status): Status {
  const { operation: _, ...rest } = s;
  return rest;
}

export function recordTenant(
  status: Status,
  step: TenantStep,
  ctx: RecordContext<TenantObserved, unknown>,
): Status {
  let s = withObservation(status, ctx.observed);
  const used = keepUsedApprovals(s.usedApprovals, ctx.id);
  s = { ...s, usedApprovals: used };
  s = step.kind === "AwaitApproval" ? awaitApproval(s, step.approval) : clearApproval(s);
  switch (step.kind) {
    case "RemoveZones":
      s = startOperation(s, step.target, step.zones, ctx.now, ctx.id.generation);
      return step.approval
        ? { ...s, usedApprovals: useApproval(s.usedApprovals, step.approval, timestamp(ctx.now)) }
        : s;
    case "AdoptDag":
    case "DagStarted":
      return attachDag(s, step.dag);
    case "RetryDag":
      return countRetry(s, step.attempt);
    case "DagOperationRefused":
      return refuseDagOperation(s, { dagId: step.dagId, operator: step.operator, code: step.code }, ctx.now);
    case "EndOperation":
    case "DeleteRefused":
      return clearOperation(s);
    default:
      return s;
  }
}

export { awaitApproval, clearApproval };
