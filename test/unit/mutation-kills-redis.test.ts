// Table cases written against the mutants Stryker left alive in the RedisInstanceSet modules
// (mutation/baseline.json `perFile`): each is a plausible wrong version a tired developer could write,
// asserted through what a user relies on, with sets that name a connection (the recommended config).
import { describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { redisInstanceSetCrd } from "../../src/api/crd.js";
import { Reason } from "../../src/api/reasons.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { identityOf } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import type { ObservedRedis } from "../../src/reconcilers/redis/plan.js";
import { addDcsConnection, type RefRedisOptions, refRedisManifest, remoteOf, world } from "./fleet-world.js";
import { instance, NOW } from "./sets.js";

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
