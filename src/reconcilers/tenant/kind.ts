// TenantReplicaSet's adapter to the generic set reconciler: obshell connect, observe, act; the decision
// and the status transitions are in decide.ts and transitions.ts.
import { durationMs } from "../../api/common.js";
import { GROUP, VERSION } from "../../api/group.js";
import type { DestructiveOperation } from "../../api/kinds.js";
import { Reason } from "../../api/reasons.js";
import {
  TENANT_REPLICA_SET_KIND,
  TENANT_REPLICA_SET_PLURAL,
  type TenantReplicaSet,
  type TenantReplicaSetStatus,
  tenantReplicaSet,
  tenantReplicaSetStatus,
} from "../../api/tenant-replica-set.js";
import type { ConnectionClients } from "../../connections/client-pool.js";
import type { ResourceType } from "../../controller/resource.js";
import { AuthError, BadRequestError, BusyError, NotFoundError, RemoteError } from "../../providers/errors.js";
import type { ObshellClient } from "../../providers/obshell/client.js";
import { DagOperationRefusedError } from "../../providers/obshell/errors.js";
import { type ConnectOptions, connectObshell } from "../connect.js";
import type { DestructiveOutcome, Remote, SetIdentity, SetKind } from "../engine/kind.js";
import type { CommonStep } from "../engine/step.js";
import { endpointKey } from "../fleet-view.js";
import { ClusterIdentities, describeRemote, recordedIdentity } from "../remote-identity.js";
import { addRefusal } from "./add-refusals.js";
import {
  DEFAULT_TENANT_TIMING,
  decideTenant,
  type TenantFleet,
  type TenantStep,
  type TenantTiming,
} from "./decide.js";
import type { TenantPeers } from "./fleet.js";
import { observeTenantSet, type TenantObserved } from "./observe.js";
import { recordTenant } from "./transitions.js";

export const TENANT_REPLICA_SET: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: TENANT_REPLICA_SET_PLURAL,
  kind: TENANT_REPLICA_SET_KIND,
  namespaced: true,
};

export type TenantKind = SetKind<
  TenantReplicaSet,
  TenantReplicaSetStatus,
  ObshellClient,
  TenantObserved,
  TenantFleet,
  TenantStep
>;

export interface TenantKindOptions extends ConnectOptions {
  pool: ConnectionClients<ObshellClient>;
  timing?: Partial<TenantTiming>;
  /** The clusters agents report, per client (remote-identity.ts); a fresh cache by default. */
  clusters?: ClusterIdentities;
  /** Other sets naming the same tenant on the same cluster, or maybe (unidentified); none when the fleet is not indexed. */
  peers?: (set: TenantReplicaSet, id: SetIdentity, remote: Remote) => TenantPeers;
  /** Whether another set names a tenant of this name, on any cluster; none when the fleet is not indexed. */
  namesakes?: (set: TenantReplicaSet, id: SetIdentity) => boolean;
}

/** The steps that change the tenant: the engine records their intent, `prepare` checks their cluster. */
const ACTIONS = new Set<string>(["RemoveZones", "AddZones", "RetryDag", "RollbackDag"]);
/** The actions, as the operation metrics name them. */
const OPERATIONS: Partial<Record<string, DestructiveOperation>> = {
  RemoveZones: "remove_replicas",
  AddZones: "add_replicas",
  RetryDag: "retry_dag",
  RollbackDag: "rollback_dag",
};
/** Reasons that end a replica removal's or addition's DAG (counted once, when the condition takes them). */
const DAG_ENDS: Partial<Record<string, DestructiveOutcome>> = {
  DagSucceeded: "succeeded",
  DagFailed: "failed",
  DagRolledBack: "failed",
  DagOperationRefused: "failed",
  DagCancelled: "failed",
};
const BOOKKEEPING = new Set<string>(["AdoptDag", "EndOperation"]);

