// Scale-out decisions as a table (issue 27): what a set that names a zone the tenant lacks does, with and
// without spec.replicaTemplate, in which order adds and removals come, how an add's approval is bound, and
// how an add in flight is followed (lost reply, RETRY/ROLLBACK/Hold).
import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import { addRefusal } from "../../src/reconcilers/tenant/add-refusals.js";
import { decideTenant, provablyOurs, type TenantStep } from "../../src/reconcilers/tenant/decide.js";
import {
  CREATE_POOLS_NODE,
  LOCALITY_NODE,
  SCALE_OUT_DAG,
  type TenantObserved,
} from "../../src/reconcilers/tenant/observe.js";
import { recordTenant } from "../../src/reconcilers/tenant/transitions.js";
import { ago, dag, identity, NOW, operation, type TenantSetOptions, tenantSeen, tenantSet } from "./sets.js";

const TEMPLATE = { unitConfigName: "s1" };

interface Input {
  set?: TenantSetOptions;
  status?: TenantReplicaSetStatus;
  observed: TenantObserved;
  annotations?: Record<string, string>;
  tenantName?: string;
}

function decide(c: Input): TenantStep {
  const set = tenantSet({ ...c.set, ...(c.status ? { status: c.status } : {}) });
  return decideTenant({
    set,
    status: set.status,
    observed: c.observed,
    fleet: { peers: [] },
    remote: { endpoint: set.spec.obshell?.endpoint ?? "", identity: "obshell|ob1#1" },
    id: identity(c.annotations ? { annotations: c.annotations } : {}),
    now: NOW,
  });
}

/** The tenant with unit number 1 and unit configs s1, s2 on the cluster. */
const tenant = (
  locality: string,
  o: Parameters<typeof tenantSeen>[1] = {},
  unfinished: DagDetail[] = [],
): TenantObserved => ({
  kind: "tenant",
  tenant: tenantSeen(locality, { unitNum: 1, unitConfigs: ["s1", "s2"], ...o }),
  unfinished,
});

/** A scale-out DAG of tenant orders adding `zones` zones, started a minute ago. */
function outDag(o: Partial<DagDetail> & { zones?: number } = {}): DagDetail {
  const { zones = 1, ...over } = o;
  return dag({
    name: SCALE_OUT_DAG,
    max_stage: zones + 1,
    nodes: [
      { id: "pools", name: CREATE_POOLS_NODE, state: "SUCCEED" },
      ...Array.from({ length: zones }, (_, i) => ({ id: `n${i}`, name: LOCALITY_NODE, state: "PENDING" })),
    ],
    ...over,
  });
}

const adding = (o: Parameters<typeof operation>[0] = {}) =>
  operation({
    kind: "AddZones",
    zones: ["z4"],
    replicas: [{ zone: "z4", unitConfigName: "s1", unitNum: 1, type: "FULL" }],
    ...o,
  });

const following = (d: DagDetail | undefined, candidates?: DagDetail[]): TenantObserved => ({
  kind: "operation",
  dag: d,
  ...(candidates ? { candidates } : {}),
});

interface Case extends Input {
  reason: string;
  want: { kind: TenantStep["kind"]; reason: Reason; zones?: string[]; message?: RegExp };
}

const three = "FULL@z1,FULL@z2,FULL@z3";

