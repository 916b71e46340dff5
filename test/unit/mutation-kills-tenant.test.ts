// The tenant decision as a person operating the fleet reads it, on sets that name a connection and plans of
// several zones: what the condition says (every zone, every peer, the command to approve), what the intent
// records, and the rules a surviving mutant of `make mutation-tenant FILE=src/reconcilers/tenant/decide.ts`
// showed untested. Wrong versions this is written against: a list of zones or peers glued without
// separators, an intent without its connection, an approval not used up by an add, a dry run that rolls a
// failed DAG back, an older intent (no generation) taken for a changed spec, a set moved from a connection
// to an inline endpoint at the same address taken for the same target, an add retried on another tenant,
// or while only some of its zones are still wanted, a finished DAG in the unfinished list blocking adds.
import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import {
  type TenantOperation,
  type TenantReplicaSetStatus,
  tenantReplicaSet,
} from "../../src/api/tenant-replica-set.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import { identityOf } from "../../src/reconcilers/engine/set-reconciler.js";
import {
  decideTenant,
  operationTarget,
  type TenantFleet,
  type TenantStep,
} from "../../src/reconcilers/tenant/decide.js";
import type { TenantObserved } from "../../src/reconcilers/tenant/observe.js";
import { SCALE_OUT_DAG } from "../../src/reconcilers/tenant/observe.js";
import { planTenant } from "../../src/reconcilers/tenant/plan.js";
import { recordTenant } from "../../src/reconcilers/tenant/transitions.js";
import { addObshellConnection, refTenantManifest, remoteOf, world } from "./fleet-world.js";
import { ago, dag, NOW, tenantSeen, tenantSet } from "./sets.js";

const AGENT = "http://10.0.0.1:2886";
const REF = { kind: "DatabaseConnection" as const, name: "ob" };
const SIX = "FULL@z1,FULL@z2,FULL@z3,FULL@z4,FULL@z5,FULL@z6";
const TEMPLATE = { unitConfigName: "uc-8c", unitNum: 1 };

interface Input {
  zones?: string[];
  tenant?: string;
  policy?: Record<string, unknown>;
  annotations?: Record<string, string>;
  replicaTemplate?: Record<string, unknown> | undefined;
  status?: TenantReplicaSetStatus;
  observed: TenantObserved;
  fleet?: TenantFleet;
}