export function tenantKind(options: TenantKindOptions): TenantKind {
  const timing = { ...DEFAULT_TENANT_TIMING, ...options.timing };
  const clusters = options.clusters ?? new ClusterIdentities();
  return {
    kind: "TenantReplicaSet",
    type: TENANT_REPLICA_SET,
    schema: tenantReplicaSet,
    statusSchema: tenantReplicaSetStatus,
    pollIntervalMs: (set) => durationMs(set.spec.pollInterval),
    settleTimeMs: (set) => durationMs(set.spec.policy.settleTime),

    // An operation in flight is followed through the connection it started with, and only while that
    // still leads to the cluster it started on (`identify`; one recorded before clusters were identified:
    // to the same endpoint, normalised).
    async connect(set, id) {
      const op = set.status?.operation;
      const holder = `${id.namespace}/${id.name}`;
      const base = { kind: "TenantReplicaSet" as const, namespace: id.namespace };
      // The cluster recorded for the endpoint, if any: credential health is per cluster once known.
      const clusterAt = (endpoint: string) => recordedIdentity(set.status?.remote, endpoint);
      if (!op?.endpoint)
        return connectObshell(options, options.pool, holder, { ...base, spec: set.spec }, clusterAt);
      const spec = op.connectionRef
        ? { connectionRef: op.connectionRef }
        : {
            obshell: {
              ...(set.spec.obshell ?? {
                allowInsecureHTTP: op.endpoint.startsWith("http:"),
                requestTimeout: "30s",
              }),
              endpoint: op.endpoint,
              credentialsSecretRef: {
                name: op.credentialsSecretName ?? set.spec.obshell?.credentialsSecretRef.name ?? "",
                key: op.credentialsSecretKey ?? "password",
              },
            },
          };
      const connection = await connectObshell(options, options.pool, holder, { ...base, spec }, clusterAt);
      if (connection.ok && !op.remote && endpointKey(connection.endpoint) !== endpointKey(op.endpoint))
        return {
          ok: false,
          step: {
            kind: "Stall",
            reason: Reason.OperationTargetMoved,
            message: `the ${op.kind === "AddZones" ? "addition" : "removal"} of ${op.zones.join(", ")} started on ${op.endpoint}; its connection now leads to ${connection.endpoint}, where it is not followed: finish or operate the DAG${op.dagId ? ` ${op.dagId}` : ""} there, then clear status.operation`,
          },
        };
      return connection;
    },

    // The cluster the agent belongs to: cached with the client, asked afresh while an operation is in
    // flight (it is followed only on the cluster it started on, whatever URL leads there now).
    async identify(client, set, connection) {
      const op = set.status?.operation;
      const identity = await clusters.identify(client, op !== undefined);
      if (op?.remote && identity !== op.remote)
        return {
          step: {
            kind: "Stall",
            reason: Reason.OperationTargetMoved,
            message: `the ${op.kind === "AddZones" ? "addition" : "removal"} of ${op.zones.join(", ")} started on ${describeRemote(op.remote)} (through ${op.endpoint}); ${connection.endpoint} now leads to ${describeRemote(identity)}, where it is not followed: finish or operate the DAG${op.dagId ? ` ${op.dagId}` : ""} on ${describeRemote(op.remote)}, then clear status.operation`,
          },
        };
      return { identity, learned: true };
    },

    // Another set naming a tenant of this name (anywhere) may be on this cluster through another URL and
    // knows this set's cluster only from its status: recorded before the set acts.
    recordBeforeActing: (set, id) => options.namesakes?.(actingOn(set), id) ?? false,
    observe: (client, set) => observeTenantSet(client, set),
    fleet: (set, id, remote) => options.peers?.(actingOn(set), id, remote) ?? { peers: [], unidentified: [] },

    // Every call that changes the tenant (a DELETE, an add's POST, a RETRY or ROLLBACK) goes only to the
    // cluster it was decided for: the agent is asked again just before.
    async prepare(client, _set, step, _id, _now, remote) {
      if (!ACTIONS.has(step.kind)) return step;
      const now = await clusters.identify(client, true);
      if (now === remote.identity) return step;
      return {
        kind: "Wait",
        reason: Reason.RemoteIdentityChanged,
        message: `${remote.endpoint} reported ${describeRemote(remote.identity)} when ${actionDescription(step)} was planned and now reports ${describeRemote(now)}: nothing was sent; deciding again`,
        requeueAfterMs: 1000,
      };
    },
    decide: (input) => decideTenant(input, timing),
    record: recordTenant,
    isBookkeeping: (step) => BOOKKEEPING.has(step.kind),
    isAction: (step) => ACTIONS.has(step.kind),
    operations: {
      started: (step) => OPERATIONS[step.kind],
      endedBy: (reason, previous) => {
        const outcome = DAG_ENDS[reason];
        if (!outcome) return undefined;
        // The status the step replaces still holds the operation that ended: its kind names the metric.
        const before = tenantReplicaSetStatus.safeParse(previous ?? {});
        const adding = before.success && before.data.operation?.kind === "AddZones";
        return { operation: adding ? "add_replicas" : "remove_replicas", outcome };
      },
    },

    disruptions: {
      of: (step) => (step.kind === "RemoveZones" ? { unit: "zones", count: step.zones.length } : undefined),
      // Refused before a DAG started, or obshell had nothing to remove: no zone was touched.
      refunded: (intent, result) =>
        intent.kind === "RemoveZones" &&
        (result.kind === "DeleteRefused" ||
          (result.kind === "EndOperation" && result.reason === Reason.NothingToRemove))
          ? intent.zones.length
          : 0,
    },

    async act(client, set, step): Promise<TenantStep | CommonStep> {
      switch (step.kind) {
        case "RemoveZones":
          return removeZones(client, step, timing);
        case "AddZones":
          return addZones(client, step, timing);
        case "RetryDag":
        case "RollbackDag": {
          // By policy only; the result shows on the next DAG poll.
          const operator = step.kind === "RetryDag" ? "RETRY" : "ROLLBACK";
          try {
            await client.operateDag(step.dagId, operator);
          } catch (error) {
            return dagOperationFailed(error, step.dagId, operator, timing);
          }
          const event = { type: "Warning" as const, reason: step.reason, message: step.message };
          return {
            kind: "Wait",
            reason: step.reason,
            message: step.message,
            requeueAfterMs: timing.dagPollMs,
            event,
          };
        }
        default:
          throw new Error(`${set.metadata.name}: ${step.kind} is not an action`);
      }
    },
  };
}

