import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import { decideTenant, type TenantStep } from "../../src/reconcilers/tenant/decide.js";
import type { TenantObserved } from "../../src/reconcilers/tenant/observe.js";
import {
  ago,
  dag,
  identity,
  NOW,
  OBSHELL,
  operation,
  type TenantSetOptions,
  tenantSeen,
  tenantSet,
} from "./sets.js";

/** The cluster the agent reports (remote-identity.ts). */
const CLUSTER = "obshell|ob1#1";

interface Input {
  set?: TenantSetOptions;
  status?: TenantReplicaSetStatus;
  observed: TenantObserved;
  peers?: string[];
  /** Other sets naming the tenant whose cluster is not yet known. */
  unidentified?: string[];
  /** The cluster the agent reports; CLUSTER by default. */
  cluster?: string;
  annotations?: Record<string, string>;
  generation?: number;
}

function decide(c: Input): TenantStep {
  const set = tenantSet({ ...c.set, ...(c.status ? { status: c.status } : {}) });
  return decideTenant({
    set,
    status: set.status,
    observed: c.observed,
    fleet: { peers: c.peers ?? [], ...(c.unidentified ? { unidentified: c.unidentified } : {}) },
    remote: { endpoint: set.spec.obshell?.endpoint ?? "", identity: c.cluster ?? CLUSTER },
    id: identity({
      ...(c.generation === undefined ? {} : { generation: c.generation }),
      ...(c.annotations ? { annotations: c.annotations } : {}),
    }),
    now: NOW,
  });
}

const tenant = (
  locality: string,
  o: Parameters<typeof tenantSeen>[1] = {},
  unfinished: DagDetail[] = [],
): TenantObserved => ({ kind: "tenant", tenant: tenantSeen(locality, o), unfinished });

const following = (
  d: DagDetail | undefined,
  candidates?: DagDetail[],
  detail?: DagDetail,
): TenantObserved => ({
  kind: "operation",
  dag: d,
  ...(candidates ? { candidates } : {}),
  ...(detail ? { detail } : {}),
});

/** The hash of the plan an AwaitApproval step asks for. */
function hashOf(c: Input): string {
  const step = decide(c);
  if (step.kind !== "AwaitApproval")
    throw new Error(`expected AwaitApproval, got ${step.kind}: ${step.message}`);
  return step.approval.hash;
}

// Removing two of four zones, one per operation: needs approval by default (more than the per-operation limit).
const large: Input = { set: { zones: ["z1", "z2"] }, observed: tenant("FULL@z1,FULL@z2,FULL@z3,FULL@z4") };
const largeHash = hashOf(large);

interface Want {
  kind: TenantStep["kind"];
  reason: Reason;
  zones?: string[] | undefined;
  dagId?: string | undefined;
  attempt?: number | undefined;
  approval?: string | undefined;
  targets?: string[] | undefined;
  requeueAfterMs?: number | undefined;
  message?: RegExp;
}

interface Case extends Input {
  reason: string;
  want: Want;
}

function project(step: TenantStep, want: Want): Want {
  const got: Want = { kind: step.kind, reason: step.reason };
  if ("zones" in want) got.zones = "zones" in step ? step.zones : undefined;
  if ("dagId" in want) got.dagId = "dagId" in step ? step.dagId : "dag" in step ? step.dag.id : undefined;
  if ("attempt" in want) got.attempt = "attempt" in step ? step.attempt : undefined;
  if ("approval" in want)
    got.approval = "approval" in step && typeof step.approval === "string" ? step.approval : undefined;
  if ("targets" in want) got.targets = "targets" in step ? step.targets : undefined;
  if ("requeueAfterMs" in want) got.requeueAfterMs = step.requeueAfterMs;
  if (want.message) {
    expect(step.message).toMatch(want.message);
    got.message = want.message;
  }
  return got;
}

const failed = (o: Partial<DagDetail> = {}) => dag({ state: "FAILED", operator: "RUN", stage: 1, ...o });

