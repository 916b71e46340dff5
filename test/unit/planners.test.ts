import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redisInstanceSetSpec } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSetSpec } from "../../src/api/tenant-replica-set.js";
import { BATCH_LIMIT, batches, type ObservedRedis, planRedis } from "../../src/reconcilers/redis/plan.js";
import { planTenant, type TenantObservation } from "../../src/reconcilers/tenant/plan.js";

const ZONES = ["z1", "z2", "z3", "z4", "z5"];
const endpoint = { endpoint: "http://127.0.0.1:2886", credentialsSecretRef: { name: "s" } };

const tenantCase = fc.record({
  observedZones: fc.subarray(ZONES, { minLength: 1 }),
  types: fc.array(fc.constantFrom("FULL", "READONLY"), { minLength: 5, maxLength: 5 }),
  desired: fc.subarray(ZONES, { minLength: 1 }),
  primary: fc.subarray(ZONES),
  maxZones: fc.integer({ min: 1, max: 4 }),
});

describe("planTenant (property-based)", () => {
  it("never removes a desired zone, never exceeds the per-operation limit, never leaves the tenant without a FULL majority", () => {
    fc.assert(
      fc.property(tenantCase, (c) => {
        const spec = tenantReplicaSetSpec.parse({
          obshell: endpoint,
          tenant: "t",
          zones: c.desired,
          policy: { maxZonesPerOperation: c.maxZones },
        });
        const observed: TenantObservation = {
          name: "t",
          status: "NORMAL",
          replicas: c.observedZones.map((zone, i) => ({ zone, type: c.types[i] ?? "FULL" })),
          primaryZone: c.primary.join(",") || "RANDOM",
          pools: [],
        };
        const plan = planTenant(spec, observed);
        for (const z of plan.nextOperation) expect(c.desired).not.toContain(z);
        expect(plan.nextOperation.length).toBeLessThanOrEqual(c.maxZones);
        if (plan.blockers.length === 0 && plan.nextOperation.length > 0) {
          const remaining = observed.replicas.filter((r) => !plan.zonesToRemove.includes(r.zone));
          expect(remaining.length).toBeGreaterThan(0);
          const fullAfter = remaining.filter((r) => r.type === "FULL").length;
          const fullBefore = observed.replicas.filter((r) => r.type === "FULL").length;
          expect(fullAfter > 1 || (fullAfter === 1 && fullBefore === 1)).toBe(true);
          for (const z of plan.zonesToRemove) expect(c.primary).not.toContain(z);
          for (const z of c.desired) expect(c.observedZones).toContain(z);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("refuses to act when a desired zone is missing, and on an unknown tenant", () => {
    const spec = tenantReplicaSetSpec.parse({ obshell: endpoint, tenant: "t", zones: ["z1", "z2", "z9"] });
    const observed: TenantObservation = {
      name: "t",
      status: "NORMAL",
      replicas: ["z1", "z2", "z3"].map((zone) => ({ zone, type: "FULL" })),
      primaryZone: "RANDOM",
      pools: [],
    };
    expect(planTenant(spec, observed).blockers.map((b) => b.reason)).toEqual(["DesiredZoneMissing"]);
    expect(planTenant(spec, undefined).blockers.map((b) => b.reason)).toEqual(["TenantNotFound"]);
  });

  it("asks for approval past half of the zones", () => {
    const observed: TenantObservation = {
      name: "t",
      status: "NORMAL",
      replicas: ["z1", "z2", "z3", "z4", "z5"].map((zone) => ({ zone, type: "FULL" })),
      primaryZone: "RANDOM",
      pools: [],
    };
    const one = planTenant(
      tenantReplicaSetSpec.parse({
        obshell: endpoint,
        tenant: "t",
        zones: ["z1", "z2", "z3", "z4"],
        policy: { maxZonesPerOperation: 3 },
      }),
      observed,
    );
    expect(one.approval.required).toBe(false);
    const three = planTenant(
      tenantReplicaSetSpec.parse({
        obshell: endpoint,
        tenant: "t",
        zones: ["z1", "z2"],
        policy: { maxZonesPerOperation: 3 },
      }),
      observed,
    );
    const two = planTenant(
      tenantReplicaSetSpec.parse({
        obshell: endpoint,
        tenant: "t",
        zones: ["z1", "z2", "z3"],
        policy: { maxZonesPerOperation: 3 },
      }),
      observed,
    );
    expect(three.approval.required).toBe(true);
    expect(two.approval.required).toBe(false);
  });
});

const instanceArb = fc.record({
  id: fc.uuid(),
  name: fc.constantFrom("cache-a", "cache-b", "cache-c", "other-a", "other-b", "cache-d", "cache-e"),
  status: fc.constantFrom("RUNNING", "RUNNING", "RUNNING", "DELETING", "CREATING", "FROZEN"),
  team: fc.constantFrom("checkout", "search"),
  busy: fc.boolean(),
});

describe("planRedis (property-based)", () => {
  it("never deletes an instance outside the selector or named in spec.instances, and never exceeds the limits", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(instanceArb, { selector: (i) => i.id, maxLength: 120 }),
        fc.subarray(["cache-a", "cache-b", "cache-c"]),
        fc.integer({ min: 1, max: 200 }),
        (instances, keep, max) => {
          const spec = redisInstanceSetSpec.parse({
            dcs: { endpoint: "http://127.0.0.1:1", projectId: "p", credentialsSecretRef: { name: "s" } },
            selector: { namePrefix: "cache-", tags: { team: "checkout" } },
            instances: keep,
            policy: { maxDeletionsPerOperation: max, allowEmpty: true },
          });
          const observed: ObservedRedis[] = instances.map((i) => ({
            id: i.id,
            name: i.name,
            status: i.status,
            tags: { team: i.team },
            busy: i.busy,
            prepaid: false,
          }));
          const plan = planRedis(spec, observed, [], new Date());
          const sent = plan.next;
          for (const i of sent) {
            expect(i.name.startsWith("cache-")).toBe(true);
            expect(i.tags.team).toBe("checkout");
            expect(keep).not.toContain(i.name);
            expect(["DELETING", "CREATING"]).not.toContain(i.status);
            expect(i.busy).toBe(false);
          }
          expect(sent.length).toBeLessThanOrEqual(max);
          for (const b of batches(sent)) expect(b.length).toBeLessThanOrEqual(BATCH_LIMIT);
          expect(batches(sent).length).toBe(Math.ceil(sent.length / BATCH_LIMIT));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("blocks on a desired name that no instance has (a typo would delete the instance meant)", () => {
    const spec = redisInstanceSetSpec.parse({
      dcs: { endpoint: "http://127.0.0.1:1", projectId: "p", credentialsSecretRef: { name: "s" } },
      selector: { namePrefix: "cache-" },
      instances: ["cache-01"],
    });
    const plan = planRedis(
      spec,
      [{ id: "1", name: "cache-1", status: "RUNNING", tags: {}, busy: false, prepaid: false }],
      [],
      new Date(),
    );
    expect(plan.blockers.map((b) => b.reason)).toEqual(["DesiredInstanceMissing"]);
  });

  it("waits out the backoff of an instance whose delete failed", () => {
    const spec = redisInstanceSetSpec.parse({
      dcs: { endpoint: "http://127.0.0.1:1", projectId: "p", credentialsSecretRef: { name: "s" } },
      selector: { namePrefix: "cache-" },
      instances: ["cache-1"],
    });
    const observed = [
      { id: "1", name: "cache-1", status: "RUNNING", tags: {}, busy: false, prepaid: false },
      { id: "2", name: "cache-2", status: "RUNNING", tags: {}, busy: false, prepaid: false },
    ];
    const failed = {
      id: "2",
      name: "cache-2",
      requestedAt: "2026-11-23T07:00:00Z",
      result: "failed" as const,
      attempts: 1,
    };
    expect(
      planRedis(spec, observed, [failed], new Date("2026-11-23T07:00:10Z")).backingOff.map((i) => i.id),
    ).toEqual(["2"]);
    expect(
      planRedis(spec, observed, [failed], new Date("2026-11-23T07:00:31Z")).next.map((i) => i.id),
    ).toEqual(["2"]);
  });
});