/** What an action would do to the tenant, for the message that says it was not sent. */
function actionDescription(step: TenantStep): string {
  switch (step.kind) {
    case "RemoveZones":
      return `the removal of ${step.zones.join(", ")}`;
    case "AddZones":
      return `the addition of ${step.zones.join(", ")}`;
    case "RetryDag":
      return `the RETRY of DAG ${step.dagId}`;
    case "RollbackDag":
      return `the ROLLBACK of DAG ${step.dagId}`;
    default:
      return `the ${step.kind}`;
  }
}

/**
 * The set as ownership sees it: while an operation is in flight, the tenant it acts on is the operation's
 * (followed there until it ends), whatever the spec names now.
 */
export function actingOn(set: TenantReplicaSet): TenantReplicaSet {
  const tenant = set.status?.operation?.tenant;
  return tenant === undefined || tenant === set.spec.tenant ? set : { ...set, spec: { ...set.spec, tenant } };
}

/**
 * A refused RETRY or ROLLBACK: for good (Task.Expired, Task.Dag.Operator.*) it is recorded and the set Stalls; while
 * another DAG holds the tenant it waits; anything else (transport, 5xx) goes to the engine, which observes again.
 */
function dagOperationFailed(
  error: unknown,
  dagId: string,
  operator: "RETRY" | "ROLLBACK",
  timing: TenantTiming,
): TenantStep {
  if (error instanceof DagOperationRefusedError)
    return {
      kind: "DagOperationRefused",
      reason: Reason.DagOperationRefused,
      phase: "Stalled",
      message: `${operator} of DAG ${dagId} refused for good: ${error.message}; it is not asked again: operate the DAG yourself (PASS releases it) or change the spec`,
      dagId,
      operator,
      code: error.remoteCode ?? "unknown",
    };
  if (error instanceof BusyError)
    return {
      kind: "Wait",
      reason: Reason.TenantBusy,
      message: `${operator} of DAG ${dagId} waits: ${error.message}`,
      requeueAfterMs: timing.busyRetryMs,
    };
  throw error;
}

