import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redisInstanceSetSpec } from "../../src/api/redis-instance-set.js";
import {
  type DeclaredSet,
  declaredConflicts,
  FleetIndex,
  type RedisOwnershipEntry,
  redisEntry,
  redisGroupKey,
  redisOwnership,
  tenantContenders,
  tenantGroupKey,
} from "../../src/fleet/ownership.js";
import {
  type InstanceSelector,
  inScope,
  overlapWitness,
  selectorsMayOverlap,
} from "../../src/fleet/scope.js";
import { type ObservedRedis, planRedis } from "../../src/reconcilers/redis-plan.js";

// Small alphabets, so that scopes overlap often: the contested case is the one under test.
const PREFIXES = ["c", "ca", "cache-", "cache-eu-", "kv-"];
const NAMES = ["c1", "ca1", "cache-1", "cache-2", "cache-eu-1", "cache-eu-2", "kv-1", "other"];
const TAG_VALUES = { team: ["a", "b"], env: ["prod"] } as const;
const ENDPOINTS = ["https://dcs.eu.example.com", "https://DCS.eu.example.com:443/"];

const tags = fc.record(
  { team: fc.constantFrom(...TAG_VALUES.team), env: fc.constantFrom(...TAG_VALUES.env) },
  { requiredKeys: [] },
);
// Instances mostly carry both keys, so a selector's tags decide by value, not by absence.
const instanceTags = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      team: fc.constantFrom(...TAG_VALUES.team),
      env: fc.constantFrom(...TAG_VALUES.env),
    }),
  },
  { weight: 1, arbitrary: tags },
);
const selector: fc.Arbitrary<InstanceSelector> = fc
  .record({ namePrefix: fc.option(fc.constantFrom(...PREFIXES), { nil: undefined }), tags })
  .map((s) => ({
    ...(s.namePrefix === undefined ? {} : { namePrefix: s.namePrefix }),
    ...(Object.keys(s.tags).length > 0 ? { tags: s.tags } : {}),
  }))
  .filter((s) => s.namePrefix !== undefined || s.tags !== undefined);
const setDecl = fc.record({
  selector,
  endpoint: fc.constantFrom(...ENDPOINTS),
  // Mostly one project, so that sets share a group; sometimes another, so that groups separate them.
  project: fc.constantFrom("p1", "p1", "p1", "p2"),
  keep: fc.subarray(NAMES, { minLength: 1, maxLength: 4 }),
});
type SetDecl = typeof setDecl extends fc.Arbitrary<infer T> ? T : never;
const instances = fc
  .array(
    fc.record({
      name: fc.constantFrom(...NAMES),
      tags: instanceTags,
      project: fc.constantFrom("p1", "p1", "p2"),
    }),
    {
      minLength: 3,
      maxLength: 12,
    },
  )
  .map((list) =>
    list.map((i, n): ObservedRedis & { project: string } => ({
      id: `id-${n}`,
      name: i.name,
      tags: i.tags,
      status: "RUNNING",
      busy: false,
      project: i.project,
    })),
  );
/** Informer events over 6 set keys: the index must end where a rebuild from the final fleet would. */
const events = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant("upsert" as const),
        set: fc.integer({ min: 0, max: 5 }),
        decl: setDecl,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant("remove" as const), set: fc.integer({ min: 0, max: 5 }) }),
    },
  ),
  { minLength: 6, maxLength: 25 },
);

const keyOf = (n: number) => `ns${n % 2}/set-${n}`;

function run(list: ({ type: "upsert"; set: number; decl: SetDecl } | { type: "remove"; set: number })[]) {
  const index = new FleetIndex<RedisOwnershipEntry>();
  const fleet = new Map<string, SetDecl>();
  for (const e of list) {
    const key = keyOf(e.set);
    if (e.type === "upsert") {
      fleet.set(key, e.decl);
      index.upsert(key, redisGroupKey(e.decl.endpoint, e.decl.project), redisEntry(e.decl.selector));
    } else {
      fleet.delete(key);
      index.remove(key);
    }
  }
  return { index, fleet };
}

