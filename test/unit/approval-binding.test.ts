import { describe, expect, it } from "vitest";
import {
  type ApprovalTarget,
  approvalHash,
  approvalState,
  continuesApproval,
  recordUsedApproval,
  settleApprovals,
  USED_APPROVALS_KEPT,
  usedApprovals,
} from "../../src/fleet/approval.js";

const trs: ApprovalTarget = {
  kind: "TenantReplicaSet",
  namespace: "team-a",
  name: "orders",
  uid: "9d1c-uid",
  endpoint: "http://10.0.0.1:2886",
  scope: { tenant: "t1" },
  action: "RemoveZones",
  targets: ["z3", "z4", "z5"],
};
const ris: ApprovalTarget = {
  kind: "RedisInstanceSet",
  namespace: "team-a",
  name: "cache",
  uid: "77aa-uid",
  endpoint: "https://dcs.eu-west-101.myhuaweicloud.eu",
  scope: { projectId: "p1" },
  action: "DeleteInstances",
  targets: ["id-1", "id-2"],
};
const now = new Date("2026-11-23T10:00:00Z");

describe("approvalHash binds the plan to its target", () => {
  const base = approvalHash(trs, undefined);
  const differs: { reason: string; changed: ApprovalTarget; previous?: string }[] = [
    {
      reason: "another tenant (story 3: spec.tenant t1 -> t2)",
      changed: { ...trs, scope: { tenant: "t2" } },
    },
    { reason: "another endpoint (another cluster)", changed: { ...trs, endpoint: "http://10.0.0.2:2886" } },
    { reason: "same-size zone list with another zone", changed: { ...trs, targets: ["z3", "z4", "z6"] } },
    { reason: "fewer zones", changed: { ...trs, targets: ["z3", "z4"] } },
    { reason: "another set name", changed: { ...trs, name: "orders-2" } },
    { reason: "another namespace", changed: { ...trs, namespace: "team-b" } },
    { reason: "the set recreated under the same name (new uid)", changed: { ...trs, uid: "other-uid" } },
    { reason: "another kind with the same names", changed: { ...trs, kind: "RedisInstanceSet" } },
    { reason: "chained after a used approval (an identical later plan)", changed: trs, previous: base },
  ];
  it.each(differs)("changes with $reason", ({ changed, previous }) => {
    expect(approvalHash(changed, previous)).not.toBe(base);
  });

  const same: { reason: string; changed: ApprovalTarget }[] = [
    { reason: "targets in another order", changed: { ...trs, targets: ["z5", "z3", "z4"] } },
    { reason: "a target listed twice", changed: { ...trs, targets: ["z3", "z4", "z5", "z4"] } },
    {
      reason: "the endpoint spelled with a trailing slash and upper-case host",
      changed: { ...trs, endpoint: "HTTP://10.0.0.1:2886/" },
    },
  ];
  it.each(same)("is stable under $reason", ({ changed }) => {
    expect(approvalHash(changed, undefined)).toBe(base);
  });

  it("distinguishes same-size instance id lists with different ids, and another project", () => {
    const h = approvalHash(ris, undefined);
    expect(approvalHash({ ...ris, targets: ["id-1", "id-3"] }, undefined)).not.toBe(h);
    expect(approvalHash({ ...ris, scope: { projectId: "p2" } }, undefined)).not.toBe(h);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
  });

  it("does not confuse a tenant and a project of the same name", () => {
    expect(approvalHash({ ...trs, scope: { projectId: "t1" } }, undefined)).not.toBe(base);
  });
});

