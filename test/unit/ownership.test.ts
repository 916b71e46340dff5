// The ownership rule over the fleet index (src/reconcilers/fleet-view.ts): for any sets of selectors and
// instances, an instance inside two sets' scopes is never a deletion target of either.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSet } from "../../src/api/tenant-replica-set.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { fleetCacheOf } from "../../src/reconcilers/fleet-index.js";
import { fleetGroups } from "../../src/reconcilers/kinds.js";
import { redisPeers } from "../../src/reconcilers/redis/fleet.js";
import { inScope, type ObservedRedis, planRedis } from "../../src/reconcilers/redis/plan.js";
import { tenantPeers } from "../../src/reconcilers/tenant/fleet.js";
import { actingOn } from "../../src/reconcilers/tenant/kind.js";
import { identity, operation, redisManifest, tenantManifest } from "./sets.js";

const ENDPOINT = "http://127.0.0.1:1";
const prefixes = ["c", "ca", "cache-", "cache-eu-", "cache-us-", "kv-"] as const;
const names = ["cache-1", "cache-eu-1", "cache-eu-2", "cache-us-1", "kv-1", "ca", "c-2"];

const setArb = fc.record({
  prefix: fc.constantFrom(...prefixes),
  team: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
  project: fc.constantFrom("p1", "p1", "p2"),
});
const instanceArb = fc.record({ name: fc.constantFrom(...names), team: fc.constantFrom("a", "b") });

describe("ownership across the fleet (property-based)", () => {
  it("never makes an instance in two scopes of one endpoint and project a deletion target", () => {
    let contestedRuns = 0;
    const runs = 300;
    fc.assert(
      fc.property(
        fc.array(setArb, { minLength: 1, maxLength: 8 }),
        fc.uniqueArray(instanceArb, { selector: (i) => `${i.name}/${i.team}`, maxLength: 14 }),
        (sets, generated) => {
          const objects: KubeObject[] = sets.map((s, i) => {
            const m = redisManifest({
              name: `set-${i}`,
              endpoint: ENDPOINT,
              projectId: s.project,
              selector: { namePrefix: s.prefix, ...(s.team ? { tags: { team: s.team } } : {}) },
              instances: [],
              policy: { allowEmpty: true, maxDeletionsPerOperation: 100, approvalThreshold: 100 },
            });
            return m as unknown as KubeObject;
          });
          const groups = fleetGroups((_kind, _ns, spec) =>
            spec.dcs ? { endpoint: spec.dcs.endpoint, projectId: spec.dcs.projectId } : undefined,
          );
          const fleet = fleetCacheOf(objects, groups);
          const instances: ObservedRedis[] = generated.map((g, i) => ({
            id: `id-${i}`,
            name: g.name,
            status: "RUNNING",
            tags: { team: g.team },
            busy: false,
            prepaid: false,
          }));
          const parsed = objects.map((o) => redisInstanceSet.parse(o));
          let contested = false;
          for (const [i, set] of parsed.entries()) {
            const id = identity({ name: `set-${i}`, namespace: "prod" });
            const plan = planRedis(set.spec, instances, [], new Date(), (inst) =>
              redisPeers(fleet, id, set.spec.dcs?.projectId ?? "", inst),
            );
            for (const target of plan.next) {
              const holders = parsed.filter(
                (other) =>
                  other.spec.dcs?.projectId === set.spec.dcs?.projectId &&
                  inScope(other.spec.selector, target),
              );
              expect(holders.length, `${target.name} targeted by set-${i}`).toBe(1);
            }
            if (plan.contested.length > 0) contested = true;
          }
          if (contested) contestedRuns++;
        },
      ),
      { numRuns: runs },
    );
    // The generators reach the guarded case (an instance in two scopes) in a good share of runs.
    expect(contestedRuns / runs).toBeGreaterThan(0.3);
  });
});

