// The settle gate (issue 28) as a table: whether a destructive plan may run now, given the clock stored in
// status from earlier observations. The engine wiring (status, restart, requeue) is in set-reconciler.test.ts.
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import {
  type PendingPlan,
  plannedBy,
  settled,
  settleGate,
  withPendingPlan,
} from "../../src/reconcilers/engine/settle-gate.js";
import type { CommonStep } from "../../src/reconcilers/engine/step.js";

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => at(ms).toISOString();
const PLAN = { hash: "aaaa111122223333", targets: ["z3"] };
const OTHER = { hash: "bbbb111122223333", targets: ["z2", "z3"] };
const SETTLE = 10_000;

function stored(o: Partial<PendingPlan> = {}): PendingPlan {
  return {
    hash: PLAN.hash,
    targets: PLAN.targets,
    firstObservedAt: iso(0),
    observations: 1,
    runsAt: iso(SETTLE),
    ...o,
  };
}

describe("settleGate: whether a destructive plan may run now", () => {
  it.each([
    {
      reason: "first observation: the clock starts, nothing runs; look again when it settles",
      stored: undefined,
      now: 0,
      want: { run: false, remainingMs: SETTLE, first: 0, observations: 1, runsAt: SETTLE },
    },
    {
      reason: "second observation before the settle time: still waiting, for the rest of it",
      stored: stored(),
      now: 4_000,
      want: { run: false, remainingMs: 6_000, first: 0, observations: 2, runsAt: SETTLE },
    },
    {
      reason: "second observation at the settle time: runs",
      stored: stored(),
      now: SETTLE,
      want: { run: true, first: 0, observations: 2, runsAt: SETTLE },
    },
    {
      reason: "second observation long after (a requeue delayed by a busy queue): runs",
      stored: stored(),
      now: 3_600_000,
      want: { run: true, first: 0, observations: 2, runsAt: SETTLE },
    },
    {
      reason: "a restart keeps the clock: the status says first observed 7s ago, so 3s are left",
      stored: stored({ observations: 3 }),
      now: 7_000,
      want: { run: false, remainingMs: 3_000, first: 0, observations: 4, runsAt: SETTLE },
    },
    {
      reason: "another plan (spec edit, peer, remote change) restarts the clock at this observation",
      stored: stored({ hash: OTHER.hash, targets: OTHER.targets, observations: 5 }),
      now: 60_000,
      want: { run: false, remainingMs: SETTLE, first: 60_000, observations: 1, runsAt: 60_000 + SETTLE },
    },
    {
      reason: "a first observation in the future (skewed clock) is not trusted: the clock restarts now",
      stored: stored({ firstObservedAt: iso(3_600_000), runsAt: iso(3_600_000 + SETTLE), observations: 2 }),
      now: 5_000,
      want: { run: false, remainingMs: SETTLE, first: 5_000, observations: 1, runsAt: 5_000 + SETTLE },
    },
    {
      reason: "a second observation in the very millisecond of the first counts as the second",
      stored: stored(),
      now: 0,
      want: { run: false, remainingMs: SETTLE, first: 0, observations: 2, runsAt: SETTLE },
    },
    {
      reason: "a stored runsAt is not trusted: the settle time counts from the first observation",
      stored: stored({ runsAt: iso(0) }),
      now: 1_000,
      want: { run: false, remainingMs: 9_000, first: 0, observations: 2, runsAt: SETTLE },
    },
  ])("$reason", (c) => {
    const gate = settleGate(c.stored, PLAN, SETTLE, at(c.now));
    expect(gate.run).toBe(c.want.run);
    if (!gate.run) expect(gate.remainingMs).toBe(c.want.remainingMs);
    expect(gate.pending).toEqual({
      hash: PLAN.hash,
      targets: PLAN.targets,
      firstObservedAt: iso(c.want.first),
      observations: c.want.observations,
      runsAt: iso(c.want.runsAt),
    });
  });

  it("0 disables the gate: a first observation runs at once and no clock is kept", () => {
    expect(settleGate(undefined, PLAN, 0, at(0))).toEqual({ run: true });
    expect(settleGate(stored(), PLAN, 0, at(0))).toEqual({ run: true });
  });

  it("keeps milliseconds: a plan first seen at .999 does not run a second early", () => {
    const first = stored({ firstObservedAt: iso(999), runsAt: iso(999 + SETTLE) });
    expect(settleGate(first, PLAN, SETTLE, at(SETTLE)).run).toBe(false);
    expect(settleGate(first, PLAN, SETTLE, at(SETTLE + 999)).run).toBe(true);
  });
});