/** A set naming DatabaseConnection prod/ob (an agent at AGENT), decided at NOW. */
function decide(i: Input): TenantStep {
  const w = world();
  addObshellConnection(w, "prod", "ob", { endpoint: AGENT });
  const base = refTenantManifest({
    connection: { name: "ob" },
    zones: i.zones ?? ["z1", "z2"],
    ...(i.tenant ? { tenant: i.tenant } : {}),
    policy: { maxZonesPerOperation: 3, approvalThreshold: 10, ...i.policy },
    ...(i.annotations ? { annotations: i.annotations } : {}),
    ...(i.status ? { status: i.status } : {}),
  });
  const object = {
    ...base,
    spec: { ...(base.spec as object), ...(i.replicaTemplate ? { replicaTemplate: i.replicaTemplate } : {}) },
  } as KubeObject;
  const set = tenantReplicaSet.parse(object);
  return decideTenant({
    set,
    status: set.status,
    observed: i.observed,
    fleet: i.fleet ?? { peers: [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

const seen = (
  locality: string,
  o: Parameters<typeof tenantSeen>[1] = {},
): Extract<TenantObserved, { kind: "tenant" }> => ({
  kind: "tenant",
  tenant: tenantSeen(locality, o),
  unfinished: [],
});
const IDENTITY = `obshell|${new URL(AGENT).host}#1`;

describe("removing several zones through a connection: the step, the intent and what the condition says", () => {
  it("the intent records the connection, the cluster and every zone of the next operation", () => {
    expect(decide({ observed: seen(SIX) })).toEqual({
      kind: "RemoveZones",
      reason: Reason.RemovingZones,
      message: "removing z3, z4, z5 from tenant orders",
      target: { endpoint: AGENT, remote: expect.any(String), tenant: "orders", connectionRef: REF },
      zones: ["z3", "z4", "z5"],
      planned: { hash: expect.stringMatching(/^[0-9a-f]{16}$/), targets: ["z3", "z4", "z5", "z6"] },
    });
  });

  it("a plan needing approval names the command to give it, for this kind, set and namespace", () => {
    const step = decide({ observed: seen(SIX), policy: { approvalThreshold: 2 } });
    expect(step).toMatchObject({ kind: "AwaitApproval", reason: Reason.ApprovalRequired });
    if (step.kind !== "AwaitApproval") throw new Error("unreachable");
    expect(step.message).toContain(
      `kubectl annotate trs orders -n prod --overwrite ${APPROVE_PLAN_ANNOTATION}=${step.approval.hash}`,
    );
    const approved = decide({
      observed: seen(SIX),
      policy: { approvalThreshold: 2 },
      annotations: { [APPROVE_PLAN_ANNOTATION]: step.approval.hash },
    });
    expect(approved).toMatchObject({ kind: "RemoveZones", approval: step.approval.hash });
  });

  it("a dry run shows the next operation and everything still to remove", () => {
    expect(decide({ observed: seen(SIX), policy: { dryRun: true } })).toMatchObject({
      kind: "DryRun",
      message: "dry run: would remove z3, z4, z5 (all to remove: z3, z4, z5, z6)",
      targets: ["z3", "z4", "z5"],
    });
  });

  it("another DAG on the tenant: the removal waits, naming every zone it would remove", () => {
    const busy = dag({ id: "31", state: "RUNNING" });
    expect(decide({ observed: { ...seen(SIX), unfinished: [busy] } })).toMatchObject({
      kind: "Wait",
      reason: Reason.TenantBusy,
      message: `DAG 31 (${busy.name}) is RUNNING on tenant orders; removing z3, z4, z5, z6 waits for it`,
    });
  });

  it("two peers whose cluster was never learned: both named, and the zones the removal would take", () => {
    const step = decide({
      observed: seen(SIX),
      fleet: { peers: [], unidentified: ["team-a/orders", "team-b/orders"] },
    });
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.RemoteUnidentified });
    expect(step.message).toContain("also named by team-a/orders, team-b/orders, whose cluster");
    expect(step.message).toContain("so removing z3, z4, z5 waits until");
  });

  it("every blocker is named, one after another", () => {
    const step = decide({ zones: ["z1"], observed: seen("FULL@z1,FULL@z2", { status: "LOCKED" }) });
    expect(step).toMatchObject({ kind: "Stall", reason: Reason.TenantNotNormal });
    expect(step.message).toBe(
      "tenant status is LOCKED, not NORMAL; removing z2 leaves 1 FULL replica(s) of 2; OceanBase needs at least 2 to stay available",
    );
  });

  it("an operation in flight with an observation of the tenant instead: observed again, said so", () => {
    const op: TenantOperation = {
      kind: "RemoveZones",
      zones: ["z3"],
      startedAt: ago(60_000),
      retries: 0,
      endpoint: AGENT,
      tenant: "orders",
      connectionRef: REF,
    };
    expect(decide({ status: { operation: op }, observed: seen(SIX) })).toMatchObject({
      kind: "Wait",
      reason: Reason.ObserveFailed,
      message: "observation does not match the status; observing again",
    });
  });
});

describe("adding several zones through a connection", () => {
  const observed = seen("FULL@z1,FULL@z2", { unitNum: 1, unitConfigs: ["uc-8c"] });
  const add = (o: Partial<Input> = {}) =>
    decide({
      zones: ["z1", "z2", "z3", "z4", "z5"],
      replicaTemplate: TEMPLATE,
      observed,
      ...o,
      policy: { maxZonesPerOperation: 2, ...o.policy },
    });
  const described = "z3 (FULL, unit config uc-8c x1), z4 (FULL, unit config uc-8c x1)";

  it("the step names each replica it adds, and records the connection", () => {
    expect(add()).toMatchObject({
      kind: "AddZones",
      message: `adding ${described} to tenant orders`,
      target: { endpoint: AGENT, tenant: "orders", connectionRef: REF },
      zones: ["z3", "z4"],
    });
    expect(add()).not.toHaveProperty("approval");
  });

  it("a dry run shows the replicas of the next add and every zone still to add", () => {
    expect(add({ policy: { dryRun: true } })).toEqual({
      kind: "DryRun",
      reason: Reason.DryRun,
      message: `dry run: would add ${described} (all to add: z3, z4, z5)`,
      targets: ["+z3", "+z4"],
      event: { type: "Normal", reason: Reason.DryRun, message: `dry run: would add ${described}` },
    });
  });

  it("an add needing approval names the command; once approved, the add uses the approval up", () => {
    const waiting = add({ policy: { approvalThreshold: 1 } });
    if (waiting.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${waiting.kind}`);
    expect(waiting.message).toContain(
      `kubectl annotate trs orders -n prod --overwrite ${APPROVE_PLAN_ANNOTATION}=`,
    );
    expect(waiting.approval.targets).toEqual(["+z3", "+z4", "+z5"]);
    const approved = add({
      policy: { approvalThreshold: 1 },
      annotations: { [APPROVE_PLAN_ANNOTATION]: waiting.approval.hash },
    });
    expect(approved).toMatchObject({ kind: "AddZones", approval: waiting.approval.hash });
  });

  it("another DAG running on the tenant: the add waits, naming every zone it would add", () => {
    expect(
      add({ observed: { ...observed, unfinished: [dag({ id: "31", state: "RUNNING" })] } }),
    ).toMatchObject({
      kind: "Wait",
      reason: Reason.TenantBusy,
      message: expect.stringMatching(/; adding z3, z4, z5 waits for it$/),
    });
  });

  it("only a FAILED DAG left on the tenant keeps adds off it; one that finished since being listed does not", () => {
    const finished = dag({ id: "32", state: "SUCCEED" });
    expect(add({ observed: { ...observed, unfinished: [finished] } })).toMatchObject({ kind: "AddZones" });
    const failed = dag({ id: "33", state: "FAILED" });
    expect(add({ observed: { ...observed, unfinished: [failed] } })).toMatchObject({
      kind: "Stall",
      reason: Reason.UnresolvedDag,
    });
  });
});

describe("following an operation: what the condition says, and when a failed DAG is operated", () => {
  const removal = (o: Partial<TenantOperation> = {}): TenantOperation => ({
    kind: "RemoveZones",
    zones: ["z3", "z4"],
    startedAt: ago(120_000),
    dagId: "11",
    retries: 0,
    generation: 2,
    endpoint: AGENT,
    tenant: "orders",
    connectionRef: REF,
    ...o,
  });
  const addition = (o: Partial<TenantOperation> = {}): TenantOperation =>
    removal({
      kind: "AddZones",
      zones: ["z3", "z4"],
      replicas: [
        { zone: "z3", unitConfigName: "uc-8c", unitNum: 1, type: "FULL" },
        { zone: "z4", unitConfigName: "uc-8c", unitNum: 1, type: "FULL" },
      ],
      ...o,
    });
  const following = (op: TenantOperation, d: Partial<DagDetail>, o: Partial<Input> = {}) =>
    decide({
      zones: op.kind === "AddZones" ? ["z1", "z2", "z3", "z4"] : ["z1", "z2"],
      ...(op.kind === "AddZones" ? { replicaTemplate: TEMPLATE } : {}),
      status: { operation: op },
      observed: {
        kind: "operation",
        dag: dag({ zones: 2, ...(op.kind === "AddZones" ? { name: SCALE_OUT_DAG } : {}), ...d }),
      },
      ...o,
    });

  it("a running removal says which zones, from which tenant, and nothing about peers when there are none", () => {
    expect(following(removal(), { stage: 1, state: "RUNNING" })).toMatchObject({
      kind: "Wait",
      reason: Reason.DagRunning,
      message: "DAG 11 removing z3, z4 from tenant orders: stage 1/3 RUNNING",
    });
  });

  it("a DAG that ran to its end succeeded; one a person passed says so", () => {
    expect(following(removal(), { state: "SUCCEED", operator: "RUN" }).message).toBe(
      "DAG 11 removing z3, z4 from tenant orders: succeeded",
    );
    expect(following(removal(), { state: "SUCCEED", operator: "PASS" }).message).toBe(
      "DAG 11 removing z3, z4 from tenant orders: passed by a person",
    );
  });

  it("a rolled-back removal says nothing was removed; a rolled-back add, nothing was added", () => {
    expect(following(removal(), { state: "SUCCEED", operator: "ROLLBACK" })).toMatchObject({
      kind: "Stall",
      reason: Reason.DagRolledBack,
      message: expect.stringContaining("nothing was removed; change the spec"),
    });
    expect(following(addition(), { state: "SUCCEED", operator: "ROLLBACK" })).toMatchObject({
      kind: "Stall",
      reason: Reason.DagRolledBack,
      message: expect.stringContaining(
        "DAG 11 adding z3, z4 to tenant orders: ended SUCCEED/ROLLBACK, nothing was added;",
      ),
    });
  });

  it("an intent an older operator wrote without its generation, rolled back: held for a person, not taken for a spec change", () => {
    const { generation: _, ...older } = removal();
    expect(following(older, { state: "SUCCEED", operator: "ROLLBACK" })).toMatchObject({
      kind: "Stall",
      reason: Reason.DagRolledBack,
    });
  });

  it("a dry run with policy Rollback shows the ROLLBACK it would request and requests nothing", () => {
    expect(
      following(removal(), { state: "FAILED" }, { policy: { dryRun: true, onDagFailure: "Rollback" } }),
    ).toMatchObject({
      kind: "DryRun",
      message: expect.stringMatching(/^dry run: would request ROLLBACK of DAG 11; /),
      targets: ["z3", "z4"],
    });
  });

  it("a failed DAG with policy Rollback while a peer naming the tenant is unidentified: waits, nothing rolled back", () => {
    const step = following(
      removal(),
      { state: "FAILED" },
      { policy: { onDagFailure: "Rollback" }, fleet: { peers: [], unidentified: ["team-b/orders"] } },
    );
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.RemoteUnidentified });
    expect(step.message).toContain("so operating DAG 11 waits until");
  });

  it("two running DAGs that cannot be proven the operation's are both named, and neither is operated", () => {
    const step = following(
      removal(),
      {},
      {
        observed: {
          kind: "operation",
          dag: undefined,
          candidates: [
            dag({ id: "21", name: "Foreign one", start_time: ago(10_000) }),
            dag({ id: "22", name: "Foreign two", start_time: ago(5_000) }),
          ],
        },
      },
    );
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.ForeignDag });
    expect(step.message).toMatch(
      /^DAG 21 \(Foreign one, started [^)]+\), 22 \(Foreign two, started [^)]+\) runs on/,
    );
  });

  it("a failed node's sub-task without logs adds nothing to the summary", () => {
    const detail = dag({
      state: "FAILED",
      nodes: [{ id: "b", name: "Alter tenant locality", state: "FAILED", sub_tasks: [{}] }],
    } as Partial<DagDetail>);
    const step = following(
      removal(),
      {},
      { observed: { kind: "operation", dag: dag({ zones: 2, state: "FAILED", stage: 2 }), detail } },
    );
    expect(step.message).toMatch(/^DAG 11 FAILED at stage 2\/3 \(Alter tenant locality\); policy/);
  });

  describe("an add is retried only while the spec still adds every zone of it, on the same tenant", () => {
    const retry = { onDagFailure: "Retry" };
    it.each<[string, Partial<Input>, TenantStep["kind"], RegExp?]>([
      ["still wanted, same template: RETRY", {}, "RetryDag"],
      [
        "the spec keeps only z3 of z3 and z4: no RETRY",
        { zones: ["z1", "z2", "z3"] },
        "Stall",
        /the spec no longer adds z3, z4 to tenant orders at http:\/\/10\.0\.0\.1:2886 with the same replica settings, so it is not retried/,
      ],
      [
        "the set names another tenant now: no RETRY on the old one",
        { tenant: "billing" },
        "Stall",
        /no longer adds/,
      ],
      ["the template was removed: no RETRY", { replicaTemplate: undefined }, "Stall", /no longer adds/],
    ])("%s", (_, o, kind, message) => {
      const op = addition();
      const step = decide({
        zones: ["z1", "z2", "z3", "z4"],
        replicaTemplate: TEMPLATE,
        status: { operation: op },
        observed: { kind: "operation", dag: dag({ zones: 2, name: SCALE_OUT_DAG, state: "FAILED" }) },
        ...o,
        policy: retry,
      });
      expect(step.kind).toBe(kind);
      if (message) expect(step.message).toMatch(message);
    });
  });

  it("a removal no longer wanted says so, without the add's words about replica settings", () => {
    const step = following(
      removal(),
      { state: "FAILED" },
      { zones: ["z1", "z2", "z3"], policy: { onDagFailure: "Retry" } },
    );
    expect(step.kind).toBe("Stall");
    expect(step.message).toMatch(
      /; the spec no longer removes z3, z4 from tenant orders at http:\/\/10\.0\.0\.1:2886, so it is not retried: operate/,
    );
  });

  it("a set moved from its connection to an inline endpoint at the same address is another target: no RETRY", () => {
    const set = tenantSet({ endpoint: AGENT, zones: ["z1", "z2"], policy: { onDagFailure: "Retry" } });
    const step = decideTenant({
      set,
      status: { operation: removal() },
      observed: { kind: "operation", dag: dag({ zones: 2, state: "FAILED" }) },
      fleet: { peers: [] },
      remote: { endpoint: AGENT, identity: IDENTITY },
      id: { namespace: "prod", name: "orders", generation: 2, annotations: {} },
      now: NOW,
    });
    expect(step).toMatchObject({ kind: "Stall", reason: Reason.DagFailed });
    expect(step.message).toMatch(/no longer removes z3, z4/);
  });

  it("the target of an operation keeps the cluster it was recorded on", () => {
    const set = tenantSet({ endpoint: AGENT });
    expect(
      operationTarget(set, removal({ remote: "obshell|10.0.0.1:2886#7" }), {
        endpoint: AGENT,
        identity: IDENTITY,
      }),
    ).toEqual({ endpoint: AGENT, remote: "obshell|10.0.0.1:2886#7", tenant: "orders", connectionRef: REF });
  });
});

// The intent recordTenant writes before the destructive call is what the next pass follows: it must carry
// the connection (or the next pass follows the spec's, possibly repointed, connection), and a refusal of
// RETRY/ROLLBACK must be remembered (or obshell is asked again on every pass). Survivors of
// `make mutation-tenant FILE=src/reconcilers/tenant/transitions.ts`.
describe("recordTenant: the intent and the refusal it records", () => {
  const ctx = {
    set: undefined,
    observed: undefined,
    id: { namespace: "prod", name: "orders", generation: 4, annotations: {} },
    now: NOW,
  };
  const target = { endpoint: AGENT, remote: IDENTITY, tenant: "orders", connectionRef: REF };

  it("a removal through a connection records the connection, the cluster and the generation it was planned for", () => {
    const s = recordTenant(
      {},
      { kind: "RemoveZones", reason: Reason.RemovingZones, message: "", target, zones: ["z3", "z4", "z5"] },
      ctx,
    );
    expect(s.operation).toEqual({
      kind: "RemoveZones",
      zones: ["z3", "z4", "z5"],
      startedAt: NOW.toISOString().replace(".000Z", "Z"),
      retries: 0,
      generation: 4,
      endpoint: AGENT,
      remote: IDENTITY,
      tenant: "orders",
      connectionRef: REF,
    });
  });

  it("obshell refusing a RETRY for good is remembered on the operation, with when", () => {
    const op: TenantOperation = {
      kind: "RemoveZones",
      zones: ["z3"],
      startedAt: ago(60_000),
      retries: 1,
      dagId: "11",
      endpoint: AGENT,
      tenant: "orders",
      connectionRef: REF,
    };
    const s = recordTenant(
      { operation: op },
      {
        kind: "DagOperationRefused",
        reason: Reason.DagOperationRefused,
        message: "",
        phase: "Stalled",
        dagId: "11",
        operator: "RETRY",
        code: "Task.Expired",
      },
      ctx,
    );
    expect(s.operation).toEqual({
      ...op,
      refused: {
        dagId: "11",
        operator: "RETRY",
        code: "Task.Expired",
        at: NOW.toISOString().replace(".000Z", "Z"),
      },
    });
  });
});

// The planner's add side and its messages, with several zones: what `plan` and the condition show, and the
// blockers a person must act on. Survivors of `make mutation-tenant FILE=src/reconcilers/tenant/plan.ts`.
// Wrong versions: a zone override applied to every zone, a unit number blocker raised when the template
// gives the number (or the tenant's is unknown but the template's is given), a FULL replica in a primary zone
// refused as if READONLY, zones to remove in an add plan unsorted or all of them.
describe("planTenant: adds, blockers and what the plan says", () => {
  const spec = (
    zones: string[],
    replicaTemplate?: Record<string, unknown>,
    policy: Record<string, unknown> = {},
  ) =>
    tenantSet({
      zones,
      ...(replicaTemplate ? { replicaTemplate } : {}),
      policy: { maxZonesPerOperation: 2, ...policy },
    }).spec;
  const ZONES = ["z1", "z2", "z3", "z4"];

  it("a removal plan says remove; a converged one none", () => {
    expect(planTenant(spec(["z1", "z2"]), tenantSeen("FULL@z1,FULL@z2,FULL@z3")).action).toBe("remove");
    expect(planTenant(spec(["z1", "z2"]), tenantSeen("FULL@z1,FULL@z2")).action).toBe("none");
  });

  it("an add plan: each replica from the template, a zone's override only for that zone, the summary naming each", () => {
    const plan = planTenant(
      spec(ZONES, {
        unitConfigName: "uc-8c",
        overrides: [{ zone: "z4", unitConfigName: "uc-4c", type: "READONLY" }],
      }),
      tenantSeen("FULL@z1,FULL@z2,FULL@z9,FULL@z8", { unitNum: 2, unitConfigs: ["uc-8c", "uc-4c"] }),
    );
    expect(plan).toEqual({
      action: "add",
      zonesToRemove: ["z8", "z9"],
      nextOperation: [],
      toAdd: [
        { zone: "z3", unitConfigName: "uc-8c", unitNum: 2, type: "FULL" },
        { zone: "z4", unitConfigName: "uc-4c", unitNum: 2, type: "READONLY" },
      ],
      nextAdd: [
        { zone: "z3", unitConfigName: "uc-8c", unitNum: 2, type: "FULL" },
        { zone: "z4", unitConfigName: "uc-4c", unitNum: 2, type: "READONLY" },
      ],
      blockers: [],
      approval: {
        required: false,
        summary:
          "add 2 replica zone(s) to tenant orders (4 now): z3 (FULL, unit config uc-8c x2), z4 (READONLY, unit config uc-4c x2)",
      },
      converged: false,
    });
  });

  it.each<[string, Record<string, unknown>, number | undefined, boolean]>([
    [
      "the template gives the unit number, the tenant's is not shown: no blocker",
      { unitNum: 2 },
      undefined,
      false,
    ],
    ["the tenant's is shown, the template gives none: no blocker", {}, 2, false],
    ["both, equal: no blocker", { unitNum: 2 }, 2, false],
    ["both, different: blocked", { unitNum: 3 }, 2, true],
    ["neither: blocked", {}, undefined, true],
  ])("unit number: %s", (_, template, unitNum, blocked) => {
    const plan = planTenant(
      spec(["z1", "z2", "z3"], { unitConfigName: "uc-8c", ...template }),
      tenantSeen("FULL@z1,FULL@z2", {
        ...(unitNum === undefined ? {} : { unitNum }),
        unitConfigs: ["uc-8c"],
      }),
    );
    expect(plan.blockers.some((b) => b.reason === "UnitNumMismatch")).toBe(blocked);
  });

  it("blockers of an add name every zone and unit config concerned", () => {
    const plan = planTenant(
      spec(ZONES, {
        unitConfigName: "uc-8c",
        unitNum: 1,
        type: "READONLY",
        overrides: [{ zone: "z4", unitConfigName: "uc-4c" }],
      }),
      tenantSeen("FULL@z1,FULL@z2", {
        unitNum: 1,
        unitConfigs: [],
        primaryZone: "z3,z4;z1",
        pools: [
          { name: "p3", zones: ["z3"] },
          { name: "p4", zones: ["z4"] },
        ],
      }),
    );
    expect(plan.blockers.map((b) => b.message)).toEqual([
      "unit config uc-8c, uc-4c for zone(s) z3, z4 does not exist on the cluster; create it or fix spec.replicaTemplate",
      "tenant orders already has a resource pool in zone(s) z3, z4 without a replica there (a failed add or removal); obshell refuses to add a replica there until the pool is dropped or the failed DAG is operated",
      'zone(s) z3, z4 are in the first priority of primary_zone "z3,z4;z1" but would get a READONLY replica, which cannot lead; make them FULL in spec.replicaTemplate or change the primary zone',
    ]);
  });

  it("a FULL replica added in a first-priority zone is fine", () => {
    const plan = planTenant(
      spec(["z1", "z2", "z3"], { unitConfigName: "uc-8c" }),
      tenantSeen("FULL@z1,FULL@z2", { unitNum: 1, unitConfigs: ["uc-8c"], primaryZone: "z3;z1" }),
    );
    expect(plan.blockers).toEqual([]);
  });

  it("leftover pools of a failed scale-in are all named", () => {
    const plan = planTenant(
      spec(["z1", "z2"]),
      tenantSeen("FULL@z1,FULL@z2", {
        pools: [
          { name: "p3", zones: ["z3"] },
          { name: "p4", zones: ["z4"] },
        ],
      }),
    );
    expect(plan.blockers).toMatchObject([
      {
        reason: "LeftoverPool",
        message: expect.stringMatching(/^resource pool\(s\) p3, p4 remain in zones/),
      },
    ]);
  });
});

// Appended last, so the tests above keep their places for Stryker's incremental run.
describe("a dry run's event, for a removal of several zones", () => {
  it("names every zone of the next operation", () => {
    expect(decide({ observed: seen(SIX), policy: { dryRun: true } })).toMatchObject({
      event: { type: "Normal", reason: Reason.DryRun, message: "dry run: would remove z3, z4, z5" },
    });
  });
});
