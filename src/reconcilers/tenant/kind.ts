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
import { type ConnectOptions, connectObshell } from "../connect.js";
import type { DestructiveOutcome, Remote, SetIdentity, SetKind } from "../engine/kind.js";
import type { CommonStep } from "../engine/step.js";
import {
  DEFAULT_TENANT_TIMING,
  decideTenant,
  type TenantFleet,
  type TenantStep,
  type TenantTiming,
} from "./decide.js";
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
  /** Other sets naming the same tenant on the same endpoint; none when the fleet is not indexed. */
  peers?: (set: TenantReplicaSet, id: SetIdentity, remote: Remote) => string[];
}

const ACTIONS = new Set<string>(["RemoveZones", "RetryDag", "RollbackDag"]);
/** The actions, as the destructive-operation metrics name them. */
const OPERATIONS: Partial<Record<string, DestructiveOperation>> = {
  RemoveZones: "remove_replicas",
  RetryDag: "retry_dag",
  RollbackDag: "rollback_dag",
};
/** Reasons that end a replica removal's DAG (counted once, when the condition takes them). */
const DAG_ENDS: Partial<Record<string, DestructiveOutcome>> = {
  DagSucceeded: "succeeded",
  DagFailed: "failed",
  DagRolledBack: "failed",
  DagCancelled: "failed",
};
const BOOKKEEPING = new Set<string>(["AdoptDag", "EndOperation"]);

export function tenantKind(options: TenantKindOptions): TenantKind {
  const timing = { ...DEFAULT_TENANT_TIMING, ...options.timing };
  return {
    kind: "TenantReplicaSet",
    short: "trs",
    type: TENANT_REPLICA_SET,
    schema: tenantReplicaSet,
    statusSchema: tenantReplicaSetStatus,
    pollIntervalMs: (set) => durationMs(set.spec.pollInterval),

    // An operation in flight is followed through the connection it started with, and only while that
    // still leads to the endpoint it started on.
    async connect(set, id) {
      const op = set.status?.operation;
      const holder = `${id.namespace}/${id.name}`;
      const base = { kind: "TenantReplicaSet" as const, namespace: id.namespace };
      if (!op?.endpoint) return connectObshell(options, options.pool, holder, { ...base, spec: set.spec });
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
      const connection = await connectObshell(options, options.pool, holder, { ...base, spec });
      if (connection.ok && connection.endpoint !== op.endpoint)
        return {
          ok: false,
          step: {
            kind: "Stall",
            reason: Reason.OperationTargetMoved,
            message: `the removal of ${op.zones.join(", ")} started on ${op.endpoint}; its connection now leads to ${connection.endpoint}, where it is not followed: finish or operate the DAG${op.dagId ? ` ${op.dagId}` : ""} there, then clear status.operation`,
          },
        };
      return connection;
    },

    observe: (client, set) => observeTenantSet(client, set.spec.tenant, set.status?.operation),
    fleet: (set, id, remote) => ({ peers: options.peers?.(actingOn(set), id, remote) ?? [] }),
    decide: (input) => decideTenant(input, timing),
    record: recordTenant,
    isBookkeeping: (step) => BOOKKEEPING.has(step.kind),
    isAction: (step) => ACTIONS.has(step.kind),
    operations: {
      started: (step) => OPERATIONS[step.kind],
      endedBy: (reason) => {
        const outcome = DAG_ENDS[reason];
        return outcome ? { operation: "remove_replicas", outcome } : undefined;
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
        case "RetryDag":
        case "RollbackDag": {
          // By policy only; the result shows on the next DAG poll.
          await client.operateDag(step.dagId, step.kind === "RetryDag" ? "RETRY" : "ROLLBACK");
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

/**
 * The set as ownership sees it: while an operation is in flight, the tenant it acts on is the operation's
 * (followed there until it ends), whatever the spec names now.
 */
export function actingOn(set: TenantReplicaSet): TenantReplicaSet {
  const tenant = set.status?.operation?.tenant;
  return tenant === undefined || tenant === set.spec.tenant ? set : { ...set, spec: { ...set.spec, tenant } };
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
