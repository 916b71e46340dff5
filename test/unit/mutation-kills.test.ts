// Cases that `make mutation` showed missing: each block names the behaviour a surviving mutant broke
// without any test noticing (mutation/baseline.json lists the run).
import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import { redisInstanceSetSpec } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSetSpec } from "../../src/api/tenant-replica-set.js";
import { getCondition, removeCondition, setCondition } from "../../src/controller/conditions.js";
import {
  computeSignature,
  EMPTY_BODY_SHA256,
  parseAuthorization,
  signRequest,
  urlEncode,
} from "../../src/providers/dcs/signer.js";
import { needsApproval, targetHash } from "../../src/reconcilers/approval.js";
import { approvalGate, keepUsedApprovals, useApproval } from "../../src/reconcilers/engine/approval-gate.js";
import type { SetIdentity } from "../../src/reconcilers/engine/kind.js";
import { clean, conditionsFor, type SharedStatus, withOutcome } from "../../src/reconcilers/engine/status.js";
import { type Phase, phaseOf, stall, wait } from "../../src/reconcilers/engine/step.js";
import {
  batches,
  inScope,
  type ObservedRedis,
  planRedis,
  retryDelayMs,
} from "../../src/reconcilers/redis/plan.js";
import { planTenant, type TenantObservation } from "../../src/reconcilers/tenant/plan.js";

const t0 = new Date("2026-11-23T07:00:00.123Z");
const t1 = new Date("2026-11-23T07:05:00Z");

const id = (annotations: Record<string, string> = {}, generation: number | undefined = 3): SetIdentity => ({
  namespace: "prod",
  name: "orders",
  generation,
  annotations,
});

describe("approval hashes", () => {
  const base = {
    kind: "DeleteInstances" as const,
    namespace: "prod",
    name: "cache",
    remote: "dcs|project-a",
    scope: "project-a",
    targets: ["id-1", "id-2"],
  };

  it("differ for target lists of the same size, and for every other part of the target", () => {
    const h = targetHash(base);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(targetHash({ ...base, targets: ["id-1", "id-3"] })).not.toBe(h);
    expect(targetHash({ ...base, kind: "RemoveZones" })).not.toBe(h);
    expect(targetHash({ ...base, namespace: "dev" })).not.toBe(h);
    expect(targetHash({ ...base, name: "cache2" })).not.toBe(h);
    expect(targetHash({ ...base, remote: "dcs|project-b" })).not.toBe(h);
    expect(targetHash({ ...base, scope: "project-b" })).not.toBe(h);
  });

  it("ignore the order of the targets", () => {
    expect(targetHash({ ...base, targets: ["id-2", "id-1"] })).toBe(targetHash(base));
  });

  it("binds the kind of action and the exact targets", () => {
    const h = targetHash(base);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(targetHash({ ...base, targets: ["id-1", "id-3"] })).not.toBe(h);
    expect(targetHash({ ...base, kind: "RemoveZones" as "RemoveZones" | "DeleteInstances" })).not.toBe(h);
  });
});

describe("needsApproval", () => {
  it.each([
    // removing, owned, perOperation, threshold, expected
    [0, 10, 5, undefined, false],
    [0, 10, 5, 0, false],
    [3, 10, 5, 3, false],
    [4, 10, 5, 3, true],
    [5, 10, 50, undefined, false],
    [6, 10, 50, undefined, true],
    [5, 100, 5, undefined, false],
    [6, 100, 5, undefined, true],
    [1, 1, 50, undefined, true],
    [1, 2, 50, undefined, false],
  ])(
    "removing %i of %i (per operation %i, threshold %s) -> %s",
    (removing, owned, per, threshold, expected) => {
      expect(needsApproval(removing, owned, per, threshold)).toBe(expected);
    },
  );
});

