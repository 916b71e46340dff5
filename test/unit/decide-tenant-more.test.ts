// The tenant decision's smaller rules, as a person operating the fleet relies on them: how often a running
// DAG is polled, which DAG found after a lost reply is adopted, where an operation recorded by an older
// status runs, what a failed DAG's summary shows, and what a dry run says it would do to a failed DAG.
// Written from the survivors of `make mutation-file FILE=src/reconcilers/tenant/decide.ts`.
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import type { TenantOperation, TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import {
  DEFAULT_TENANT_TIMING,
  dagPollMs,
  decideTenant,
  operationTarget,
  provablyOurs,
  type TenantStep,
} from "../../src/reconcilers/tenant/decide.js";
import type { TenantObserved } from "../../src/reconcilers/tenant/observe.js";
import { ago, dag, identity, NOW, OBSHELL, operation, type TenantSetOptions, tenantSet } from "./sets.js";

function decide(
  o: TenantSetOptions & { observed: TenantObserved; status?: TenantReplicaSetStatus; peers?: string[] },
): TenantStep {
  const { observed, peers, ...options } = o;
  const set = tenantSet(options);
  return decideTenant({
    set,
    status: set.status,
    observed,
    fleet: { peers: peers ?? [] },
    remote: { endpoint: set.spec.obshell?.endpoint ?? "", identity: "obshell|ob1#1" },
    id: identity(),
    now: NOW,
  });
}

describe("a running DAG is polled often at first, then less as it runs longer", () => {
  const t = DEFAULT_TENANT_TIMING;
  it.each([
    [0, 2000],
    [29_999, 2000],
    [30_000, 5000],
    [299_999, 5000],
    [300_000, 15_000],
    [3_600_000, 15_000],
  ])("after %i ms: every %i ms", (elapsed, want) => {
    expect(dagPollMs(t, elapsed)).toBe(want);
  });

  it("a configured poll longer than the backoff is never shortened by it", () => {
    const slow = { ...t, dagPollMs: 20_000 };
    expect([0, 30_000, 300_000].map((e) => dagPollMs(slow, e))).toEqual([20_000, 20_000, 20_000]);
  });
});

describe("after a lost reply, only a DAG provably the operation's is adopted", () => {
  const op = operation({ zones: ["z3", "z4"], startedAt: ago(120_000) });
  const ours = (o: Partial<DagDetail> = {}) => dag({ zones: 2, start_time: ago(60_000), ...o });
  it.each<[string, DagDetail, TenantOperation, boolean]>([
    ["a replica removal of the tenant, started after the intent, one node per zone", ours(), op, true],
    ["started the very millisecond the intent was written", ours({ start_time: op.startedAt }), op, true],
    ["started a millisecond before the intent", ours({ start_time: ago(120_001) }), op, false],
    ["a start time obshell did not fill in", ours({ start_time: "not a time" }), op, false],
    ["another DAG type", ours({ name: "Scale out tenant replicas" }), op, false],
    ["another tenant's", ours({ maintenance_key: "billing" }), op, false],
    ["one locality node for two zones", dag({ zones: 1, start_time: ago(60_000) }), op, false],
    ["three locality nodes for two zones", dag({ zones: 3, start_time: ago(60_000) }), op, false],
    ["a DAG without nodes", ours({ nodes: undefined }), op, false],
    [
      "an intent an older operator wrote without its tenant: any tenant key",
      ours({ maintenance_key: "billing" }),
      { ...op, tenant: undefined },
      true,
    ],
  ])("%s", (_, d, o, want) => {
    expect(provablyOurs(d, o)).toBe(want);
  });

  const lost = (candidates: DagDetail[]) =>
    decide({
      status: { operation: operation({ zones: ["z3"] }) },
      observed: { kind: "operation", dag: undefined, candidates },
    });

  it("one provable DAG: adopted, with an event naming it and the zones", () => {
    const step = lost([dag({ id: "41" })]);
    expect(step.kind).toBe("AdoptDag");
    expect(step.event?.message).toBe("found DAG 41 of the interrupted removal of z3 from tenant orders");
  });

  it("two provable DAGs: neither is adopted; while one runs the operation waits for it", () => {
    const step = lost([dag({ id: "41" }), dag({ id: "42", state: "FAILED" })]);
    // The intent is two minutes old: past the first 30 s of frequent polls.
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.ForeignDag, requeueAfterMs: 5000 });
    expect(step.message).toContain("DAG 41 (Scale in tenant replicas, started");
    expect(step.message).not.toContain("42");
  });

  it("a foreign running DAG is named and waited for, polled by how long the operation has run", () => {
    const step = decide({
      status: { operation: operation({ zones: ["z3"], startedAt: ago(400_000) }) },
      observed: {
        kind: "operation",
        dag: undefined,
        candidates: [dag({ id: "7", name: "Modify tenant", state: "READY" })],
      },
    });
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.ForeignDag, requeueAfterMs: 15_000 });
    expect(step.message).toMatch(
      /^DAG 7 \(Modify tenant, started .*\) runs on tenant orders .* removal of z3/,
    );
  });

  it("no DAG at all, or only finished foreign ones: the intent is resolved and the tenant observed again", () => {
    for (const candidates of [[], [dag({ name: "Modify tenant", state: "SUCCEED" })]]) {
      const step = lost(candidates);
      expect(step).toMatchObject({ kind: "EndOperation", reason: Reason.IntentResolved });
      expect(step.message).toBe(
        "no DAG of the interrupted removal of z3 from tenant orders is unfinished; observing the tenant again",
      );
    }
  });
});