describe("the peers of an instance, read from scope sub-groups (issue 29)", () => {
  const scopeArb = fc.oneof(
    fc.record({ namePrefix: fc.constantFrom(...prefixes, "cache-eu-1", "x") }),
    fc.record({ tags: fc.constantFrom({ team: "a" }, { team: "b" }, { team: "a", env: "prod" }) }),
    fc.record({
      namePrefix: fc.constantFrom(...prefixes),
      tags: fc.constantFrom({ team: "a" }, { team: "b" }),
    }),
  );
  const memberArb = fc.record({
    scope: scopeArb,
    project: fc.constantFrom("p1", "p1", "p2"),
    namespace: fc.constantFrom("prod", "staging"),
  });
  const instanceOf = fc.record({
    name: fc.constantFrom(...names, "x", "cache-eu-10", "zz"),
    tags: fc.constantFrom({}, { team: "a" }, { team: "b" }, { team: "a", env: "prod" }),
  });

  it("are exactly the other sets of the project whose scope holds it, as a scan of the whole project finds", () => {
    fc.assert(
      fc.property(fc.array(memberArb, { minLength: 1, maxLength: 12 }), instanceOf, (members, instance) => {
        const objects = members.map((m, i) => {
          const o = redisManifest({
            name: `set-${i}`,
            endpoint: ENDPOINT,
            projectId: m.project,
            selector: m.scope,
            instances: [],
          }) as unknown as KubeObject;
          o.metadata.namespace = m.namespace;
          return o;
        });
        const groups = fleetGroups((_kind, _ns, spec) =>
          spec.dcs ? { endpoint: spec.dcs.endpoint, projectId: spec.dcs.projectId } : undefined,
        );
        const fleet = fleetCacheOf(objects, groups);
        const observed = { ...instance, id: "i-1", status: "RUNNING", busy: false, prepaid: false };
        for (const [i, self] of objects.entries()) {
          const project = members[i]?.project ?? "";
          const id = identity({ name: self.metadata.name, namespace: self.metadata.namespace ?? "" });
          const scanned = objects
            .filter((_, j) => j !== i && members[j]?.project === project)
            .filter((o) => inScope(redisInstanceSet.parse(o).spec.selector, observed))
            .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
            .sort();
          expect(redisPeers(fleet, id, project, observed)).toEqual(scanned);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("ownership of a tenant while an operation is in flight", () => {
  const OB = "http://10.0.0.1:2886";
  const named = (name: string, o: Parameters<typeof tenantManifest>[0]) => {
    const m = tenantManifest({ endpoint: OB, ...o });
    return { ...m, metadata: { ...m.metadata, name } } as unknown as KubeObject;
  };
  // The agent at OB reported cluster ob1, recorded in each set's status.
  const CLUSTER = "obshell|ob1#1";
  const remote = { identity: CLUSTER, endpoint: OB, observedAt: "2026-01-01T00:00:00Z" };
  // "moved" started removing z3 from orders, then its spec was pointed at payments; "other" names orders.
  const moved = named("moved", {
    tenant: "payments",
    status: {
      remote,
      operation: operation({ endpoint: OB, remote: CLUSTER, tenant: "orders", dagId: "11" }),
    },
  });
  const other = named("other", { tenant: "orders", status: { remote } });
  const locate = (_kind: unknown, _ns: unknown, spec: { obshell?: { endpoint: string } | undefined }) =>
    spec.obshell ? { endpoint: spec.obshell.endpoint } : undefined;
  const groups = fleetGroups(locate);
  const fleet = fleetCacheOf([moved, other], groups);

  it("the set in flight claims the operation's tenant too: the other set sees it as a peer", () => {
    expect(tenantPeers(fleet, identity({ name: "other" }), CLUSTER, "orders", locate)).toEqual({
      peers: ["prod/moved"],
      unidentified: [],
    });
    // Its spec's tenant and its operation's, each on the cluster.
    expect(groups(moved).filter((g) => g.startsWith("obshell|"))).toEqual([
      "obshell|ob1#1|payments",
      "obshell|ob1#1|orders",
    ]);
  });

  it("the set in flight judges ownership on the tenant its operation runs on, not the spec's", () => {
    const set = tenantReplicaSet.parse(moved);
    expect(actingOn(set).spec.tenant).toBe("orders");
    expect(
      tenantPeers(fleet, identity({ name: "moved" }), CLUSTER, actingOn(set).spec.tenant, locate),
    ).toEqual({
      peers: ["prod/other"],
      unidentified: [],
    });
    // Without an operation the spec's tenant is the one.
    const idle = tenantReplicaSet.parse(other);
    expect(actingOn(idle)).toBe(idle);
  });
});
