// Fleet rule "ownership" (README, Fleet rules), written against the wrong versions a tired developer would
// write: an endpoint compared as spelled, a set keyed by name without its namespace, a re-read that forgets
// to ask the fleet again. Sets name admin-owned connections (connectionRef), located by the operator's own
// resolver, as production runs them.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { fleetCacheOf } from "../../src/reconcilers/fleet-index.js";
import {
  endpointKey,
  type FleetCache,
  peersOf as groupPeers,
  keyOf,
} from "../../src/reconcilers/fleet-view.js";
import { isLookupGroup } from "../../src/reconcilers/kinds.js";
import { redisPeers } from "../../src/reconcilers/redis/fleet.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { inScope, type ObservedRedis, planRedis } from "../../src/reconcilers/redis/plan.js";
import { tenantPeers } from "../../src/reconcilers/tenant/fleet.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import {
  addDcsConnection,
  addObshellConnection,
  addSecret,
  groupsOf,
  locateIn,
  refRedisManifest,
  refTenantManifest,
  remoteOf,
  resolverOf,
  type World,
  world,
} from "./fleet-world.js";
import { identity } from "./sets.js";

describe("endpointKey: one remote, however its URL is spelled; two remotes never merged", () => {
  const same: { reason: string; a: string; b: string }[] = [
    { reason: "host in upper case", a: "https://dcs.example.test", b: "https://DCS.Example.TEST" },
    { reason: "scheme in upper case", a: "https://dcs.example.test", b: "HTTPS://dcs.example.test" },
    {
      reason: "https default port written out",
      a: "https://dcs.example.test",
      b: "https://dcs.example.test:443",
    },
    { reason: "http default port written out", a: "http://10.0.0.1", b: "http://10.0.0.1:80" },
    { reason: "a trailing slash", a: "https://dcs.example.test", b: "https://dcs.example.test/" },
    {
      reason: "a path (the API root is the host's)",
      a: "https://dcs.example.test",
      b: "https://dcs.example.test/v2/",
    },
    {
      reason: "IPv6 written long and short",
      a: "http://[fd00::1]:2886",
      b: "http://[fd00:0:0:0:0:0:0:1]:2886",
    },
    { reason: "an IPv4 address in hex", a: "http://10.0.0.1:2886", b: "http://0x0a.0.0.1:2886" },
    {
      reason: "a trailing dot (the DNS root)",
      a: "https://dcs.example.test",
      b: "https://dcs.example.test.",
    },
    {
      reason: "a trailing dot and a port",
      a: "http://ob1.example.test:2886",
      b: "http://OB1.example.test.:2886/",
    },
    {
      reason: "user info, query and fragment",
      a: "https://dcs.example.test",
      b: "https://u@dcs.example.test/?a=1#x",
    },
  ];
  const different: { reason: string; a: string; b: string }[] = [
    { reason: "http and https", a: "http://dcs.example.test", b: "https://dcs.example.test" },
    { reason: "another port", a: "https://dcs.example.test", b: "https://dcs.example.test:8443" },
    { reason: "another obshell port", a: "http://10.0.0.1:2886", b: "http://10.0.0.1:2887" },
    { reason: "another host", a: "https://dcs.example.test", b: "https://dcs2.example.test" },
    { reason: "a sub-domain", a: "https://example.test", b: "https://dcs.example.test" },
    { reason: "another address", a: "http://10.0.0.1:2886", b: "http://10.0.0.2:2886" },
    // A URL cannot tell an IP from the name that resolves to it: only the remote's identity joins them
    // (remote-identity.test.ts, test/integration/remote-identity.test.ts).
    { reason: "an IP and a DNS name for it", a: "http://127.0.0.1:2886", b: "http://localhost:2886" },
  ];
  it.each(same)("same remote: $reason", ({ a, b }) => {
    expect(endpointKey(b)).toBe(endpointKey(a));
  });
  it.each(different)("different remotes: $reason", ({ a, b }) => {
    expect(endpointKey(b)).not.toBe(endpointKey(a));
  });
});

/** The sets of `w` that a test places, and the fleet index over them as the operator's informer builds it. */
function fleetOf(w: World, objects: KubeObject[]): FleetCache {
  return fleetCacheOf(objects, groupsOf(w));
}