const cases: Case[] = [
  {
    reason: "a missing zone without a replica template: Stalled as before scale-out, saying how to enable it",
    set: { zones: ["z1", "z2", "z3", "z4"] },
    observed: tenant(three),
    want: {
      kind: "Stall",
      reason: Reason.DesiredZoneMissing,
      message: /spec\.replicaTemplate\.unitConfigName/,
    },
  },
  {
    reason: "a missing zone with a template: one add of that zone",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three),
    want: { kind: "AddZones", reason: Reason.AddingZones, zones: ["z4"] },
  },
  {
    reason: "a zone replaced: the new one is added first, the old one stays",
    set: { zones: ["z1", "z2", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three),
    want: { kind: "AddZones", reason: Reason.AddingZones, zones: ["z4"] },
  },
  {
    reason: "a zone replaced, the new one in place: now the old one is removed",
    set: { zones: ["z1", "z2", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(`${three},FULL@z4`),
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z3"] },
  },
  {
    reason: "maxZonesPerOperation bounds adds: two missing, one per operation, approval needed beyond it",
    set: {
      zones: ["z1", "z2", "z3", "z4", "z5"],
      replicaTemplate: TEMPLATE,
      policy: { maxZonesPerOperation: 1, approvalThreshold: 2 },
    },
    observed: tenant(three),
    want: { kind: "AddZones", reason: Reason.AddingZones, zones: ["z4"] },
  },
  {
    reason: "two adds with the default threshold (more than maxZonesPerOperation): approval",
    set: { zones: ["z1", "z2", "z3", "z4", "z5"], replicaTemplate: TEMPLATE },
    observed: tenant(three),
    want: { kind: "AwaitApproval", reason: Reason.ApprovalRequired },
  },
  {
    reason: "a unit config the cluster lacks: Stalled naming the zone and the config, nothing sent",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: { unitConfigName: "huge" } },
    observed: tenant(three),
    want: { kind: "Stall", reason: Reason.UnitConfigNotFound, message: /huge.*z4/ },
  },
  {
    reason: "a per-zone override naming a missing unit config is caught for that zone",
    set: {
      zones: ["z1", "z2", "z3", "z4"],
      replicaTemplate: { unitConfigName: "s1", overrides: [{ zone: "z4", unitConfigName: "nope" }] },
    },
    observed: tenant(three),
    want: { kind: "Stall", reason: Reason.UnitConfigNotFound, message: /nope.*z4/ },
  },
  {
    reason: "a unit number other than the tenant's: Stalled (obshell accepts only the tenant's)",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: { unitConfigName: "s1", unitNum: 2 } },
    observed: tenant(three),
    want: { kind: "Stall", reason: Reason.UnitNumMismatch, message: /unit_num 1/ },
  },
  {
    reason: "the tenant's unit number unknown and none given: Stalled asking for it",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: { kind: "tenant", tenant: tenantSeen(three, { unitConfigs: ["s1"] }), unfinished: [] },
    want: { kind: "Stall", reason: Reason.UnitNumMismatch, message: /set spec\.replicaTemplate\.unitNum/ },
  },
  {
    reason: "a pool of the tenant already in the zone to add: Stalled (obshell refuses HasPoolOnZone)",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three, { pools: [{ name: "orders_pool_z4", zones: ["z4"] }] }),
    want: { kind: "Stall", reason: Reason.ZoneHasPool, message: /z4/ },
  },
  {
    reason: "a READONLY replica for a first-priority primary zone: Stalled",
    set: {
      zones: ["z1", "z2", "z3", "z4"],
      replicaTemplate: { unitConfigName: "s1", overrides: [{ zone: "z4", type: "READONLY" }] },
    },
    observed: tenant(three, { primaryZone: "z4,z1;z2" }),
    want: { kind: "Stall", reason: Reason.ReadonlyPrimaryZone, message: /z4/ },
  },
  {
    reason: "a tenant that is not NORMAL gets no replica",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three, { status: "LOCKED" }),
    want: { kind: "Stall", reason: Reason.TenantNotNormal },
  },
  {
    reason: "never add while a scale-in DAG runs on the tenant",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three, {}, [dag({ id: "17" })]),
    want: { kind: "Wait", reason: Reason.TenantBusy, message: /17.*adding z4/ },
  },
  {
    reason: "never add while a failed scale-in DAG is unresolved on the tenant",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: tenant(three, {}, [dag({ id: "17", state: "FAILED" })]),
    want: { kind: "Stall", reason: Reason.UnresolvedDag, message: /17/ },
  },
  {
    reason: "a person's failed add leaves removals alone (our own failed add holds its operation instead)",
    set: { zones: ["z1", "z2"], replicaTemplate: TEMPLATE },
    observed: tenant(three, {}, [outDag({ id: "18", state: "FAILED" })]),
    want: { kind: "RemoveZones", reason: Reason.RemovingZones, zones: ["z3"] },
  },
  {
    reason: "never remove while our own add is in flight: the operation is followed, nothing planned",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2"], replicaTemplate: TEMPLATE },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "Stall", reason: Reason.DagFailed },
  },
  {
    reason: "a dry run shows the add as +zone and sends nothing",
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE, policy: { dryRun: true } },
    observed: tenant(three),
    want: { kind: "DryRun", reason: Reason.DryRun, message: /would add z4/ },
  },

  // --- an add in flight ---
  {
    reason: "the add's DAG runs: polled",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(outDag()),
    want: { kind: "Wait", reason: Reason.DagRunning, message: /adding z4/ },
  },
  {
    reason: "lost reply: the scale-out DAG with one locality node, started after the intent, is adopted",
    status: { operation: adding() },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(undefined, [outDag({ id: "21", start_time: ago(60_000) })]),
    want: { kind: "AdoptDag", reason: Reason.DagFound, message: /addition of z4/ },
  },
  {
    reason: "lost reply: a scale-in DAG is not our add (name), it is waited for, never operated",
    status: { operation: adding() },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(undefined, [dag({ id: "22" })]),
    want: { kind: "Wait", reason: Reason.ForeignDag },
  },
  {
    reason: "lost reply: no DAG at all, the POST never took effect: the intent is resolved",
    status: { operation: adding() },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(undefined, []),
    want: { kind: "EndOperation", reason: Reason.IntentResolved },
  },
  {
    reason: "the add FAILED, policy Hold: held, saying the first node cannot be PASSed",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /PASS is refused/ },
  },
  {
    reason: "the add FAILED, policy Retry, still wanted with the same settings: RETRY",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE, policy: { onDagFailure: "Retry" } },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "RetryDag", reason: Reason.DagRetried },
  },
  {
    reason: "the add FAILED, policy Retry, but the spec now makes the replica of another unit config: held",
    status: { operation: adding({ dagId: "11" }) },
    set: {
      zones: ["z1", "z2", "z3", "z4"],
      replicaTemplate: { unitConfigName: "s2" },
      policy: { onDagFailure: "Retry" },
    },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "Stall", reason: Reason.DagFailed, message: /same replica settings/ },
  },
  {
    reason: "the add FAILED, policy Retry, but the zone left the spec: held",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3"], replicaTemplate: TEMPLATE, policy: { onDagFailure: "Retry" } },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "Stall", reason: Reason.DagFailed },
  },
  {
    reason: "the add FAILED, policy Rollback: ROLLBACK",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE, policy: { onDagFailure: "Rollback" } },
    observed: following(outDag({ state: "FAILED" })),
    want: { kind: "RollbackDag", reason: Reason.DagRollingBack },
  },
  {
    reason: "the add succeeded: the operation ends",
    status: { operation: adding({ dagId: "11" }) },
    set: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: TEMPLATE },
    observed: following(outDag({ state: "SUCCEED", stage: 2 })),
    want: { kind: "EndOperation", reason: Reason.DagSucceeded },
  },
];