describe("ownership of DCS instances (property-based)", () => {
  it("never makes an instance in two scopes of one project a deletion target of either, and names the other sets", () => {
    let runsWithContest = 0;
    let runsWithheld = 0;
    let runs = 0;
    fc.assert(
      fc.property(events, instances, (list, observed) => {
        runs++;
        const { index, fleet } = run(list);
        let contestedSeen = false;
        let withheldSeen = false;
        for (const [key, decl] of fleet) {
          const listing = observed.filter((i) => i.project === decl.project);
          const ownership = redisOwnership(decl.selector, index.peers(key), listing);
          // Brute force over the whole fleet: which other sets of the same endpoint and project hold it.
          const holders = (i: ObservedRedis) =>
            [...fleet]
              .filter(
                ([k, d]) =>
                  k !== key &&
                  redisGroupKey(d.endpoint, d.project) === redisGroupKey(decl.endpoint, decl.project) &&
                  inScope(d.selector, i),
              )
              .map(([k]) => k)
              .sort();
          for (const c of ownership.contested) {
            const instance = listing.find((i) => i.id === c.id);
            expect(instance).toBeDefined();
            if (instance) expect(c.otherSets).toEqual(holders(instance));
          }
          for (const i of ownership.exclusive) expect(holders(i)).toEqual([]);
          expect(ownership.exclusive.length + ownership.contested.length).toBe(
            listing.filter((i) => inScope(decl.selector, i)).length,
          );
          if (ownership.contested.length > 0) contestedSeen = true;

          // The planner over the full listing, minus what is contested: what the engine deletes.
          const spec = redisInstanceSetSpec.parse({
            dcs: { endpoint: decl.endpoint, projectId: decl.project, credentialsSecretRef: { name: "s" } },
            selector: decl.selector,
            instances: decl.keep,
            policy: { maxDeletionsPerOperation: 50 },
          });
          const contestedIds = new Set(ownership.contested.map((c) => c.id));
          const plan = planRedis(spec, listing, [], new Date(0));
          const targets = plan.batches.flat().filter((i) => !contestedIds.has(i.id));
          for (const t of targets) expect(holders(t)).toEqual([]);
          if (plan.batches.flat().some((i) => contestedIds.has(i.id))) withheldSeen = true;
        }
        if (contestedSeen) runsWithContest++;
        if (withheldSeen) runsWithheld++;
      }),
      { numRuns: 300 },
    );
    // The generators must reach the case under test, not only the easy one: runs with a contested
    // instance, and runs where the planner alone would have deleted one.
    expect(runsWithContest / runs).toBeGreaterThan(0.4);
    expect(runsWithheld / runs).toBeGreaterThan(0.3);
  }, 30_000);

  it("keeps the index equal to a rebuild from the final fleet, whatever order the events came in", () => {
    fc.assert(
      fc.property(events, (list) => {
        const { index, fleet } = run(list);
        const rebuilt = new FleetIndex<RedisOwnershipEntry>();
        for (const [key, d] of fleet)
          rebuilt.upsert(key, redisGroupKey(d.endpoint, d.project), redisEntry(d.selector));
        expect(index.size).toBe(fleet.size);
        for (const key of fleet.keys()) {
          const sorted = (k: string, i: FleetIndex<RedisOwnershipEntry>) =>
            i
              .peers(k)
              .map((p) => `${p.key}=${JSON.stringify(p.entry)}`)
              .sort();
          expect(sorted(key, index)).toEqual(sorted(key, rebuilt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("selectorsMayOverlap is exact: true exactly when some instance can be in both scopes", () => {
    fc.assert(
      fc.property(selector, selector, fc.constantFrom(...NAMES, ...PREFIXES), tags, (a, b, name, t) => {
        const instance = { name, tags: t };
        if (inScope(a, instance) && inScope(b, instance)) expect(selectorsMayOverlap(a, b)).toBe(true);
        if (selectorsMayOverlap(a, b)) {
          const witness = overlapWitness(a, b);
          expect(witness && inScope(a, witness) && inScope(b, witness)).toBe(true);
        }
        expect(selectorsMayOverlap(a, b)).toBe(selectorsMayOverlap(b, a));
      }),
      { numRuns: 500 },
    );
  });
});

describe("selectorsMayOverlap", () => {
  const cases: { reason: string; a: InstanceSelector; b: InstanceSelector; overlap: boolean }[] = [
    {
      reason: "nested prefixes (story 1: cache- and cache-eu-)",
      a: { namePrefix: "cache-" },
      b: { namePrefix: "cache-eu-" },
      overlap: true,
    },
    { reason: "disjoint prefixes", a: { namePrefix: "cache-" }, b: { namePrefix: "kv-" }, overlap: false },
    {
      reason: "nested prefixes, conflicting tag value",
      a: { namePrefix: "c", tags: { team: "a" } },
      b: { namePrefix: "ca", tags: { team: "b" } },
      overlap: false,
    },
    {
      reason: "nested prefixes, different tag keys",
      a: { namePrefix: "c", tags: { team: "a" } },
      b: { namePrefix: "ca", tags: { env: "prod" } },
      overlap: true,
    },
    {
      reason: "tags only against prefix only",
      a: { tags: { team: "a" } },
      b: { namePrefix: "kv-" },
      overlap: true,
    },
    { reason: "same prefix", a: { namePrefix: "x" }, b: { namePrefix: "x" }, overlap: true },
    { reason: "an empty selector owns nothing", a: {}, b: { namePrefix: "x" }, overlap: false },
  ];
  it.each(cases)("$reason", ({ a, b, overlap }) => {
    expect(selectorsMayOverlap(a, b)).toBe(overlap);
    expect(selectorsMayOverlap(b, a)).toBe(overlap);
  });
});

describe("FleetIndex", () => {
  it("reports story 1's conflict: cache- and cache-eu- share cache-eu-1..3, each names the other", () => {
    const index = new FleetIndex<RedisOwnershipEntry>();
    const group = redisGroupKey("https://dcs.example.com", "p");
    index.upsert("team-a/wide", group, redisEntry({ namePrefix: "cache-" }));
    index.upsert("team-b/narrow", group, redisEntry({ namePrefix: "cache-eu-" }));
    const listing = ["cache-1", "cache-2", "cache-3", "cache-eu-1", "cache-eu-2", "cache-eu-3"].map(
      (name) => ({
        id: `id-${name}`,
        name,
        tags: {},
      }),
    );
    const wide = redisOwnership({ namePrefix: "cache-" }, index.peers("team-a/wide"), listing);
    expect(wide.exclusive.map((i) => i.name)).toEqual(["cache-1", "cache-2", "cache-3"]);
    expect(wide.contested.map((c) => [c.name, c.otherSets])).toEqual([
      ["cache-eu-1", ["team-b/narrow"]],
      ["cache-eu-2", ["team-b/narrow"]],
      ["cache-eu-3", ["team-b/narrow"]],
    ]);
    expect(wide.overlapping).toEqual(["team-b/narrow"]);
    const narrow = redisOwnership({ namePrefix: "cache-eu-" }, index.peers("team-b/narrow"), listing);
    expect(narrow.exclusive).toEqual([]);
    expect(narrow.contested.every((c) => c.otherSets[0] === "team-a/wide")).toBe(true);
  });

  it("returns the other sets of the old and the new group to requeue, and nothing for an unchanged entry", () => {
    const index = new FleetIndex<RedisOwnershipEntry>();
    const g1 = redisGroupKey("https://dcs.example.com", "p1");
    const g2 = redisGroupKey("https://dcs.example.com", "p2");
    expect(index.upsert("a", g1, redisEntry({ namePrefix: "x" }))).toEqual([]);
    expect(index.upsert("b", g1, redisEntry({ namePrefix: "y" }))).toEqual(["a"]);
    expect(index.upsert("c", g2, redisEntry({ namePrefix: "y" }))).toEqual([]);
    // A status-only update: same group, same selector (fields in another order).
    expect(index.upsert("b", g1, { tags: null, namePrefix: "y" })).toEqual([]);
    expect(index.upsert("b", g1, redisEntry({ namePrefix: "x" }))).toEqual(["a"]);
    expect(index.upsert("b", g2, redisEntry({ namePrefix: "x" })).sort()).toEqual(["a", "c"]);
    expect(index.remove("b")).toEqual(["c"]);
    expect(index.remove("b")).toEqual([]);
    expect(index.peers("a")).toEqual([]);
  });

  it("groups tenants by endpoint and tenant: story 2's two sets on one tenant contend, other tenants do not", () => {
    const index = new FleetIndex<null>();
    index.upsert("ns1/orders", tenantGroupKey("http://10.0.0.1:2886", "orders"), null);
    index.upsert("ns2/orders-copy", tenantGroupKey("http://10.0.0.1:2886/", "ORDERS"), null);
    index.upsert("ns3/billing", tenantGroupKey("http://10.0.0.1:2886", "billing"), null);
    index.upsert("ns4/orders", tenantGroupKey("http://10.0.0.2:2886", "orders"), null);
    expect(tenantContenders(index.peers("ns1/orders"))).toEqual(["ns2/orders-copy"]);
    expect(tenantContenders(index.peers("ns2/orders-copy"))).toEqual(["ns1/orders"]);
    expect(tenantContenders(index.peers("ns3/billing"))).toEqual([]);
    expect(tenantContenders(index.peers("ns4/orders"))).toEqual([]);
  });
});

describe("declaredConflicts (for plan)", () => {
  const dcs = { endpoint: "https://dcs.example.com", projectId: "p1" };
  const obshell = "http://10.0.0.1:2886";
  const cases: { reason: string; sets: DeclaredSet[]; pairs: string[][] }[] = [
    {
      reason: "story 1: nested prefixes in one project, even with no instance listed",
      sets: [
        { kind: "RedisInstanceSet", key: "a/wide", ...dcs, selector: { namePrefix: "cache-" } },
        { kind: "RedisInstanceSet", key: "b/narrow", ...dcs, selector: { namePrefix: "cache-eu-" } },
      ],
      pairs: [["a/wide", "b/narrow"]],
    },
    {
      reason: "the same prefixes in two projects do not conflict",
      sets: [
        { kind: "RedisInstanceSet", key: "a/wide", ...dcs, selector: { namePrefix: "cache-" } },
        {
          kind: "RedisInstanceSet",
          key: "b/narrow",
          ...dcs,
          projectId: "p2",
          selector: { namePrefix: "cache-eu-" },
        },
      ],
      pairs: [],
    },
    {
      reason: "story 2: two tenant sets on one tenant",
      sets: [
        { kind: "TenantReplicaSet", key: "ns1/orders", endpoint: obshell, tenant: "orders" },
        { kind: "TenantReplicaSet", key: "ns2/orders", endpoint: `${obshell}/`, tenant: "orders" },
        { kind: "TenantReplicaSet", key: "ns3/billing", endpoint: obshell, tenant: "billing" },
      ],
      pairs: [["ns1/orders", "ns2/orders"]],
    },
    {
      reason: "a tenant set and a redis set never conflict",
      sets: [
        { kind: "TenantReplicaSet", key: "ns/x", endpoint: obshell, tenant: "orders" },
        { kind: "RedisInstanceSet", key: "ns/x", ...dcs, selector: { namePrefix: "orders" } },
      ],
      pairs: [],
    },
  ];
  it.each(cases)("$reason", ({ sets, pairs }) => {
    const conflicts = declaredConflicts(sets);
    expect(conflicts.map((c) => c.sets)).toEqual(pairs);
    for (const c of conflicts) for (const s of c.sets) expect(c.message).toContain(s);
  });
});
