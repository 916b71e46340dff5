// Table cases written against the mutants Stryker left alive in the RedisInstanceSet modules
// (mutation/baseline.json `perFile`): each is a plausible wrong version a tired developer could write,
// asserted through what a user relies on, with sets that name a connection (the recommended config).
import { describe, expect, it } from "vitest";
import { redisInstanceSetCrd } from "../../src/api/crd.js";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import { type DeletionRecord, redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { HUMAN_ERRORS } from "../../src/providers/dcs/human-errors.js";
import { identityOf } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import { resolveDeletions } from "../../src/reconcilers/redis/observe.js";
import {
  notDeletableNow,
  type ObservedRedis,
  PENDING_RESOLVE_MS,
  planRedis,
} from "../../src/reconcilers/redis/plan.js";
import { addDcsConnection, type RefRedisOptions, refRedisManifest, remoteOf, world } from "./fleet-world.js";
import { instance, NOW, redisSet } from "./sets.js";

/** n instances named <prefix>000.. in scope of the default selector. */
const many = (n: number, prefix = "cache-") =>
  Array.from({ length: n }, (_, i) => instance(`${prefix}${String(i).padStart(3, "0")}`));

interface RefCase {
  set?: Partial<RefRedisOptions>;
  listed: ObservedRedis[];
  annotations?: Record<string, string>;
  status?: unknown;
}

/** decideRedis for a set naming the DatabaseConnection <namespace>/dcs, as the engine calls it. */
function decideRef(c: RefCase): RedisStep {
  const w = world();
  const namespace = c.set?.namespace ?? "prod";
  addDcsConnection(w, namespace, "dcs", { endpoint: "https://dcs.example.test", projectId: "p1" });
  const object = refRedisManifest({
    connection: { name: "dcs" },
    instances: ["cache-keep"],
    ...c.set,
    ...(c.annotations ? { annotations: c.annotations } : {}),
    ...(c.status ? { status: c.status } : {}),
  });
  const set = redisInstanceSet.parse(object);
  return decideRedis({
    set,
    status: set.status,
    observed: { projectId: "p1", instances: c.listed },
    fleet: { peersOf: () => [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

describe("decideRedis: the approval hint is a command a person can paste", () => {
  // The CRD's own short name: a hint naming another resource (or none) fails at kubectl, and the plan
  // waits for an approval nobody can give by copying what status says.
  const short = redisInstanceSetCrd().spec.names.shortNames[0];
  const listed = [instance("cache-keep"), ...many(60)];

  it.each([
    ["prod", "cache"],
    ["team-a", "sessions"],
  ])("a 60-instance plan of %s/%s asks for its own annotate command", (namespace, name) => {
    const step = decideRef({ set: { namespace, name }, listed });
    if (step.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${step.kind}`);
    expect(step.reason).toBe(Reason.ApprovalRequired);
    expect(step.message).toContain(
      `approve with kubectl annotate ${short} ${name} -n ${namespace} --overwrite ${APPROVE_PLAN_ANNOTATION}=${step.approval.hash}`,
    );
  });

  it("an approval already used names the same command to approve again", () => {
    const first = decideRef({ listed });
    if (first.kind !== "AwaitApproval") throw new Error(`expected AwaitApproval, got ${first.kind}`);
    const hash = first.approval.hash;
    const step = decideRef({
      listed,
      annotations: { [APPROVE_PLAN_ANNOTATION]: hash },
      status: { usedApprovals: [{ hash, usedAt: "2026-11-23T09:00:00.000Z" }] },
    });
    expect(step.kind).toBe("AwaitApproval");
    expect(step.reason).toBe(Reason.ApprovalAlreadyUsed);
    expect(step.message).toContain(
      `kubectl annotate ${short} cache -n prod --overwrite ${APPROVE_PLAN_ANNOTATION}=${hash}`,
    );
  });
});

describe("notDeletableNow: the victim re-read's one rule, by the instance's own state", () => {
  // What the re-read right before the DELETE asks of each victim: a wrong version that lets one of these
  // through sends a DELETE for an instance DCS must not (or cannot) delete now.
  const idle = { status: "RUNNING", busy: false, prepaid: false };
  it.each<[string, Parameters<typeof notDeletableNow>[0], "human" | "wait" | undefined]>([
    ["running and idle", idle, undefined],
    ["frozen", { ...idle, status: "FROZEN" }, "human"],
    ["freezing", { ...idle, status: "FREEZING" }, "human"],
    ["create failed", { ...idle, status: "CREATEFAILED" }, "human"],
    ["in error", { ...idle, status: "ERROR" }, "human"],
    ["prepaid (yearly/monthly)", { ...idle, prepaid: true }, "human"],
    ["busy-ness not shown by DCS", { ...idle, busy: true, busyUnknown: true }, "human"],
    ["frozen and busy", { ...idle, status: "FROZEN", busy: true }, "human"],
    ["prepaid and being deleted", { ...idle, status: "DELETING", prepaid: true }, "human"],
    ["busy (a task runs)", { ...idle, busy: true }, "wait"],
    ["being deleted", { ...idle, status: "DELETING" }, "wait"],
    ["restarting", { ...idle, status: "RESTARTING" }, "wait"],
    ["paying", { ...idle, status: "PAYING" }, "wait"],
    ["extending and busy", { ...idle, status: "EXTENDING", busy: true }, "wait"],
  ])("%s: %s", (_, state, want) => {
    expect(notDeletableNow(state)).toBe(want);
  });
});

describe("planRedis: a refusal only a person can clear names the person's action", () => {
  const refused = (name: string, code: string): DeletionRecord => ({
    id: `id-${name}`,
    name,
    requestedAt: "2026-11-23T09:59:55.000Z",
    result: "failed",
    attempts: 1,
    lastError: "refused",
    lastErrorCode: code,
  });
  const spec = redisSet({ instances: ["cache-keep"] }).spec;
  const listed = [instance("cache-keep"), ...many(12)];

  // needsHuman reads a code with stray spaces (as some gateways pad it) as the code: the action shown
  // must be that code's too, not "see the DCS error code".
  it.each(["DCS.4107", " DCS.4107", "DCS.4107 ", "CBC.30050010"])("code %o", (code) => {
    const plan = planRedis(spec, listed, [refused("cache-003", code), refused("cache-010", code)], NOW);
    const action = HUMAN_ERRORS[code.trim()]?.action ?? "-";
    expect(plan.needHuman.map((h) => [h.instance.name, h.why])).toEqual([
      ["cache-003", `refused with ${code}: ${action}`],
      ["cache-010", `refused with ${code}: ${action}`],
    ]);
    expect(plan.next.map((i) => i.name)).not.toContain("cache-003");
    expect(plan.next).toHaveLength(10);
  });
});

describe("resolveDeletions: the records status keeps", () => {
  const at = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
  const rec = (name: string, o: Partial<DeletionRecord> = {}): DeletionRecord => ({
    id: `id-${name}`,
    name,
    requestedAt: at(10_000),
    result: "pending",
    attempts: 1,
    ...o,
  });

  it("a lost reply still listed when PENDING_RESOLVE_MS has just passed: failed, the wait named in seconds", () => {
    const [resolved] = resolveDeletions(
      [rec("cache-002", { requestedAt: at(PENDING_RESOLVE_MS) })],
      [instance("cache-002")],
      NOW,
    );
    expect(resolved).toMatchObject({
      result: "failed",
      lastError: `the delete's reply was lost and the instance is still listed (RUNNING) after ${PENDING_RESOLVE_MS / 1000} s`,
    });
  });

  it("each record once: live ones first, then the gone ones newest first (fewer than 50 gone)", () => {
    const listed = many(6);
    const live = [
      rec("cache-001"),
      rec("cache-003", { result: "success" }),
      rec("cache-005", { result: "failed", attempts: 2 }),
    ];
    const gone = [
      rec("cache-100", { result: "success", goneAt: at(300_000) }),
      rec("cache-101", { result: "success", goneAt: at(100_000) }),
      rec("cache-102", { result: "failed", goneAt: at(200_000) }),
    ];
    const out = resolveDeletions([...gone, ...live, rec("cache-103", { result: "success" })], listed, NOW);
    expect(out.map((r) => r.name)).toEqual([
      "cache-001",
      "cache-003",
      "cache-005",
      "cache-103",
      "cache-101",
      "cache-102",
      "cache-100",
    ]);
  });
});