describe("decideTenant: scale-out", () => {
  it.each(cases)("$reason", (c) => {
    const step = decide(c);
    if (c.want.message) expect(step.message).toMatch(c.want.message);
    expect({ kind: step.kind, reason: step.reason }).toEqual({ kind: c.want.kind, reason: c.want.reason });
    if (c.want.zones) expect("zones" in step ? step.zones : undefined).toEqual(c.want.zones);
  });

  it("AddZones carries each replica exactly as the POST sends it, and the intent records them", () => {
    const set = {
      zones: ["z1", "z2", "z3", "z4"],
      replicaTemplate: {
        unitConfigName: "s1",
        overrides: [{ zone: "z4", type: "READONLY", unitConfigName: "s2" }],
      },
    };
    const step = decide({ set, observed: tenant(three) });
    expect(step).toMatchObject({
      kind: "AddZones",
      replicas: [{ zone: "z4", unitConfigName: "s2", unitNum: 1, type: "READONLY" }],
    });
    const status = recordTenant({}, step, {
      observed: tenant(three),
      id: identity(),
      now: NOW,
      set: tenantSet(set),
    });
    expect(status.operation).toMatchObject({
      kind: "AddZones",
      zones: ["z4"],
      replicas: [{ zone: "z4", unitConfigName: "s2", unitNum: 1, type: "READONLY" }],
      endpoint: "http://10.0.0.1:2886",
      tenant: "orders",
      startedAt: expect.stringMatching(/^2026-11-23T10:00:00/),
    });
  });

  it("an add's approval covers the action, the exact zones and each replica's settings; used once", () => {
    const base: Input = {
      set: { zones: ["z1", "z2", "z3", "z4", "z5"], replicaTemplate: TEMPLATE },
      observed: tenant(three),
    };
    const hashOf = (c: Input) => {
      const step = decide(c);
      if (step.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${step.kind}`);
      return step.approval;
    };
    const approval = hashOf(base);
    expect(approval.targets).toEqual(["+z4", "+z5"]);
    const variants = [
      approval.hash,
      hashOf({ ...base, set: { ...base.set, replicaTemplate: { unitConfigName: "s2" } } }).hash,
      hashOf({ ...base, set: { ...base.set, tenant: "payments" } }).hash,
      hashOf({ ...base, set: { ...base.set, zones: ["z1", "z2", "z3", "z4", "z6"] } }).hash,
      hashOf({
        ...base,
        set: { ...base.set, replicaTemplate: { unitConfigName: "s1", type: "READONLY" } },
      }).hash,
    ];
    expect(new Set(variants).size).toBe(variants.length);
    const annotations = { [APPROVE_PLAN_ANNOTATION]: approval.hash };
    expect(decide({ ...base, annotations }).kind).toBe("AddZones");
    const used: TenantReplicaSetStatus = { usedApprovals: [{ hash: approval.hash, usedAt: ago(1000) }] };
    expect(decide({ ...base, annotations, status: used }).reason).toBe(Reason.ApprovalAlreadyUsed);
    // The same zones removed instead of added never match an add's hash.
    const removal = decide({
      set: { zones: ["z1"] },
      observed: tenant("FULL@z1,FULL@z4,FULL@z5"),
    });
    expect(removal.kind === "AwaitApproval" ? removal.approval.hash : "").not.toBe(approval.hash);
  });

  it("adopts only a DAG provably the add's: name, tenant, start time, one locality node per zone", () => {
    const op = adding({ zones: ["z4", "z5"] });
    const ours = outDag({ zones: 2 });
    expect(provablyOurs(ours, op)).toBe(true);
    expect(provablyOurs(outDag({ zones: 1 }), op)).toBe(false);
    expect(provablyOurs({ ...ours, maintenance_key: "payments" }, op)).toBe(false);
    expect(provablyOurs({ ...ours, start_time: ago(10 * 60_000) }, op)).toBe(false);
    expect(provablyOurs({ ...ours, name: "Scale in tenant replicas" }, op)).toBe(false);
  });

  it("maps the agent's refusals: a person's fix Stalls, the tenant lock Waits", () => {
    expect(addRefusal("OB.Tenant.UnderMaintenance")).toMatchObject({
      reason: Reason.TenantBusy,
      transient: true,
    });
    expect(addRefusal("OB.Resource.UnitConfig.NotExist")).toMatchObject({
      reason: Reason.UnitConfigNotFound,
      transient: false,
    });
    expect(addRefusal("OB.Zone.NotExist").reason).toBe(Reason.ZoneNotFound);
    expect(addRefusal("OB.Tenant.UnitNum.ExceedsLimit").reason).toBe(Reason.InsufficientResources);
    expect(addRefusal("OB.Tenant.RebalanceDisabled").reason).toBe(Reason.PrimaryZoneRule);
    expect(addRefusal("Something.Else")).toMatchObject({ reason: Reason.RemoteRefused, transient: false });
  });
});
