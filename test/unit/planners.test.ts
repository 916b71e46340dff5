import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DeletionRecord, redisInstanceSetSpec } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSetSpec } from "../../src/api/tenant-replica-set.js";
import { BATCH_LIMIT, batches, type ObservedRedis, planRedis } from "../../src/reconcilers/redis/plan.js";
import { planTenant, type TenantObservation } from "../../src/reconcilers/tenant/plan.js";

const ZONES = ["z1", "z2", "z3", "z4", "z5", "z6", "z7", "z8"];
const endpoint = { endpoint: "http://127.0.0.1:2886", credentialsSecretRef: { name: "s" } };

/** Mostly `common`, sometimes `rare`: generators that reach the guarded code instead of the first blocker. */
const mostly = <T>(common: T, rare: T, odds = 4) =>
  fc.oneof({ arbitrary: fc.constant(common), weight: odds }, { arbitrary: fc.constant(rare), weight: 1 });

// Desired zones are mostly a subset of the observed ones, so most cases get past DesiredZoneMissing and reach
// the majority, primary-zone, tenant-state and leftover-pool guards.
const tenantCase = fc.integer({ min: 2, max: ZONES.length }).chain((n) => {
  const zones = ZONES.slice(0, n);
  return fc.record({
    observed: fc.shuffledSubarray(zones, { minLength: 2 }),
    types: fc.array(mostly("FULL", "READONLY", 5), { minLength: ZONES.length, maxLength: ZONES.length }),
    keep: fc.integer({ min: 1, max: ZONES.length }),
    desiredMissing: mostly(false, true, 9),
    /** primary_zone priority levels, `;`-separated, `,` within a level. */
    levels: fc.oneof(
      fc.constant<string[][]>([]),
      fc.array(fc.subarray(zones, { minLength: 1, maxLength: Math.min(3, n) }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    spaced: fc.boolean(),
    status: mostly("NORMAL", "LOCKED", 9),
    leftoverPool: mostly(false, true),
    maxZones: fc.integer({ min: 1, max: 4 }),
  });
});

describe("planTenant (property-based)", () => {
  it("removes only undesired zones, within the limit, never a first-priority zone, never below a FULL majority, never from a tenant that is not NORMAL", () => {
    let allowed = 0;
    let blocked = 0;
    const runs = 500;
    fc.assert(
      fc.property(tenantCase, (c) => {
        const desired = [...c.observed.slice(0, Math.min(c.keep, c.observed.length - 1))];
        if (c.desiredMissing) desired.push("z9");
        const spec = tenantReplicaSetSpec.parse({
          obshell: endpoint,
          tenant: "t",
          zones: desired,
          policy: { maxZonesPerOperation: c.maxZones },
        });
        const sep = c.spaced ? [" ; ", " , "] : [";", ","];
        const primaryZone = c.levels.map((l) => l.join(sep[1])).join(sep[0]) || "RANDOM";
        const firstLevel = c.levels[0] ?? [];
        const observed: TenantObservation = {
          name: "t",
          status: c.status,
          replicas: c.observed.map((zone, i) => ({ zone, type: c.types[i] ?? "FULL" })),
          primaryZone,
          pools: [
            { name: "pool_main", zones: c.observed.slice(0, 2) },
            ...(c.leftoverPool ? [{ name: "pool_gone", zones: ["z0"] }] : []),
          ],
        };
        const plan = planTenant(spec, observed);
        const reasons = plan.blockers.map((b) => b.reason);
        const undesired = c.observed.filter((z) => !desired.includes(z)).sort();
        expect(plan.zonesToRemove).toEqual(undesired);
        expect(plan.nextOperation).toEqual(undesired.slice(0, c.maxZones));
        expect(plan.converged).toBe(undesired.length === 0 && reasons.length === 0);
        if (c.status !== "NORMAL") expect(reasons).toContain("TenantNotNormal");
        if (c.desiredMissing) expect(reasons).toContain("DesiredZoneMissing");
        if (undesired.some((z) => firstLevel.includes(z))) expect(reasons).toContain("PrimaryZoneNeeded");
        if (c.leftoverPool && undesired.length === 0) expect(reasons).toContain("LeftoverPool");

        if (reasons.length === 0 && plan.nextOperation.length > 0) {
          allowed++;
          expect(c.status).toBe("NORMAL");
          for (const z of desired) expect(c.observed).toContain(z);
          for (const z of plan.zonesToRemove) expect(firstLevel).not.toContain(z);
          const remaining = observed.replicas.filter((r) => desired.includes(r.zone));
          const fullAfter = remaining.filter((r) => r.type === "FULL").length;
          const fullBefore = observed.replicas.filter((r) => r.type === "FULL").length;
          expect(fullAfter > 1 || (fullAfter === 1 && fullBefore === 1)).toBe(true);
        } else if (plan.zonesToRemove.length > 0) blocked++;
      }),
      { numRuns: runs },
    );
    // The guarded paths are reached in most runs: a removal allowed, or one stopped by a guard. Typical
    // figures are 27 % and 73 %; the bounds sit about 6 standard deviations below them (unseeded runs).
    expect(allowed / runs).toBeGreaterThanOrEqual(0.15);
    expect(blocked / runs).toBeGreaterThanOrEqual(0.55);
    expect((allowed + blocked) / runs).toBeGreaterThanOrEqual(0.9);
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

// Up to 300 instances, mostly in scope and deletable, some kept by name or by id, some claimed by another
// set, some busy, frozen, prepaid or with a deletion record of any age.
const instanceArb = fc.record({
  inScope: mostly(true, false),
  team: mostly("checkout", "search", 6),
  status: fc.oneof(
    { arbitrary: fc.constant("RUNNING"), weight: 14 },
    {
      arbitrary: fc.constantFrom("DELETING", "CREATING", "FROZEN", "ERROR", "PAYING", "RESTARTING"),
      weight: 1,
    },
  ),
  busy: mostly(false, true, 12),
  prepaid: mostly(false, true, 12),
  keep: fc.oneof(
    { arbitrary: fc.constant("no" as const), weight: 8 },
    { arbitrary: fc.constantFrom("byName" as const, "byId" as const), weight: 1 },
  ),
  contested: mostly(false, true, 10),
  record: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    {
      arbitrary: fc.record({
        result: fc.constantFrom("pending" as const, "success" as const, "failed" as const),
        ageMs: fc.integer({ min: 0, max: 3_600_000 }),
        attempts: fc.integer({ min: 1, max: 4 }),
      }),
      weight: 1,
    },
  ),
});

describe("planRedis (property-based)", () => {
  it("sends exactly the deletable instances up to the limit: never outside the scope, kept (by name or id), contested, busy, frozen, prepaid or already accepted", () => {
    const runs = 150;
    let sent = 0;
    let multiBatch = 0;
    let keptById = 0;
    let contestedSeen = 0;
    const now = new Date("2026-11-23T10:00:00Z");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }).chain((n) => fc.array(instanceArb, { minLength: n, maxLength: n })),
        fc.integer({ min: 1, max: 200 }),
        (generated, max) => {
          const instances = generated.map((g, i) => ({
            ...g,
            id: `id-${i}`,
            name: `${g.inScope ? "cache-" : "other-"}${i}`,
          }));
          const owned = (i: (typeof instances)[number]) => i.inScope && i.team === "checkout";
          const keep = instances.flatMap((i) =>
            !owned(i) || i.keep === "no" ? [] : [i.keep === "byId" ? i.id : i.name],
          );
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
            prepaid: i.prepaid,
          }));
          const records: DeletionRecord[] = instances.flatMap((i) =>
            i.record
              ? [
                  {
                    id: i.id,
                    name: i.name,
                    requestedAt: new Date(now.getTime() - i.record.ageMs).toISOString(),
                    result: i.record.result,
                    attempts: i.record.attempts,
                  },
                ]
              : [],
          );
          const contested = new Set(instances.filter((i) => i.contested).map((i) => i.id));
          const plan = planRedis(spec, observed, records, now, (i) =>
            contested.has(i.id) ? ["prod/other"] : [],
          );

          // An independent statement of "deletable now".
          const backoff = (attempts: number) => Math.min(600_000, 30_000 * 2 ** (attempts - 1));
          const deletable = instances.filter(
            (i) =>
              owned(i) &&
              !keep.includes(i.name) &&
              !keep.includes(i.id) &&
              !i.contested &&
              i.status === "RUNNING" &&
              !i.busy &&
              !i.prepaid &&
              (!i.record ||
                (i.record.result === "failed" &&
                  i.record.attempts < 3 &&
                  i.record.ageMs >= backoff(i.record.attempts))),
          );
          const next = plan.next.map((i) => i.id);
          expect(plan.blockers).toEqual([]);
          expect(new Set(next).size).toBe(next.length);
          expect(next.length).toBe(Math.min(max, deletable.length));
          const allowed = new Set(deletable.map((i) => i.id));
          for (const id of next) expect(allowed.has(id)).toBe(true);
          for (const i of plan.toDelete) expect(contested.has(i.id)).toBe(false);
          // Contested: exactly the owned instances another set claims too, kept ones included (each set
          // reports the conflict); never to be deleted.
          expect(plan.contested.map((c) => c.instance.id)).toEqual(
            instances.filter((i) => owned(i) && i.contested).map((i) => i.id),
          );
          for (const b of batches(plan.next)) expect(b.length).toBeLessThanOrEqual(BATCH_LIMIT);
          expect(batches(plan.next).length).toBe(Math.ceil(next.length / BATCH_LIMIT));

          if (next.length > 0) sent++;
          if (next.length > BATCH_LIMIT) multiBatch++;
          if (instances.some((i) => owned(i) && i.keep === "byId")) keptById++;
          if (plan.contested.length > 0) contestedSeen++;
        },
      ),
      { numRuns: runs },
    );
    // Typical: 94 % send something, 30 % more than one batch, 80 % keep by id, 84 % see a contested instance.
    expect(sent / runs).toBeGreaterThanOrEqual(0.75);
    expect(multiBatch / runs).toBeGreaterThanOrEqual(0.1);
    expect(keptById / runs).toBeGreaterThanOrEqual(0.6);
    expect(contestedSeen / runs).toBeGreaterThanOrEqual(0.6);
  }, 60_000);

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