const cases: Case[] = [
  // --- planning: no operation in flight ---
  {
    reason: "replicas in exactly the desired zones: Ready",
    observed: tenant("FULL@z1,FULL@z2"),
    want: { kind: "Ready", reason: Reason.Converged },
  },
  {
    reason: "obshell does not know the tenant",
    observed: { kind: "tenant", tenant: undefined, unfinished: [] },
    want: { kind: "Stall", reason: Reason.TenantNotFound },
  },
  {
    reason: "a desired zone holds no replica: nothing is removed",
    set: { zones: ["z1", "z9"] },
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "Stall", reason: Reason.DesiredZoneMissing, message: /z9/ },
  },
  {
    reason: "a tenant that is not NORMAL is never operated",
    set: { zones: ["z1", "z2"] },
    observed: tenant("FULL@z1,FULL@z2,FULL@z3", { status: "LOCKED" }),
    want: { kind: "Stall", reason: Reason.TenantNotNormal, message: /LOCKED/ },
  },
  {
    reason: "only READONLY replicas would be left: no Paxos majority",
    set: { zones: ["z3"] },
    observed: tenant("FULL@z1,FULL@z2,READONLY@z3"),
    want: { kind: "Stall", reason: Reason.PaxosMajority },
  },
  {
    reason: "one FULL replica of three would be left: no Paxos majority",
    set: { zones: ["z1"] },
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "Stall", reason: Reason.PaxosMajority },
  },
  {
    reason: "the zone to remove is the first priority of primary_zone",
    observed: tenant("FULL@z1,FULL@z2,FULL@z3", { primaryZone: "z3;z1,z2" }),
    want: { kind: "Stall", reason: Reason.PrimaryZoneNeeded, message: /z3/ },
  },
  {
    reason: "a ;-separated primary_zone: a zone of its second priority may go",
    observed: tenant("FULL@z1,FULL@z2,FULL@z3", { primaryZone: "z1,z2;z3" }),
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z3"], approval: undefined },
  },
  {
    reason: "a ;-separated primary_zone with spaces: its first level still protects the zone",
    observed: tenant("FULL@z1,FULL@z2,FULL@z3", { primaryZone: " z1 , z3 ; z2" }),
    want: { kind: "Stall", reason: Reason.PrimaryZoneNeeded },
  },
  {
    reason: "a resource pool is left in a zone without replica (a failed scale-in): not Ready",
    observed: tenant("FULL@z1,FULL@z2", { pools: [{ name: "pool_z3", zones: ["z3"] }] }),
    want: { kind: "Stall", reason: Reason.LeftoverPool, message: /pool_z3/ },
  },
  {
    reason: "a pool spanning a replica zone is not a leftover",
    observed: tenant("FULL@z1,FULL@z2", { pools: [{ name: "pool", zones: ["z2", "z3"] }] }),
    want: { kind: "Ready", reason: Reason.Converged },
  },
  {
    reason: "another set names the same tenant on the same endpoint: neither touches it",
    peers: ["prod/orders-copy"],
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "Stall", reason: Reason.OwnershipConflict, message: /prod\/orders-copy/ },
  },
  {
    reason:
      "another set names the tenant and its cluster is not yet known: nothing removed, waiting for it (issue 26)",
    unidentified: ["staging/orders"],
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: {
      kind: "Wait",
      reason: Reason.RemoteUnidentified,
      message: /staging\/orders.*never learned/,
      requeueAfterMs: 10_000,
    },
  },
  {
    reason: "a peer on the same cluster outranks one not yet identified: OwnershipConflict",
    peers: ["prod/orders-copy"],
    unidentified: ["staging/orders"],
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "Stall", reason: Reason.OwnershipConflict, message: /prod\/orders-copy/ },
  },
  {
    reason: "converged with an unidentified peer: Ready (nothing to do, nothing held)",
    unidentified: ["staging/orders"],
    observed: tenant("FULL@z1,FULL@z2"),
    want: { kind: "Ready", reason: Reason.Converged },
  },
  {
    reason: "a DAG runs on the tenant: a second one is never started",
    observed: tenant("FULL@z1,FULL@z2,FULL@z3", {}, [dag({ id: "77", name: "Modify tenant replicas" })]),
    want: { kind: "Wait", reason: Reason.TenantBusy, message: /77/, requeueAfterMs: 2000 },
  },
  {
    reason: "one zone to remove within the limits: RemoveZones on the spec's target, no approval",
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z3"], approval: undefined },
  },
  {
    reason: "more zones than maxZonesPerOperation: the first ones (sorted) go now",
    set: { zones: ["z1", "z2", "z3"], policy: { maxZonesPerOperation: 2, approvalThreshold: 5 } },
    observed: tenant("FULL@z5,FULL@z1,FULL@z2,FULL@z3,FULL@z4,FULL@z6"),
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z4", "z5"] },
  },
  {
    reason: "dry run: the step that would run, and nothing else",
    set: { zones: ["z1", "z2"], policy: { dryRun: true } },
    observed: tenant("FULL@z1,FULL@z2,FULL@z3"),
    want: { kind: "DryRun", reason: Reason.DryRun, targets: ["z3"] },
  },
  {
    reason: "a large plan without the annotation waits for approval",
    ...large,
    want: { kind: "AwaitApproval", reason: Reason.ApprovalRequired, message: new RegExp(largeHash) },
  },
  {
    reason: "an approval given for another plan's hash does not run this one",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: "0123456789abcdef" },
    want: { kind: "AwaitApproval", reason: Reason.ApprovalRequired },
  },
  {
    reason: "the approval given: the operation runs and uses it up",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: largeHash },
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z3"], approval: largeHash },
  },
  {
    reason: "the approval given and already used once: it does not run the plan again",
    ...large,
    annotations: { [APPROVE_PLAN_ANNOTATION]: largeHash },
    status: { usedApprovals: [{ hash: largeHash, usedAt: ago(3_600_000) }] },
    want: { kind: "AwaitApproval", reason: Reason.ApprovalAlreadyUsed },
  },
  {
    reason: "ownership is checked first: a contested tenant is reported even when obshell does not know it",
    peers: ["prod/x"],
    observed: { kind: "tenant", tenant: undefined, unfinished: [] },
    want: { kind: "Stall", reason: Reason.OwnershipConflict },
  },
  {
    reason: "no operation but the observation is of an operation: observe again, decide nothing",
    observed: following(dag()),
    want: { kind: "Wait", reason: Reason.ObserveFailed },
  },

  // --- following the operation's DAG ---
  {
    reason: "the DAG runs: poll it soon",
    status: { operation: operation({ dagId: "11", startedAt: ago(10_000) }) },
    observed: following(dag()),
    want: { kind: "Wait", reason: Reason.DagRunning, requeueAfterMs: 2000 },
  },
  {
    reason: "the DAG has run for minutes: poll it less often",
    status: { operation: operation({ dagId: "11", startedAt: ago(60_000) }) },
    observed: following(dag()),
    want: { kind: "Wait", reason: Reason.DagRunning, requeueAfterMs: 5000 },
  },
  {
    reason: "the DAG has run for over five minutes: poll every 15 s",
    status: { operation: operation({ dagId: "11", startedAt: ago(600_000) }) },
    observed: following(dag({ state: "PENDING" })),
    want: { kind: "Wait", reason: Reason.DagRunning, requeueAfterMs: 15_000 },
  },
  {
    reason: "SUCCEED/RUN: the operation is over",
    status: { operation: operation({ dagId: "11" }) },
    observed: following(dag({ state: "SUCCEED", operator: "RUN" })),
    want: { kind: "EndOperation", reason: Reason.DagSucceeded },
  },
  {
    reason: "SUCCEED/PASS: a person forced it past a failure; the operation is over",
    status: { operation: operation({ dagId: "11" }) },
    observed: following(dag({ state: "SUCCEED", operator: "PASS" })),
    want: { kind: "EndOperation", reason: Reason.DagSucceeded, message: /passed by a person/ },
  },
  {
    reason: "SUCCEED/ROLLBACK is not a success: held until the spec changes",
    status: { operation: operation({ dagId: "11" }) },
    observed: following(dag({ state: "SUCCEED", operator: "ROLLBACK" })),
    want: { kind: "Stall", reason: Reason.DagRolledBack, message: /SUCCEED\/ROLLBACK/ },
  },
  {
    reason: "SUCCEED/ROLLBACK after the spec changed: the operation is dropped and planning resumes",
    status: { operation: operation({ dagId: "11", generation: 1 }) },
    observed: following(dag({ state: "SUCCEED", operator: "ROLLBACK" })),
    want: { kind: "EndOperation", reason: Reason.OperationAbandoned, message: /rolled back/ },
  },
  {
    reason: "FAILED/CANCEL: cancelled by a person, held until the spec changes",
    status: { operation: operation({ dagId: "11", generation: 2 }), dag: undefined },
    observed: following(dag({ state: "FAILED", operator: "CANCEL" })),
    want: { kind: "Stall", reason: Reason.DagCancelled },
  },
  {
    reason: "FAILED/CANCEL after the spec changed: dropped, never retried",
    status: { operation: operation({ dagId: "11", generation: 1 }) },
    set: { policy: { onDagFailure: "Retry" } },
    observed: following(dag({ state: "FAILED", operator: "CANCEL" })),
    want: { kind: "EndOperation", reason: Reason.OperationAbandoned, message: /cancelled/ },
  },
  {
    reason: "FAILED under policy Hold: held for a person, with the failed node's logs",
    status: { operation: operation({ dagId: "11" }) },
    observed: following(
      failed(),
      undefined,
      failed({
        nodes: [
          {
            id: "n1",
            name: "Alter tenant locality",
            state: "FAILED",
            sub_tasks: [{ id: "t", name: "t", state: "FAILED", task_logs: ["ORA-4000 locality busy"] }],
          },
        ],
      }),
    ),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /Alter tenant locality.*ORA-4000.*Hold/ },
  },
  {
    reason: "FAILED under policy Retry with retries left: RETRY that DAG, counting the attempt",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 3 } },
    status: { operation: operation({ dagId: "11", retries: 1 }) },
    observed: following(failed()),
    want: { kind: "RetryDag", reason: Reason.DagRetried, dagId: "11", attempt: 2 },
  },
  {
    reason: "FAILED under policy Retry with every retry used: held",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 3 } },
    status: { operation: operation({ dagId: "11", retries: 3 }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /3 RETRYs used/ },
  },
  {
    reason: "spec changed while a failed DAG is held: the zone was added back, so it is not retried",
    set: { zones: ["z1", "z2", "z3"], policy: { onDagFailure: "Retry" } },
    status: { operation: operation({ dagId: "11", generation: 1 }) },
    generation: 3,
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /DAG 11.*no longer removes z3/ },
  },
  {
    reason: "endpoint changed mid-operation: RETRY refused (it would operate another cluster's intent)",
    set: { endpoint: "http://10.9.9.9:2886", policy: { onDagFailure: "Retry" } },
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /not retried/ },
  },
  {
    reason: "a failed DAG, policy Retry, a set naming the tenant not yet identified: no RETRY until it is",
    set: { policy: { onDagFailure: "Retry" } },
    status: { operation: operation({ dagId: "11" }) },
    unidentified: ["staging/orders"],
    observed: following(failed()),
    want: { kind: "Wait", reason: Reason.RemoteUnidentified, message: /DAG 11/ },
  },
  {
    reason: "a failed DAG held by policy with an unidentified peer: held as always (no call either way)",
    status: { operation: operation({ dagId: "11" }) },
    unidentified: ["staging/orders"],
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed },
  },
  {
    reason: "tenant changed mid-operation: RETRY refused",
    set: { tenant: "payments", policy: { onDagFailure: "Retry" } },
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /tenant orders at .* not retried/ },
  },
  {
    reason: "FAILED under policy Rollback: ROLLBACK that DAG",
    set: { policy: { onDagFailure: "Rollback" } },
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "RollbackDag", reason: Reason.DagRollingBack, dagId: "11" },
  },
  {
    reason: "obshell refused the RETRY for good (Task.Expired): held for a person, never asked again",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 3 } },
    status: {
      operation: operation({
        dagId: "11",
        retries: 1,
        refused: { dagId: "11", operator: "RETRY", code: "Task.Expired", at: "2026-01-05T08:00:00Z" },
      }),
    },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagOperationRefused, message: /RETRY with Task\.Expired.*PASS/ },
  },
  {
    reason:
      "obshell refused the ROLLBACK for good (a scale-in failed at its pool nodes): held, never asked again",
    set: { policy: { onDagFailure: "Rollback" } },
    status: {
      operation: operation({
        dagId: "11",
        refused: {
          dagId: "11",
          operator: "ROLLBACK",
          code: "Task.Dag.Operator.RollbackNotAllowed",
          at: "2026-01-05T08:00:00Z",
        },
      }),
    },
    observed: following(failed()),
    want: {
      kind: "Stall",
      reason: Reason.DagOperationRefused,
      message: /ROLLBACK with .*RollbackNotAllowed/,
    },
  },
  {
    reason: "a refusal recorded for another DAG does not hold this one: the policy applies",
    set: { policy: { onDagFailure: "Rollback" } },
    status: {
      operation: operation({
        dagId: "11",
        refused: { dagId: "9", operator: "ROLLBACK", code: "Task.Expired", at: "2026-01-05T08:00:00Z" },
      }),
    },
    observed: following(failed()),
    want: { kind: "RollbackDag", reason: Reason.DagRollingBack, dagId: "11" },
  },

  // --- a contested tenant in flight (issue 22): read, never operated ---
  {
    reason: "contested while the DAG runs: still followed (reading is not touching), the conflict said",
    peers: ["billing/orders-copy"],
    status: { operation: operation({ dagId: "11", startedAt: ago(10_000) }) },
    observed: following(dag()),
    want: {
      kind: "Wait",
      reason: Reason.DagRunning,
      requeueAfterMs: 2000,
      message: /billing\/orders-copy.*held, not operated/,
    },
  },
  {
    reason: "contested, the DAG FAILED, policy Retry with retries left: held, never RETRY",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 3 } },
    peers: ["billing/orders-copy"],
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.OwnershipConflict, message: /DAG 11 FAILED.*billing\/orders-copy/ },
  },
  {
    reason: "contested, the DAG FAILED, policy Rollback: held, never ROLLBACK",
    set: { policy: { onDagFailure: "Rollback" } },
    peers: ["billing/orders-copy", "prod/orders-2"],
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: {
      kind: "Stall",
      reason: Reason.OwnershipConflict,
      message: /billing\/orders-copy, prod\/orders-2.*no RETRY or ROLLBACK/,
    },
  },
  {
    reason: "contested, the DAG FAILED under Hold: the conflict is what is reported",
    peers: ["billing/orders-copy"],
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.OwnershipConflict },
  },
  {
    reason: "contested, the DAG succeeded: the operation ends (then planning reports the conflict)",
    peers: ["billing/orders-copy"],
    status: { operation: operation({ dagId: "11" }) },
    observed: following(dag({ state: "SUCCEED", operator: "RUN" })),
    want: { kind: "EndOperation", reason: Reason.DagSucceeded },
  },
  {
    reason: "contested after a lost reply: our provable DAG is still adopted (bookkeeping, nothing sent)",
    peers: ["billing/orders-copy"],
    status: { operation: operation() },
    observed: following(undefined, [failed({ id: "42" })]),
    want: { kind: "AdoptDag", reason: Reason.DagFound, dagId: "42" },
  },

  // --- dry run with a DAG in flight (issue 22): it shows the call, never makes it ---
  {
    reason: "dry run turned on, the DAG FAILED, policy Retry: DryRun naming the RETRY, none sent",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 3, dryRun: true } },
    status: { operation: operation({ dagId: "11", zones: ["z3", "z4"], retries: 1 }) },
    observed: following(failed({ zones: 2 })),
    want: {
      kind: "DryRun",
      reason: Reason.DryRun,
      targets: ["z3", "z4"],
      message: /would request RETRY 2\/3 of DAG 11.*FAILED/,
    },
  },
  {
    reason: "dry run turned on, the DAG FAILED, policy Rollback: DryRun naming the ROLLBACK, none sent",
    set: { policy: { onDagFailure: "Rollback", dryRun: true } },
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: {
      kind: "DryRun",
      reason: Reason.DryRun,
      targets: ["z3"],
      message: /would request ROLLBACK of DAG 11/,
    },
  },
  {
    reason: "dry run, the DAG FAILED, every RETRY used: held for a person as without dry run",
    set: { policy: { onDagFailure: "Retry", maxDagRetries: 2, dryRun: true } },
    status: { operation: operation({ dagId: "11", retries: 2 }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /2 RETRYs used/ },
  },
  {
    reason: "dry run, the DAG runs: followed to its end (reading only)",
    set: { policy: { onDagFailure: "Retry", dryRun: true } },
    status: { operation: operation({ dagId: "11", startedAt: ago(10_000) }) },
    observed: following(dag()),
    want: { kind: "Wait", reason: Reason.DagRunning },
  },
  {
    reason: "dry run and contested, the DAG FAILED: the conflict comes first",
    set: { policy: { onDagFailure: "Retry", dryRun: true } },
    peers: ["billing/orders-copy"],
    status: { operation: operation({ dagId: "11" }) },
    observed: following(failed()),
    want: { kind: "Stall", reason: Reason.OwnershipConflict },
  },

  // --- after a lost reply: the intent without a DAG id ---
  {
    reason: "lost reply, no DAG of the tenant unfinished: the DELETE never took effect or ended",
    status: { operation: operation() },
    observed: following(undefined, []),
    want: { kind: "EndOperation", reason: Reason.IntentResolved },
  },
  {
    reason: "lost reply, exactly one provable DAG: adopt it",
    status: { operation: operation() },
    observed: following(undefined, [dag({ id: "42" })]),
    want: { kind: "AdoptDag", reason: Reason.DagFound, dagId: "42" },
  },
  {
    reason: "lost reply, the one provable DAG has already FAILED: still adopted (then followed by policy)",
    status: { operation: operation() },
    observed: following(undefined, [failed({ id: "42" })]),
    want: { kind: "AdoptDag", reason: Reason.DagFound, dagId: "42" },
  },
  {
    reason: "lost reply, a running DAG with another name: foreign, never adopted",
    status: { operation: operation() },
    observed: following(undefined, [dag({ id: "43", name: "Scale out tenant replicas" })]),
    want: { kind: "Wait", reason: Reason.ForeignDag, message: /43/ },
  },
  {
    reason: "lost reply, a running DAG started before the intent was written: foreign",
    status: { operation: operation({ startedAt: ago(60_000) }) },
    observed: following(undefined, [dag({ id: "44", start_time: ago(61_000) })]),
    want: { kind: "Wait", reason: Reason.ForeignDag, message: /44/ },
  },
  {
    reason: "lost reply, a running DAG removing another number of zones: foreign",
    status: { operation: operation({ zones: ["z3"] }) },
    observed: following(undefined, [dag({ id: "45", zones: 2 })]),
    want: { kind: "Wait", reason: Reason.ForeignDag, message: /45/ },
  },
  {
    reason: "lost reply, a running DAG of another tenant: foreign",
    status: { operation: operation() },
    observed: following(undefined, [dag({ id: "46", maintenance_key: "payments" })]),
    want: { kind: "Wait", reason: Reason.ForeignDag },
  },
  {
    reason: "lost reply, a DAG without nodes (obshell lists it before they exist): not provable",
    status: { operation: operation() },
    observed: following(undefined, [dag({ id: "47", nodes: null })]),
    want: { kind: "Wait", reason: Reason.ForeignDag },
  },
  {
    reason: "lost reply, two DAGs that both fit: neither can be proven, none is adopted",
    status: { operation: operation() },
    observed: following(undefined, [dag({ id: "48" }), dag({ id: "49", dag_id: 2 })]),
    want: { kind: "Wait", reason: Reason.ForeignDag, message: /48.*49/ },
  },
];