describe("approval gate", () => {
  const request = { hash: "abcdef0123456789", summary: "delete 3 instances", targets: ["a", "b", "c"] };

  it("runs without approval when none is required, whatever the annotation says", () => {
    expect(
      approvalGate(false, request, id({ [APPROVE_PLAN_ANNOTATION]: "other" }), "ris", undefined),
    ).toEqual({
      run: true,
    });
  });

  it("waits with the exact kubectl command when the annotation is missing or for another plan", () => {
    for (const annotations of [{}, { [APPROVE_PLAN_ANNOTATION]: "0000000000000000" }]) {
      const gate = approvalGate(true, request, id(annotations), "ris", undefined);
      expect(gate).toEqual({
        run: false,
        step: {
          kind: "AwaitApproval",
          reason: Reason.ApprovalRequired,
          message: `delete 3 instances: approve with kubectl annotate ris orders -n prod --overwrite ${APPROVE_PLAN_ANNOTATION}=abcdef0123456789`,
          approval: request,
        },
      });
    }
  });

  it("runs an approved plan once and consumes the hash; refuses it when already used", () => {
    const approved = id({ [APPROVE_PLAN_ANNOTATION]: request.hash });
    expect(approvalGate(true, request, approved, "ris", [{ hash: "someother" }])).toEqual({
      run: true,
      consumes: request.hash,
    });
    const used = approvalGate(true, request, approved, "trs", [{ hash: request.hash }]);
    expect(used.run).toBe(false);
    if (used.run) return;
    expect(used.step.reason).toBe(Reason.ApprovalAlreadyUsed);
    expect(used.step.kind).toBe("AwaitApproval");
    expect(used.step.message).toContain("approval abcdef0123456789 was already used once");
    expect(used.step.message).toContain(`kubectl annotate trs orders -n prod --overwrite`);
  });

  it("refuses a used approval among others, and asks anew when the annotation is gone", () => {
    const approved = id({ [APPROVE_PLAN_ANNOTATION]: request.hash });
    const used = [{ hash: "older" }, { hash: request.hash }];
    const again = approvalGate(true, request, approved, "ris", used);
    expect(again.run ? undefined : again.step.reason).toBe(Reason.ApprovalAlreadyUsed);
    const removed = approvalGate(true, request, id({}), "ris", used);
    expect(removed.run ? undefined : removed.step.reason).toBe(Reason.ApprovalRequired);
  });

  it("forgets used approvals once the annotation no longer carries them", () => {
    const used = [
      { hash: "h1", usedAt: "t" },
      { hash: "h2", usedAt: "t" },
    ];
    expect(keepUsedApprovals(used, id({ [APPROVE_PLAN_ANNOTATION]: "h2" }))).toEqual([
      { hash: "h2", usedAt: "t" },
    ]);
    expect(keepUsedApprovals(used, id({}))).toBeUndefined();
    expect(keepUsedApprovals(undefined, id({ [APPROVE_PLAN_ANNOTATION]: "h2" }))).toBeUndefined();
  });

  it("records a use first, without duplicates, and keeps at most 20", () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ hash: `h${i}`, usedAt: "old" }));
    const next = useApproval(many, "h3", "now");
    expect(next.length).toBe(20);
    expect(next[0]).toEqual({ hash: "h3", usedAt: "now" });
    expect(next.filter((u) => u.hash === "h3").length).toBe(1);
    expect(next[1]).toEqual({ hash: "h0", usedAt: "old" });
    expect(useApproval(undefined, "h", "now")).toEqual([{ hash: "h", usedAt: "now" }]);
  });
});