const seen = (name: string, tags: Record<string, string> = {}): ObservedRedis => ({
  id: `id-${name}`,
  name,
  status: "RUNNING",
  tags,
  busy: false,
  prepaid: false,
});

describe("same-named sets in two namespaces, through connections spelled differently", () => {
  const w = world();
  // Two teams' DatabaseConnections lead to one DCS project, written two ways.
  addDcsConnection(w, "prod", "dcs", { endpoint: "https://dcs.example.test", projectId: "p1" });
  addDcsConnection(w, "staging", "dcs", { endpoint: "https://DCS.example.test:443/", projectId: "p1" });
  // A third in another project of the same endpoint: never a peer.
  addDcsConnection(w, "qa", "dcs", { endpoint: "https://dcs.example.test", projectId: "p2" });
  const prod = refRedisManifest({ namespace: "prod", connection: { name: "dcs" } });
  const staging = refRedisManifest({ namespace: "staging", connection: { name: "dcs" } });
  const qa = refRedisManifest({ namespace: "qa", connection: { name: "dcs" } });
  const fleet = fleetOf(w, [prod, staging, qa]);
  const peersOf = (o: KubeObject, instance: ObservedRedis) => {
    const at = remoteOf(w, o);
    return redisPeers(
      fleet,
      identity({ namespace: o.metadata.namespace ?? "", name: o.metadata.name }),
      at.projectId ?? "",
      instance,
    );
  };

  it("each RedisInstanceSet named cache sees the other namespace's cache as the peer of a shared instance", () => {
    expect(peersOf(prod, seen("cache-2"))).toEqual(["staging/cache"]);
    expect(peersOf(staging, seen("cache-2"))).toEqual(["prod/cache"]);
    expect(peersOf(qa, seen("cache-2"))).toEqual([]);
  });

  it("so neither plans to delete the shared instance", () => {
    for (const o of [prod, staging]) {
      const set = redisInstanceSet.parse(o);
      const plan = planRedis(set.spec, [seen("cache-1"), seen("cache-2")], [], new Date(), (i) =>
        peersOf(o, i),
      );
      expect(plan.next, `${o.metadata.namespace}/cache`).toEqual([]);
      // Kept or not, a shared instance is reported by both.
      expect(plan.contested.map((c) => c.instance.name)).toEqual(["cache-1", "cache-2"]);
    }
  });

  it("a spec change of one requeues the same-named set of the other namespace (the rest of its group)", () => {
    // As the wiring requeues: the members of each group it is in, but for groups only looked up.
    const rest = (o: KubeObject) =>
      groupsOf(w)(o)
        .filter((g) => !isLookupGroup(g))
        .flatMap((g) => groupPeers(fleet, o, g).map(keyOf));
    expect(rest(prod)).toEqual(["staging/cache"]);
    expect(rest(qa)).toEqual([]);
  });

  it("two TenantReplicaSets named orders in two namespaces, one tenant on one cluster: each names the other", () => {
    const t = world();
    addObshellConnection(t, "prod", "ob", { endpoint: "http://10.0.0.1:2886" });
    // The same agent through another spelling, and another agent of the same cluster: one cluster.
    addObshellConnection(t, "staging", "ob", { endpoint: "http://10.0.0.1:2886/" });
    addObshellConnection(t, "eu", "ob", { endpoint: "http://ob1-eu.example.test:2886" });
    addObshellConnection(t, "qa", "ob", { endpoint: "http://10.0.0.1:2887" });
    // What each agent reported, as recorded in each set's status: the one on 2887 is another cluster.
    const clusters: Record<string, string> = {
      "http://10.0.0.1:2886": "obshell|ob1#1",
      "http://ob1-eu.example.test:2886": "obshell|ob1#1",
      "http://10.0.0.1:2887": "obshell|ob2#2",
    };
    const recorded = (namespace: string, endpoint: string) =>
      refTenantManifest({
        namespace,
        connection: { name: "ob" },
        status: {
          remote: { identity: clusters[endpointKey(endpoint)], endpoint, observedAt: "2026-01-01T00:00:00Z" },
        },
      });
    const a = recorded("prod", "http://10.0.0.1:2886");
    const b = recorded("staging", "http://10.0.0.1:2886/");
    const e = recorded("eu", "http://ob1-eu.example.test:2886");
    const c = recorded("qa", "http://10.0.0.1:2887");
    const tenants = fleetOf(t, [a, b, c, e]);
    const peers = (o: KubeObject) =>
      tenantPeers(
        tenants,
        identity({ namespace: o.metadata.namespace ?? "", name: o.metadata.name }),
        clusters[endpointKey(remoteOf(t, o).endpoint)] ?? "",
        "orders",
        locateIn(t),
      );
    expect(peers(a)).toEqual({ peers: ["eu/orders", "staging/orders"], unidentified: [] });
    expect(peers(b)).toEqual({ peers: ["eu/orders", "prod/orders"], unidentified: [] });
    expect(peers(e)).toEqual({ peers: ["prod/orders", "staging/orders"], unidentified: [] });
    expect(peers(c)).toEqual({ peers: [], unidentified: [] });
  });
});