async function removeZones(
  client: ObshellClient,
  step: Extract<TenantStep, { kind: "RemoveZones" }>,
  timing: TenantTiming,
): Promise<TenantStep> {
  const { tenant } = step.target;
  try {
    const result = await client.deleteReplicas(tenant, step.zones);
    if (result.kind === "nothing-to-do")
      return {
        kind: "EndOperation",
        reason: Reason.NothingToRemove,
        message: `obshell reports no replica of tenant ${tenant} in ${step.zones.join(", ")}`,
      };
    const dag = result.dag;
    const message = `DAG ${dag.id} removing ${step.zones.join(", ")} from tenant ${tenant}: stage ${dag.stage}/${dag.max_stage}`;
    return {
      kind: "DagStarted",
      reason: Reason.DagRunning,
      message,
      dag,
      requeueAfterMs: timing.dagPollMs,
      event: {
        type: "Normal",
        reason: Reason.DagStarted,
        message: `obshell DAG ${dag.id} removes ${step.zones.join(", ")} from tenant ${tenant}`,
      },
    };
  } catch (error) {
    // Refused before any DAG started: the intent is dropped.
    if (error instanceof BusyError)
      return {
        kind: "DeleteRefused",
        reason: Reason.TenantBusy,
        message: error.message,
        phase: "Reconciling",
        requeueAfterMs: timing.busyRetryMs,
      };
    if (error instanceof AuthError) throw error;
    if (error instanceof BadRequestError || error instanceof NotFoundError)
      return {
        kind: "DeleteRefused",
        reason: Reason.RemoteRefused,
        message: error.message,
        phase: "Stalled",
      };
    if (!(error instanceof RemoteError) && !(error instanceof Error)) throw error;
    // Unknown outcome (timeout, reset, 5xx, aborted): the intent stays; the next pass looks the DAG up.
    return {
      kind: "OutcomeUnknown",
      reason: Reason.DeleteOutcomeUnknown,
      message: `${error.message}; looking for the DAG before anything else`,
      requeueAfterMs: timing.dagPollMs,
    };
  }
}

/**
 * POST /api/v1/tenant/:name/replicas, exactly once per intent: the agent does not make it idempotent, so
 * any reply that is not a clear refusal keeps the intent and the next pass looks for the DAG first.
 */
async function addZones(
  client: ObshellClient,
  step: Extract<TenantStep, { kind: "AddZones" }>,
  timing: TenantTiming,
): Promise<TenantStep> {
  const { tenant } = step.target;
  const zones = step.zones.join(", ");
  try {
    const dag = await client.addReplicas(
      tenant,
      step.replicas.map((r) => ({
        name: r.zone,
        unit_config_name: r.unitConfigName,
        unit_num: r.unitNum,
        replica_type: r.type === "READONLY" ? "READONLY" : "FULL",
      })),
    );
    return {
      kind: "DagStarted",
      reason: Reason.DagRunning,
      message: `DAG ${dag.id} adding ${zones} to tenant ${tenant}: stage ${dag.stage}/${dag.max_stage}`,
      dag,
      requeueAfterMs: timing.dagPollMs,
      event: {
        type: "Normal",
        reason: Reason.DagStarted,
        message: `obshell DAG ${dag.id} adds ${zones} to tenant ${tenant}`,
      },
    };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    // A refusal before any DAG started (4xx, or the tenant lock): the intent is dropped.
    if (error instanceof BusyError || error instanceof BadRequestError || error instanceof NotFoundError) {
      const refusal = addRefusal(error.remoteCode);
      const replicas = step.replicas
        .map((r) => `${r.zone} (unit config ${r.unitConfigName} x${r.unitNum}, ${r.type})`)
        .join(", ");
      return {
        kind: "AddRefused",
        reason: refusal.reason,
        message: `obshell refused to add ${replicas} to tenant ${tenant}: ${error.message}`,
        phase: refusal.transient ? "Reconciling" : "Stalled",
        ...(refusal.transient ? { requeueAfterMs: timing.busyRetryMs } : {}),
      };
    }
    if (!(error instanceof RemoteError) && !(error instanceof Error)) throw error;
    // Unknown outcome (timeout, reset, 5xx, aborted): the intent stays; the next pass looks the DAG up.
    return {
      kind: "OutcomeUnknown",
      reason: Reason.AddOutcomeUnknown,
      message: `${error.message}; looking for the add's DAG before anything is sent again`,
      requeueAfterMs: timing.dagPollMs,
    };
  }
}