describe("an operation an older status recorded runs where the spec pointed", () => {
  const set = tenantSet({ secret: "spec-secret" });
  const remote = { endpoint: OBSHELL, identity: "obshell|ob1#1" };
  const base: TenantOperation = { kind: "RemoveZones", zones: ["z3"], startedAt: ago(1000), retries: 0 };

  it("without endpoint, tenant or credentials: the spec's", () => {
    expect(operationTarget(set, base, remote)).toEqual({
      endpoint: OBSHELL,
      tenant: "orders",
      credentialsSecretName: "spec-secret",
      credentialsSecretKey: "password",
    });
  });

  it("a recorded Secret without its key: the default key, not the spec's Secret", () => {
    expect(operationTarget(set, { ...base, credentialsSecretName: "old" }, remote)).toMatchObject({
      credentialsSecretName: "old",
      credentialsSecretKey: "password",
    });
  });

  it("recorded through a connection: no inline Secret at all", () => {
    const target = operationTarget(
      set,
      {
        ...base,
        endpoint: "http://10.9.9.9:2886",
        connectionRef: { kind: "DatabaseConnection", name: "ob" },
      },
      remote,
    );
    expect(target).toEqual({
      endpoint: "http://10.9.9.9:2886",
      tenant: "orders",
      connectionRef: { kind: "DatabaseConnection", name: "ob" },
    });
  });
});