describe("ownership over the fleet index (property-based): many spellings, namespaces and same names", () => {
  // Each remote has several spellings; the oracle compares remotes by index, never by text.
  const REMOTES = [
    ["https://dcs.example.test", "https://DCS.example.test:443", "https://dcs.example.test/"],
    ["https://dcs.example.test:8443", "HTTPS://dcs.example.test:8443/"],
    ["https://dcs.other.test", "https://dcs.other.test:443/"],
  ] as const;
  const prefixes = ["c", "cache-", "cache-eu-", "kv-"] as const;
  const names = ["cache-1", "cache-eu-1", "cache-eu-2", "kv-1", "c-2"];

  const setArb = fc.record({
    namespace: fc.constantFrom("prod", "staging", "qa"),
    name: fc.constantFrom("cache", "cache", "sessions"),
    remote: fc.nat(REMOTES.length - 1),
    spelling: fc.nat(2),
    project: fc.constantFrom("p1", "p1", "p2"),
    prefix: fc.constantFrom(...prefixes),
    team: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
  });
  const instanceArb = fc.record({ name: fc.constantFrom(...names), team: fc.constantFrom("a", "b") });

  it("an instance is a target of a set exactly when no other set of that project (through any endpoint) holds it", () => {
    let contestedAcrossSpellingsOrNamespaces = 0;
    const runs = 300;
    fc.assert(
      fc.property(
        fc.uniqueArray(setArb, { selector: (s) => `${s.namespace}/${s.name}`, minLength: 2, maxLength: 8 }),
        fc.uniqueArray(instanceArb, { selector: (i) => `${i.name}/${i.team}`, maxLength: 10 }),
        (sets, generated) => {
          const w = world();
          const endpoints = sets.map((s) => {
            const spellings = REMOTES[s.remote] ?? [];
            return spellings[s.spelling % spellings.length] ?? "";
          });
          const objects = sets.map((s, i) => {
            const endpoint = endpoints[i] ?? "";
            addDcsConnection(w, s.namespace, `conn-${i}`, { endpoint, projectId: s.project });
            return refRedisManifest({
              namespace: s.namespace,
              name: s.name,
              connection: { name: `conn-${i}` },
              selector: { namePrefix: s.prefix, ...(s.team ? { tags: { team: s.team } } : {}) },
              instances: [],
              policy: { allowEmpty: true, maxDeletionsPerOperation: 100, approvalThreshold: 100 },
            });
          });
          const fleet = fleetOf(w, objects);
          // Every remote project lists the same instances: what matters is who else holds them there.
          const instances = generated.map((g, i) => ({ ...seen(g.name, { team: g.team }), id: `id-${i}` }));
          const parsed = objects.map((o) => redisInstanceSet.parse(o));
          let hard = false;
          for (const [i, set] of parsed.entries()) {
            const s = sets[i];
            if (!s) continue;
            const at = remoteOf(w, objects[i] as KubeObject);
            const id = identity({ namespace: s.namespace, name: s.name });
            const plan = planRedis(set.spec, instances, [], new Date(), (inst) =>
              redisPeers(fleet, id, at.projectId ?? "", inst),
            );
            const holders = (inst: ObservedRedis) =>
              sets.filter(
                // A project is one remote through every endpoint (issue 26).
                (o, j) => o.project === s.project && inScope(parsed[j]?.spec.selector ?? {}, inst),
              );
            for (const inst of instances.filter((x) => inScope(set.spec.selector, x))) {
              const others = holders(inst).filter((o) => o !== s);
              const targeted = plan.toDelete.some((t) => t.id === inst.id);
              expect(targeted, `${inst.name} for ${s.namespace}/${s.name}`).toBe(others.length === 0);
              if (others.some((o) => o.name === s.name || endpoints[sets.indexOf(o)] !== endpoints[i]))
                hard = true;
            }
          }
          if (hard) contestedAcrossSpellingsOrNamespaces++;
        },
      ),
      { numRuns: runs },
    );
    // The hard cases (a peer of the same name in another namespace, or through another spelling) are reached.
    expect(contestedAcrossSpellingsOrNamespaces / runs).toBeGreaterThan(0.1);
  });
});