describe("settled: the step a decision leads to", () => {
  const remove = {
    kind: "RemoveZones",
    reason: Reason.RemovingZones,
    message: "removing z3 from tenant orders",
    planned: PLAN,
  };

  it("holds a removal as a PlanSettling wait that says when it runs, and keeps the held step for plan", () => {
    const step = settled(remove, undefined, SETTLE, at(0));
    expect(step).toMatchObject({
      kind: "Wait",
      reason: Reason.PlanSettling,
      requeueAfterMs: SETTLE,
      pendingPlan: { hash: PLAN.hash, observations: 1, runsAt: iso(SETTLE) },
      settling: { held: remove },
    });
    expect(step.message).toContain("runs after settle time 10s");
    expect(step.message).toContain(iso(SETTLE));
  });

  it("lets a settled removal through, carrying the clock it leaves in status", () => {
    expect(settled(remove, stored(), SETTLE, at(SETTLE))).toEqual({
      ...remove,
      pendingPlan: stored({ observations: 2 }),
    });
  });

  it("settles before approval: an approval request is held too, under the same hash it asks for", () => {
    const ask: CommonStep = {
      kind: "AwaitApproval",
      reason: Reason.ApprovalRequired,
      message: "removing 3 of 4 zones: approve with kubectl annotate trs orders ...",
      approval: { hash: PLAN.hash, summary: "removing 3 of 4 zones", targets: ["z2"] },
    };
    expect(plannedBy(ask)).toEqual({ hash: PLAN.hash, targets: ["z2"] });
    const held = settled(ask, undefined, SETTLE, at(0));
    expect(held).toMatchObject({ kind: "Wait", reason: Reason.PlanSettling });
    expect(held.message).toContain("asks for approval after settle time");
    // How to approve is said once the plan has settled, not while it may still change.
    expect(held.message).not.toContain("kubectl annotate");
    expect(settled(ask, stored(), SETTLE, at(SETTLE))).toMatchObject({ kind: "AwaitApproval" });
  });

  it("the event names the plan, its targets and when it runs; a settle time not in whole seconds in ms", () => {
    const removeTwo = { ...remove, planned: OTHER };
    const held = settled(removeTwo, undefined, 1_500, at(0));
    expect(held.message).toContain("runs after settle time 1500ms");
    expect("event" in held ? held.event : undefined).toEqual({
      type: "Normal",
      reason: Reason.PlanSettling,
      message: `plan ${OTHER.hash} (z2, z3) runs at ${iso(1_500)} if still the same`,
    });
  });

  it("a removal carrying the approval it uses up is held as a run, not as a new approval request", () => {
    const approved = { ...remove, approval: PLAN.hash };
    const held = settled(approved, undefined, SETTLE, at(0));
    expect(held.message).toMatch(/^removing z3 from tenant orders; runs after settle time 10s/);
    // The approval it names is a hash, not a request: without a plan it plans nothing.
    const { planned: _, ...unplanned } = approved;
    expect(plannedBy(unplanned)).toBeUndefined();
    expect(settled(unplanned, undefined, SETTLE, at(0))).toBe(unplanned);
  });

  it.each([
    ["a RETRY of a failed DAG (an operation in flight, no new plan)", { kind: "RetryDag" }],
    ["a ROLLBACK", { kind: "RollbackDag" }],
    ["a dry run (it never deletes)", { kind: "DryRun", targets: ["z3"] }],
    ["a Ready set", { kind: "Ready" }],
  ])("passes %s through untouched", (_, s) => {
    const step = { reason: Reason.Converged, message: "m", ...s };
    expect(settled(step, stored(), SETTLE, at(0))).toBe(step);
  });
});

describe("withPendingPlan: the clock in status", () => {
  it("is the one the step carries, and is cleared by any step that carries none", () => {
    const clock = stored();
    const bare: { phase: string; pendingPlan?: PendingPlan } = { phase: "Ready" };
    expect(withPendingPlan(bare, { pendingPlan: clock })).toEqual({ phase: "Ready", pendingPlan: clock });
    expect(withPendingPlan({ ...bare, pendingPlan: clock }, {})).toEqual({ phase: "Ready" });
  });

  it("a status with no clock is the same status as before (no key left behind): a set at rest is not written again", () => {
    // status-writer.ts skips the PUT when the computed status is deep-strictly equal to the stored one.
    const bare: { phase: string; pendingPlan?: PendingPlan } = { phase: "Ready" };
    expect(isDeepStrictEqual(withPendingPlan(bare, {}), bare)).toBe(true);
  });
});