describe("approvalState", () => {
  const cases: {
    reason: string;
    annotation: string | undefined;
    pending: string | undefined;
    used: string[];
    state: ReturnType<typeof approvalState>;
  }[] = [
    { reason: "nothing needs approval", annotation: "abc", pending: undefined, used: [], state: "none" },
    { reason: "no annotation yet", annotation: undefined, pending: "abc", used: [], state: "pending" },
    { reason: "empty annotation", annotation: " ", pending: "abc", used: [], state: "pending" },
    {
      reason: "the annotation approves the pending plan",
      annotation: "abc",
      pending: "abc",
      used: [],
      state: "given",
    },
    {
      reason: "surrounding whitespace is ignored",
      annotation: " abc\n",
      pending: "abc",
      used: [],
      state: "given",
    },
    {
      reason: "an annotation for another plan",
      annotation: "def",
      pending: "abc",
      used: [],
      state: "pending",
    },
    {
      reason: "the annotation was used by an earlier operation",
      annotation: "def",
      pending: "abc",
      used: ["def"],
      state: "alreadyUsed",
    },
    {
      reason: "a used hash never approves again, even if it were pending again",
      annotation: "abc",
      pending: "abc",
      used: ["abc"],
      state: "alreadyUsed",
    },
  ];
  it.each(cases)("$reason -> $state", ({ annotation, pending, used, state }) => {
    expect(approvalState(annotation, pending, used)).toBe(state);
  });
});

describe("used approvals in status", () => {
  it("an identical plan after a used approval has a new hash, and the old annotation is reported as used", () => {
    const first = approvalHash(trs, undefined);
    expect(approvalState(first, first, [])).toBe("given");
    let used = recordUsedApproval([], first, trs, now);
    used = [...settleApprovals(used, undefined, now)];
    const again = approvalHash(trs, used.at(-1)?.hash);
    expect(again).not.toBe(first);
    expect(
      approvalState(
        first,
        again,
        used.map((u) => u.hash),
      ),
    ).toBe("alreadyUsed");
    expect(
      approvalState(
        again,
        again,
        used.map((u) => u.hash),
      ),
    ).toBe("given");
  });

  it("lets the rest of an approved plan run one operation at a time, and nothing else", () => {
    const hash = approvalHash(trs, undefined);
    const used = recordUsedApproval([], hash, trs, now);
    expect(continuesApproval(used, { ...trs, targets: ["z4", "z5"] })).toBe(true);
    expect(continuesApproval(used, { ...trs, targets: ["z4", "z6"] })).toBe(false);
    expect(continuesApproval(used, { ...trs, targets: ["z4"], scope: { tenant: "t2" } })).toBe(false);
    expect(continuesApproval(used, { ...trs, targets: ["z4"], endpoint: "http://10.0.0.2:2886" })).toBe(
      false,
    );
    expect(continuesApproval(used, { ...trs, targets: [] })).toBe(false);
  });

  it("closes the approval once the plan is done or changed, so a zone list that reappears needs a new one", () => {
    const used = recordUsedApproval([], approvalHash(trs, undefined), trs, now);
    expect(settleApprovals(used, { ...trs, targets: ["z5"] }, now)).toBe(used);
    const done = settleApprovals(used, undefined, now);
    expect(done.at(-1)?.closedAt).toBe(now.toISOString());
    expect(continuesApproval(done, trs)).toBe(false);
    const changed = settleApprovals(used, { ...trs, scope: { tenant: "t2" } }, now);
    expect(continuesApproval(changed, { ...trs, scope: { tenant: "t2" } })).toBe(false);
  });

  it(`keeps the last ${USED_APPROVALS_KEPT}, each closed when the next is used, in the status schema's shape`, () => {
    let used = recordUsedApproval([], "h0", ris, now);
    for (let i = 1; i < 15; i++) used = recordUsedApproval(used, `h${i}`, ris, now);
    expect(used).toHaveLength(USED_APPROVALS_KEPT);
    expect(used.map((u) => u.hash).at(-1)).toBe("h14");
    expect(used.slice(0, -1).every((u) => u.closedAt !== undefined)).toBe(true);
    expect(usedApprovals.safeParse(used).success).toBe(true);
  });
});