describe("a tenant observed without its unfinished DAGs (a poll that found it converged)", () => {
  const unread = (locality: string): TenantObserved => ({
    kind: "tenant",
    // Unit configs and unit number known, so that an add is held by nothing else.
    tenant: tenantSeen(locality, { unitConfigs: ["u"], unitNum: 1 }),
    unfinished: undefined,
  });
  it("still converged: Ready, the DAGs never needed", () => {
    expect(decide({ set: { zones: ["z1", "z2"] }, observed: unread("FULL@z1,FULL@z2") })).toMatchObject({
      kind: "Ready",
      reason: Reason.Converged,
    });
  });
  it.each([
    { what: "a zone to remove", zones: ["z1", "z2"], locality: "FULL@z1,FULL@z2,FULL@z3" },
    {
      what: "a zone to add",
      zones: ["z1", "z2", "z3"],
      locality: "FULL@z1,FULL@z2",
      replicaTemplate: { unitConfigName: "u" },
    },
  ])(
    "$what: nothing is decided without them (an error, never a step)",
    ({ zones, locality, replicaTemplate }) => {
      expect(() =>
        decide({
          set: { zones, ...(replicaTemplate ? { replicaTemplate } : {}) },
          observed: unread(locality),
        }),
      ).toThrow(/not converged and its unfinished DAGs were not read/);
    },
  );
});