describe("the re-read just before deleting asks the fleet again", () => {
  let sim: DcsSimulator | undefined;
  let pool: ConnectionClients<DcsClient> | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    await sim?.stop();
  });

  it("a victim retagged into a peer's scope between the listing and the delete is not sent", async () => {
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: {
        p1: [
          { name: "cache-1", id: "id-cache-1", tags: { team: "a" } },
          { name: "cache-2", id: "id-cache-2", tags: { team: "a" } },
          { name: "cache-3", id: "id-cache-3", tags: { team: "a" } },
        ],
      },
      deleteDelayMs: 60_000,
    });
    const url = await sim.start();
    const w = world();
    // prod/cache owns everything named cache-*; staging/cache (same name, another namespace, the same
    // project through a connection spelled with a trailing slash) owns team b.
    addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
    addDcsConnection(w, "staging", "dcs", { endpoint: `${url}/`, projectId: "p1" });
    addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
    addSecret(w, "staging", "dcs", { accessKey: "AK", secretKey: "SK" });
    const ours = refRedisManifest({
      namespace: "prod",
      connection: { name: "dcs" },
      instances: ["cache-1"],
      policy: { approvalThreshold: 10 },
    });
    const peer = refRedisManifest({
      namespace: "staging",
      connection: { name: "dcs" },
      selector: { tags: { team: "b" } },
      instances: [],
      policy: { allowEmpty: true },
    });
    const fleet = fleetOf(w, [ours, peer]);
    pool = new ConnectionClients<DcsClient>();
    const listings = new SharedListings();
    const kind = redisKind({
      resolve: resolverOf(w),
      endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
      pool,
      listings,
      peers: (id, remote, instance) => redisPeers(fleet, id, remote.projectId ?? "", instance),
    });
    const calls: Calls = [];
    const api = new FakeApi(ours, calls);
    const reconciler = new SetReconciler(kind, {
      cache: { get: () => api.stored },
      status: api.writer(),
      events: eventLog(calls),
      credentials: new MemoryCredentialHealth(),
    });
    // The shared listing is read while all three are team a; then cache-3 is retagged into the peer's scope.
    const connection = await kind.connect(redisInstanceSet.parse(ours), identity({ name: "cache" }));
    if (!connection.ok) throw new Error(connection.step.message);
    await listings.get(connection.client, 60_000);
    const retagged = sim.projects.get("p1")?.get("id-cache-3");
    if (!retagged) throw new Error("seed");
    retagged.tags = [{ key: "team", value: "b" }];

    await reconciler.reconcile(request(new AbortController().signal, "prod/cache"));
    const deletes = sim.log.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.body).toMatchObject({ instances: ["id-cache-2"] });
    expect(sim.instances("p1").find((i) => i.instance_id === "id-cache-3")?.status).toBe("RUNNING");

    // Had the re-read found only contested victims, nothing at all would be sent.
    sim.log.length = 0;
    const step = await kind.prepare?.(
      connection.client,
      redisInstanceSet.parse(ours),
      {
        kind: "DeleteInstances",
        reason: Reason.Deleting,
        message: "",
        targets: [{ id: "id-cache-3", name: "cache-3" }],
      },
      identity({ name: "cache" }),
      new Date(),
      { endpoint: url, projectId: "p1", identity: "dcs|p1" },
    );
    expect(step).toMatchObject({ kind: "Wait", reason: Reason.VictimsChanged });
    expect(sim.log.filter((r) => r.method === "DELETE")).toHaveLength(0);
  });
});