describe("conditions", () => {
  it("stamp observedGeneration only when a generation is given, and the time without milliseconds", () => {
    const c = setCondition(
      [],
      { type: "Ready", status: "True", reason: "Converged", message: "ok" },
      undefined,
      t0,
    );
    expect(c).toEqual([
      {
        type: "Ready",
        status: "True",
        reason: "Converged",
        message: "ok",
        lastTransitionTime: "2026-11-23T07:00:00Z",
      },
    ]);
  });

  it("store Reconciling and Stalled when True or Unknown, replace in place, and remove them when False", () => {
    let c = setCondition([], { type: "Ready", status: "False", reason: "R", message: "m" }, 1, t0);
    c = setCondition(c, { type: "Reconciling", status: "True", reason: "R", message: "m" }, 1, t0);
    c = setCondition(c, { type: "Stalled", status: "Unknown", reason: "S", message: "m" }, 1, t0);
    expect(c.map((x) => `${x.type}=${x.status}`)).toEqual([
      "Ready=False",
      "Reconciling=True",
      "Stalled=Unknown",
    ]);
    c = setCondition(c, { type: "Reconciling", status: "True", reason: "R2", message: "m2" }, 2, t1);
    expect(c.map((x) => x.type)).toEqual(["Ready", "Reconciling", "Stalled"]);
    expect(getCondition(c, "Reconciling")).toMatchObject({ reason: "R2", observedGeneration: 2 });
    expect(getCondition(c, "Reconciling")?.lastTransitionTime).toBe("2026-11-23T07:00:00Z");
    c = setCondition(c, { type: "Reconciling", status: "False", reason: "", message: "" }, 2, t1);
    expect(c.map((x) => x.type)).toEqual(["Ready", "Stalled"]);
    // False for a condition that is not there: nothing to remove, nothing added, the others stay.
    expect(setCondition([], { type: "Stalled", status: "False", reason: "", message: "" }, 1, t0)).toEqual(
      [],
    );
    const onlyReady = setCondition([], { type: "Ready", status: "True", reason: "R", message: "m" }, 1, t0);
    expect(
      setCondition(onlyReady, { type: "Stalled", status: "False", reason: "", message: "" }, 1, t0),
    ).toEqual(onlyReady);
  });

  it("remove and read by type", () => {
    const c = setCondition([], { type: "Ready", status: "True", reason: "R", message: "m" }, 1, t0);
    expect(getCondition(c, "Ready")?.status).toBe("True");
    expect(getCondition(c, "Stalled")).toBeUndefined();
    expect(getCondition(undefined, "Ready")).toBeUndefined();
    expect(removeCondition(c, "Ready")).toEqual([]);
    expect(removeCondition(c, "Stalled")).toEqual(c);
    expect(removeCondition(undefined, "Ready")).toEqual([]);
  });
});

describe("the shared status", () => {
  const phases: Phase[] = ["Ready", "Reconciling", "Stalled", "Paused", "DryRun"];

  it.each(phases)(
    "Ready is True only in phase Ready; Reconciling and Stalled only in their own (%s)",
    (phase) => {
      const c = conditionsFor(undefined, { phase, reason: Reason.Converged, message: "m" }, 4, t1);
      expect(getCondition(c, "Ready")?.status).toBe(phase === "Ready" ? "True" : "False");
      expect(getCondition(c, "Reconciling")?.status).toBe(phase === "Reconciling" ? "True" : undefined);
      expect(getCondition(c, "Stalled")?.status).toBe(phase === "Stalled" ? "True" : undefined);
      for (const x of c)
        expect(x).toMatchObject({ reason: Reason.Converged, message: "m", observedGeneration: 4 });
    },
  );

  it("stamps the generation the decision was made for, and keeps the stored one when none is known", () => {
    const status: SharedStatus & { zones: string[] } = {
      phase: "Stalled",
      observedGeneration: 1,
      zones: ["z1"],
    };
    const outcome = { phase: "Ready" as const, reason: Reason.Converged, message: "ok" };
    const next = withOutcome(status, outcome, 2, t1);
    expect(next).toMatchObject({ phase: "Ready", observedGeneration: 2, zones: ["z1"] });
    expect(getCondition(next.conditions, "Ready")?.observedGeneration).toBe(2);
    const unknown = withOutcome(status, outcome, undefined, t1);
    expect(unknown.observedGeneration).toBe(1);
    expect(getCondition(unknown.conditions, "Ready")).not.toHaveProperty("observedGeneration");
  });

  it("clean drops undefined members so a recomputed status compares equal", () => {
    expect(clean({ a: 1, b: undefined, c: { d: undefined, e: [1] } })).toEqual({ a: 1, c: { e: [1] } });
    expect(Object.keys(clean({ a: 1, b: undefined }))).toEqual(["a"]);
  });
});