describe("decideTenant", () => {
  it.each(cases)("$reason", (c) => {
    const step = decide(c);
    expect(project(step, c.want)).toEqual(c.want);
  });

  it("covers every step kind decide can return", () => {
    const kinds = new Set(cases.map((c) => c.want.kind));
    for (const kind of [
      "Stall",
      "Ready",
      "Wait",
      "AwaitApproval",
      "DryRun",
      "RemoveZones",
      "AdoptDag",
      "EndOperation",
      "RetryDag",
      "RollbackDag",
    ])
      expect(kinds).toContain(kind);
  });

  it("RemoveZones carries the spec's endpoint, tenant and credentials as the operation target", () => {
    const step = decide({ set: { secret: "root-pw" }, observed: tenant("FULL@z1,FULL@z2,FULL@z3") });
    expect(step).toMatchObject({
      kind: "RemoveZones",
      target: {
        endpoint: OBSHELL,
        tenant: "orders",
        credentialsSecretName: "root-pw",
        credentialsSecretKey: "password",
      },
    });
  });

  it("a DAG that is not running (FAILED leftover of a person) does not make the tenant busy", () => {
    const step = decide({
      observed: tenant("FULL@z1,FULL@z2,FULL@z3", {}, [failed({ id: "9", name: "Modify tenant replicas" })]),
    });
    expect(step.kind).toBe("RemoveZones");
  });

  it("the approval hash changes with the namespace, name, cluster, tenant and exact zones", () => {
    const variants: { what: string; hash: string }[] = [
      { what: "base", hash: largeHash },
      {
        what: "namespace",
        hash: hashOfWith(large, { namespace: "staging" }),
      },
      { what: "name", hash: hashOfWith(large, { name: "orders-2" }) },
      { what: "cluster", hash: hashOf({ ...large, cluster: "obshell|ob2#2" }) },
      { what: "tenant", hash: hashOf({ ...large, set: { ...large.set, tenant: "payments" } }) },
      {
        what: "same number of zones, other zones",
        hash: hashOf({ set: { zones: ["z1", "z2"] }, observed: tenant("FULL@z1,FULL@z2,FULL@z5,FULL@z6") }),
      },
    ];
    expect(new Set(variants.map((v) => v.hash)).size).toBe(variants.length);
    // The same cluster through another URL (an IP and a DNS name): the same approval (issue 26).
    expect(hashOf({ ...large, set: { ...large.set, endpoint: "http://ob1.example.test:2886" } })).toBe(
      largeHash,
    );
    // Stable: the same plan observed in another order has the same hash.
    expect(hashOf({ ...large, observed: tenant("FULL@z4,FULL@z3,FULL@z2,FULL@z1") })).toBe(largeHash);
  });
});

function hashOfWith(c: Input, where: { namespace?: string; name?: string }): string {
  const set = tenantSet(c.set);
  const step = decideTenant({
    set,
    status: undefined,
    observed: c.observed,
    fleet: { peers: [] },
    remote: { endpoint: set.spec.obshell?.endpoint ?? "", identity: CLUSTER },
    id: identity(where),
    now: NOW,
  });
  if (step.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${step.kind}`);
  return step.approval.hash;
}