describe("a failed DAG: what the status says, and what a dry run says it would do", () => {
  const logs = (n: number) => Array.from({ length: n }, (_, i) => `log${i + 1}`);
  const detail = (taskLogs: string[]) =>
    dag({
      state: "FAILED",
      nodes: [
        { id: "a", name: "Check tenant", state: "SUCCEED", sub_tasks: [{ task_logs: ["fine"] }] },
        { id: "b", name: "Alter tenant locality", state: "FAILED", sub_tasks: [{ task_logs: taskLogs }] },
      ],
    } as Partial<DagDetail>);
  const failedWith = (policy: Record<string, unknown>, d?: DagDetail) =>
    decide({
      policy,
      status: { operation: operation({ dagId: "11" }) },
      observed: {
        kind: "operation",
        dag: dag({ state: "FAILED", stage: 2, max_stage: 3 }),
        ...(d ? { detail: d } : {}),
      },
    });

  it("names the failed node and its last three log lines, and says how to go on", () => {
    const step = failedWith({ onDagFailure: "Hold" }, detail(logs(5)));
    expect(step).toMatchObject({ kind: "Stall", reason: Reason.DagFailed });
    expect(step.message).toBe(
      "DAG 11 FAILED at stage 2/3 (Alter tenant locality): log3 | log4 | log5; policy.onDagFailure is Hold: operate the DAG (RETRY, ROLLBACK or PASS) or change the policy",
    );
  });

  it("a long log is cut at 500 characters; without the detail, only the stage", () => {
    const long = failedWith({ onDagFailure: "Hold" }, detail(["x".repeat(600)]));
    expect(long.message).toContain(`: ${"x".repeat(500)}; policy`);
    expect(failedWith({ onDagFailure: "Hold" }).message).toMatch(/^DAG 11 FAILED at stage 2\/3; policy/);
  });

  it("Rollback: the ROLLBACK is requested with the summary", () => {
    const step = failedWith({ onDagFailure: "Rollback" });
    expect(step).toMatchObject({ kind: "RollbackDag", dagId: "11" });
    expect(step.message).toBe("DAG 11 FAILED at stage 2/3; ROLLBACK requested");
  });

  it.each([
    [{ onDagFailure: "Retry", maxDagRetries: 3 }, "dry run: would request RETRY 1/3 of DAG 11"],
    [{ onDagFailure: "Rollback" }, "dry run: would request ROLLBACK of DAG 11"],
  ])("dry run with %o: nothing operated, the call it would make said", (policy, said) => {
    const step = failedWith({ ...policy, dryRun: true });
    expect(step).toMatchObject({ kind: "DryRun", reason: Reason.DryRun, targets: ["z3"] });
    expect(step.event?.message).toBe(said);
    expect(step.message).toBe(`${said}; DAG 11 FAILED at stage 2/3`);
  });

  it("dry run under Hold, or with every retry used: held as without dry run", () => {
    expect(failedWith({ onDagFailure: "Hold", dryRun: true })).toMatchObject({ reason: Reason.DagFailed });
    const used = decide({
      policy: { onDagFailure: "Retry", maxDagRetries: 1, dryRun: true },
      status: { operation: operation({ dagId: "11", retries: 1 }) },
      observed: { kind: "operation", dag: dag({ state: "FAILED" }) },
    });
    expect(used).toMatchObject({ kind: "Stall", reason: Reason.DagFailed });
    expect(used.message).toContain("1 RETRYs used");
  });
});

describe("what planning says", () => {
  const tenant = (locality: string, unfinished: DagDetail[] = []): TenantObserved => ({
    kind: "tenant",
    tenant: {
      name: "orders",
      status: "NORMAL",
      replicas: locality.split(",").map((p) => ({ type: "FULL", zone: p })),
      primaryZone: "RANDOM",
      pools: [],
    },
    unfinished,
  });

  it("Ready names the zones the replicas are in", () => {
    expect(decide({ observed: tenant("z1,z2") }).message).toBe(
      "tenant orders has replicas in exactly z1, z2",
    );
  });

  it("a contested tenant names where and who", () => {
    const step = decide({ observed: tenant("z1,z2,z3"), peers: ["billing/orders", "ops/orders"] });
    expect(step.message).toBe(
      `tenant orders at ${OBSHELL} is also named by billing/orders, ops/orders: none of them touches it until one set owns it`,
    );
  });

  it("a dry run names the next operation and everything to remove", () => {
    const step = decide({
      policy: { dryRun: true, maxZonesPerOperation: 1, approvalThreshold: 5 },
      zones: ["z1", "z2", "z3"],
      observed: tenant("z1,z2,z3,z4,z5"),
    });
    expect(step).toMatchObject({ kind: "DryRun", targets: ["z4"] });
    expect(step.message).toBe("dry run: would remove z4 (all to remove: z4, z5)");
    expect(step.event?.message).toBe("dry run: would remove z4");
  });

  it("another DAG on the tenant: the removal waits, naming it", () => {
    const step = decide({
      zones: ["z1", "z2"],
      observed: tenant("z1,z2,z3", [dag({ id: "77", name: "Modify tenant", state: "PENDING" })]),
    });
    expect(step.message).toBe("DAG 77 (Modify tenant) is PENDING on tenant orders; removing z3 waits for it");
  });

  it("a removal names its zones and the tenant", () => {
    const step = decide({ zones: ["z1", "z2"], observed: tenant("z1,z2,z3") });
    expect(step.message).toBe("removing z3 from tenant orders");
  });
});