describe("steps", () => {
  it("map each shared kind to its phase, kind-specific steps to Reconciling, and honour an override", () => {
    expect(phaseOf(stall(Reason.TenantNotFound, "m"))).toBe("Stalled");
    expect(phaseOf({ kind: "Ready" })).toBe("Ready");
    expect(phaseOf(wait(Reason.DagRunning, "m", 50))).toBe("Reconciling");
    expect(phaseOf({ kind: "AwaitApproval" })).toBe("Stalled");
    expect(phaseOf({ kind: "DryRun" })).toBe("DryRun");
    expect(phaseOf({ kind: "Paused" })).toBe("Paused");
    expect(phaseOf({ kind: "RemoveZones" })).toBe("Reconciling");
    expect(phaseOf({ kind: "DeleteRefused", phase: "Stalled" })).toBe("Stalled");
    expect(stall(Reason.TenantNotFound, "m")).toEqual({
      kind: "Stall",
      reason: Reason.TenantNotFound,
      message: "m",
    });
    expect(wait(Reason.DagRunning, "m", 50)).toEqual({
      kind: "Wait",
      reason: Reason.DagRunning,
      message: "m",
      requeueAfterMs: 50,
    });
  });
});

describe("DCS signer details", () => {
  const url = new URL("https://dcs.example.com/v2/p/instances?b=2&a=1");
  const last = (canonical: string) => canonical.split("\n").at(-1);

  it("encodes bytes below 0x10 with two hex digits", () => {
    expect(urlEncode("a\nb")).toBe("a%0Ab");
    expect(urlEncode("\u0001")).toBe("%01");
  });

  it("signs headers sorted by lower-cased name, whatever order they come in", () => {
    const parts = computeSignature(
      { method: "get", url, headers: { "X-Zeta": " z ", host: "h", "X-Alpha": "a", "Content-Type": "c" } },
      "SK",
      "20191115T033655Z",
    );
    expect(parts.signedHeaders).toBe("content-type;host;x-alpha;x-zeta");
    expect(parts.canonicalRequest.split("\n").slice(0, 7)).toEqual([
      "GET",
      "/v2/p/instances/",
      "a=1&b=2",
      "content-type:c",
      "host:h",
      "x-alpha:a",
      "x-zeta:z",
    ]);
  });

  it("hashes an absent or empty body as the empty string, a body as itself, and honours X-Sdk-Content-Sha256", () => {
    const sign = (headers: Record<string, string>, body?: string) =>
      last(
        computeSignature({ method: "POST", url, headers, body }, "SK", "20191115T033655Z").canonicalRequest,
      );
    expect(sign({ host: "h" })).toBe(EMPTY_BODY_SHA256);
    expect(sign({ host: "h" }, "")).toBe(EMPTY_BODY_SHA256);
    expect(sign({ host: "h" }, "{}")).toBe(
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
    expect(sign({ host: "h", "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD" }, "{}")).toBe("UNSIGNED-PAYLOAD");
  });

  it("adds X-Sdk-Date and host only when absent, in any letter case", () => {
    const given = signRequest(
      { method: "GET", url, headers: { "x-sdk-date": "20191115T033655Z", Host: "proxy.example" } },
      { accessKey: "AK", secretKey: "SK" },
      new Date(0),
    );
    expect(Object.keys(given).sort()).toEqual(["Authorization", "Host", "x-sdk-date"]);
    expect(given.Authorization).toContain("SignedHeaders=host;x-sdk-date,");
    const added = signRequest(
      { method: "GET", url, headers: {} },
      { accessKey: "AK", secretKey: "SK" },
      new Date(0),
    );
    expect(added["X-Sdk-Date"]).toBe("19700101T000000Z");
    expect(added.host).toBe("dcs.example.com");
  });

  it("parses an Authorization header with any spacing, and only one that starts with the algorithm", () => {
    expect(
      parseAuthorization("  SDK-HMAC-SHA256  Access=AK,SignedHeaders=host;x-sdk-date,  Signature=0af9  "),
    ).toEqual({ accessKey: "AK", signedHeaders: ["host", "x-sdk-date"], signature: "0af9" });
    expect(
      parseAuthorization("XSDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0af9"),
    ).toBeUndefined();
    expect(
      parseAuthorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0af9 extra"),
    ).toBeUndefined();
    expect(
      parseAuthorization("SDK-HMAC-SHA256Access=AK, SignedHeaders=host, Signature=0af9"),
    ).toBeUndefined();
  });
});

describe("planTenant guards", () => {
  const spec = (zones: string[], policy: Record<string, unknown> = {}) =>
    tenantReplicaSetSpec.parse({
      obshell: { endpoint: "http://127.0.0.1:2886", credentialsSecretRef: { name: "s" } },
      tenant: "t1",
      zones,
      policy,
    });
  const tenant = (
    replicas: [string, string][],
    extra: Partial<TenantObservation> = {},
  ): TenantObservation => ({
    name: "t1",
    status: "NORMAL",
    replicas: replicas.map(([zone, type]) => ({ zone, type })),
    primaryZone: "RANDOM",
    pools: replicas.map(([zone]) => ({ name: `pool_${zone}`, zones: [zone] })),
    ...extra,
  });
  const reasons = (plan: ReturnType<typeof planTenant>) => plan.blockers.map((b) => b.reason);
  const three: [string, string][] = [
    ["z1", "FULL"],
    ["z2", "FULL"],
    ["z3", "FULL"],
  ];

  it("an unknown tenant: nothing to remove, not converged, no approval", () => {
    const plan = planTenant(spec(["z1"]), undefined);
    expect(plan).toEqual({
      zonesToRemove: [],
      nextOperation: [],
      approval: { required: false, summary: "" },
      converged: false,
      blockers: [{ reason: "TenantNotFound", message: 'obshell does not know tenant "t1"' }],
    });
  });

  it("removes in sorted order and converges only with nothing to remove and no blocker", () => {
    const plan = planTenant(
      spec(["z2"]),
      tenant([
        ["z3", "FULL"],
        ["z2", "FULL"],
        ["z1", "FULL"],
        ["z4", "FULL"],
      ]),
    );
    expect(plan.zonesToRemove).toEqual(["z1", "z3", "z4"]);
    expect(plan.converged).toBe(false);
    expect(plan.approval.summary).toBe("remove 3 of 4 replica zone(s) of tenant t1: z1, z3, z4");
    expect(planTenant(spec(["z1", "z2", "z3"]), tenant(three)).converged).toBe(true);
    expect(planTenant(spec(["z1", "z2", "z3"]), tenant(three, { status: "LOCKED" })).converged).toBe(false);
  });

  it("a tenant that is not NORMAL is a blocker naming its status", () => {
    const plan = planTenant(spec(["z1", "z2"]), tenant(three, { status: "RESTORE" }));
    expect(plan.blockers).toContainEqual({
      reason: "TenantNotNormal",
      message: "tenant status is RESTORE, not NORMAL",
    });
  });

  it("never removes the last replica, and keeps a FULL majority", () => {
    expect(reasons(planTenant(spec(["z9"]), tenant([["z1", "FULL"]])))).toContain("WouldRemoveLastReplica");
    expect(reasons(planTenant(spec(["z1", "z2", "z3"]), tenant(three)))).toEqual([]);
    // 3 FULL -> 1 FULL: no majority left.
    const one = planTenant(spec(["z1"]), tenant(three));
    expect(reasons(one)).toEqual(["PaxosMajority"]);
    expect(one.blockers[0]?.message).toBe(
      "removing z2, z3 leaves 1 FULL replica(s) of 3; OceanBase needs at least 2 to stay available",
    );
    // 3 FULL -> 2 FULL is fine; a READONLY does not count as FULL.
    expect(reasons(planTenant(spec(["z1", "z2"]), tenant(three)))).toEqual([]);
    expect(
      reasons(
        planTenant(
          spec(["z1", "z3"]),
          tenant([
            ["z1", "FULL"],
            ["z2", "FULL"],
            ["z3", "READONLY"],
          ]),
        ),
      ),
    ).toEqual(["PaxosMajority"]);
    // A single FULL replica that stays, with a READONLY removed: allowed.
    expect(
      reasons(
        planTenant(
          spec(["z1"]),
          tenant([
            ["z1", "FULL"],
            ["z2", "READONLY"],
          ]),
        ),
      ),
    ).toEqual([]);
  });

  it("a zone in the first priority of primary_zone blocks, with the zones named", () => {
    const plan = planTenant(spec(["z2", "z3"]), tenant(three, { primaryZone: "z1;z2,z3" }));
    expect(plan.blockers).toEqual([
      {
        reason: "PrimaryZoneNeeded",
        zones: ["z1"],
        message:
          'zone(s) z1 are in the first priority of primary_zone "z1;z2,z3": change the tenant\'s primary zone first',
      },
    ]);
    expect(reasons(planTenant(spec(["z1", "z2"]), tenant(three, { primaryZone: "z1;z2,z3" })))).toEqual([]);
  });

  it("a pool left in a zone with no replica blocks once nothing else is to be removed", () => {
    const observed = tenant(three.slice(0, 2), {
      pools: [
        { name: "pool_z1", zones: ["z1"] },
        { name: "pool_z2", zones: ["z2"] },
        { name: "pool_z3", zones: ["z3"] },
        { name: "pool_mixed", zones: ["z2", "z4"] },
        { name: "pool_empty", zones: [] },
      ],
    });
    const plan = planTenant(spec(["z1", "z2"]), observed);
    expect(plan.blockers).toEqual([
      {
        reason: "LeftoverPool",
        pools: ["pool_z3"],
        message:
          "resource pool(s) pool_z3 remain in zones with no replica: a scale-in DAG failed after its locality change; RETRY it",
      },
    ]);
    expect(plan.converged).toBe(false);
    // While zones are still to be removed, pools of those zones are expected: no LeftoverPool.
    expect(reasons(planTenant(spec(["z1"]), { ...observed, replicas: observed.replicas }))).not.toContain(
      "LeftoverPool",
    );
  });

  it("a tenant with no replica at all: only the missing zones block, with every name in the messages", () => {
    expect(planTenant(spec(["z1"]), tenant([])).blockers.map((b) => b.reason)).toEqual([
      "DesiredZoneMissing",
    ]);
    const last = planTenant(spec(["z9"]), tenant([["z1", "FULL"]])).blockers;
    expect(last).toContainEqual({
      reason: "WouldRemoveLastReplica",
      message: "the plan would remove every replica of the tenant",
    });
    expect(planTenant(spec(["z1", "z7", "z8"]), tenant(three)).blockers[0]?.message).toContain("z7, z8 hold");
    expect(
      planTenant(spec(["z3"]), tenant(three, { primaryZone: "z1,z2;z3" })).blockers.find(
        (b) => b.reason === "PrimaryZoneNeeded",
      )?.message,
    ).toContain("zone(s) z1, z2 are");
  });

  it("names the missing desired zones", () => {
    expect(planTenant(spec(["z1", "z7"]), tenant(three)).blockers[0]).toEqual({
      reason: "DesiredZoneMissing",
      zones: ["z7"],
      message:
        'desired zone(s) z7 hold no replica of "t1"; nothing is removed until every desired zone exists',
    });
  });
});

describe("planRedis states and records", () => {
  const NOW = new Date("2026-11-23T08:00:00Z");
  const spec = (
    instances: string[],
    policy: Record<string, unknown> = {},
    selector: Record<string, unknown> = { namePrefix: "c-" },
  ) =>
    redisInstanceSetSpec.parse({
      dcs: { endpoint: "http://127.0.0.1:1", projectId: "p", credentialsSecretRef: { name: "s" } },
      selector,
      instances,
      policy,
    });
  const inst = (n: number, extra: Partial<ObservedRedis> = {}): ObservedRedis => ({
    id: `id-${n}`,
    name: `c-${n}`,
    status: "RUNNING",
    tags: {},
    busy: false,
    prepaid: false,
    ...extra,
  });
  const record = (
    n: number,
    result: "pending" | "success" | "failed",
    agoMs: number,
    attempts = 1,
    lastError?: string,
  ) => ({
    id: `id-${n}`,
    name: `c-${n}`,
    requestedAt: new Date(NOW.getTime() - agoMs).toISOString(),
    result,
    attempts,
    ...(lastError ? { lastError } : {}),
  });
  const ids = (list: readonly { id: string }[]) => list.map((i) => i.id);

  it.each([
    "CREATING",
    "RESTARTING",
    "EXTENDING",
    "RESTORING",
    "FLUSHING",
    "MIGRATING",
    "UPGRADING",
    "DELETING",
    "PAYING",
  ])("waits for an instance in %s", (status) => {
    const plan = planRedis(spec(["c-0"]), [inst(0), inst(1, { status })], [], NOW);
    expect(ids(plan.waiting)).toEqual(["id-1"]);
    expect(plan.next).toEqual([]);
  });

  it.each(["FROZEN", "FREEZING", "CREATEFAILED", "ERROR"])(
    "leaves an instance in %s to a person",
    (status) => {
      const plan = planRedis(spec(["c-0"]), [inst(0), inst(1, { status })], [], NOW);
      expect(plan.needHuman).toEqual([{ instance: inst(1, { status }), why: `status ${status}` }]);
    },
  );

  it("waits for a busy instance, leaves a prepaid one to a person", () => {
    const plan = planRedis(
      spec(["c-0"]),
      [inst(0), inst(1, { busy: true }), inst(2, { prepaid: true })],
      [],
      NOW,
    );
    expect(ids(plan.waiting)).toEqual(["id-1"]);
    expect(plan.needHuman).toEqual([
      { instance: inst(2, { prepaid: true }), why: "yearly/monthly: unsubscribe it in the console" },
    ]);
  });

  it("never sends an accepted or pending deletion again; asks a person once an accepted one stays 15 min", () => {
    const observed = [inst(0), inst(1), inst(2), inst(3)];
    const records = [
      record(1, "success", 15 * 60_000),
      record(2, "pending", 60 * 60_000),
      record(3, "success", 15 * 60_000 + 60_000),
    ];
    const plan = planRedis(spec(["c-0"]), observed, records, NOW);
    expect(plan.next).toEqual([]);
    expect(ids(plan.waiting)).toEqual(["id-1", "id-2"]);
    expect(plan.needHuman).toEqual([
      { instance: inst(3), why: "accepted 16 min ago and still listed (RUNNING)" },
    ]);
  });

  it("gives up after three refusals and names the last error; backs off 30 s doubling before that", () => {
    const observed = [inst(0), inst(1), inst(2), inst(3)];
    const plan = planRedis(
      spec(["c-0"]),
      observed,
      [
        record(1, "failed", 10 * 60_000, 3, "DCS.4848"),
        record(2, "failed", 60_000 - 1, 2),
        record(3, "failed", 60_000, 2),
      ],
      NOW,
    );
    expect(plan.needHuman).toEqual([{ instance: inst(1), why: "refused 3 times (DCS.4848)" }]);
    expect(ids(plan.backingOff)).toEqual(["id-2"]);
    expect(ids(plan.next)).toEqual(["id-3"]);
    expect(planRedis(spec(["c-0"]), observed, [record(1, "failed", 0, 3)], NOW).needHuman[0]?.why).toBe(
      "refused 3 times",
    );
  });

  it("retry delays: 30 s, 60 s, 120 s, capped at 10 min", () => {
    expect([0, 1, 2, 3, 10].map(retryDelayMs)).toEqual([30_000, 30_000, 60_000, 120_000, 600_000]);
  });

  it("keeps by id as well as by name, and sorts what goes by name", () => {
    const plan = planRedis(spec(["id-2"]), [inst(3), inst(2), inst(1)], [], NOW);
    expect(ids(plan.toDelete)).toEqual(["id-1", "id-3"]);
    expect(plan.missing).toEqual([]);
  });

  it("an empty list deletes everything in scope only with allowEmpty; no selector owns nothing", () => {
    // The schema refuses this spec; the planner refuses it again (defence in depth for a spec parsed elsewhere).
    const allowed = spec([], { allowEmpty: true });
    const refused = { ...allowed, policy: { ...allowed.policy, allowEmpty: false } };
    expect(planRedis(refused, [inst(1)], [], NOW).blockers.map((b) => b.reason)).toEqual([
      "EmptyWithoutAllowEmpty",
    ]);
    expect(planRedis(spec([], { allowEmpty: true }), [inst(1)], [], NOW).blockers).toEqual([]);
    // The schema refuses a selector with neither field; the planner owns nothing under one anyway.
    expect(inScope({}, inst(1))).toBe(false);
    expect(inScope({ tags: {} }, inst(1))).toBe(true);
  });

  it("names every missing instance, and says how to delete everything", () => {
    expect(planRedis(spec(["c-7", "c-8"]), [inst(1)], [], NOW).blockers[0]?.message).toBe(
      "spec.instances names c-7, c-8, which no instance in scope has: nothing is deleted until the list is right (a typo would delete the instance meant)",
    );
    const allowed = spec([], { allowEmpty: true });
    const refused = { ...allowed, policy: { ...allowed.policy, allowEmpty: false } };
    expect(planRedis(refused, [], [], NOW).blockers[0]?.message).toBe(
      "spec.instances is empty: set policy.allowEmpty to delete everything in scope",
    );
  });

  it("never touches a contested instance", () => {
    const plan = planRedis(spec(["c-0"]), [inst(0), inst(1), inst(2)], [], NOW, (i) =>
      i.id === "id-1" ? ["other"] : [],
    );
    expect(plan.contested).toEqual([{ instance: inst(1), peers: ["other"] }]);
    expect(ids(plan.toDelete)).toEqual(["id-2"]);
  });

  it("converges only with nothing to delete and no blocker; the summary lists at most 20 names", () => {
    expect(planRedis(spec(["c-0"]), [inst(0)], [], NOW).converged).toBe(true);
    expect(planRedis(spec(["c-0", "c-9"]), [inst(0)], [], NOW).converged).toBe(false);
    const many = Array.from({ length: 22 }, (_, i) => inst(i + 10));
    const plan = planRedis(spec(["c-10"], { maxDeletionsPerOperation: 5 }), many, [], NOW);
    expect(plan.next.length).toBe(5);
    expect(plan.approval.summary).toMatch(
      /^delete 21 of 22 instance\(s\) in scope: c-11, c-12, .*, c-30, \.\.\.$/,
    );
    const twenty = planRedis(spec(["c-10"]), many.slice(0, 21), [], NOW);
    expect(twenty.approval.summary.endsWith("c-30")).toBe(true);
  });

  it("splits into batches of 50 in order", () => {
    const items = Array.from({ length: 101 }, (_, i) => i);
    expect(batches(items).map((b) => [b[0], b.length])).toEqual([
      [0, 50],
      [50, 50],
      [100, 1],
    ]);
  });
});
