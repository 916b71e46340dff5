// Two per-set rules against the DCS simulator, judged by its request log: batches of at most 50 (120
// deletions go as 50, 50 and 20, each instance once) and no action on a partial observation (a short page
// whose instance_num did not move is never taken for the whole listing). Wrong versions this is written
// against: a batch loop that overlaps, drops or stops after the first batch, a limit of 51, a pager that
// trusts a short page.
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { InconsistentListingError } from "../../src/providers/errors.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { ObserveFailed, SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import type { SimInstanceInput } from "../simulators/dcs/instances.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "../unit/engine-fakes.js";
import {
  addDcsConnection,
  addSecret,
  type RefRedisOptions,
  refRedisManifest,
  resolverOf,
  world,
} from "../unit/fleet-world.js";

const fleetOf = (n: number): SimInstanceInput[] =>
  Array.from({ length: n }, (_, i) => ({ name: `cache-${String(i).padStart(3, "0")}`, id: `id-${i}` }));

let sim: DcsSimulator | undefined;
const pools: ConnectionClients<DcsClient>[] = [];
const clients: DcsClient[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.closeAll();
  for (const c of clients.splice(0)) await c.close();
  await sim?.stop();
});

/** A connectionRef RedisInstanceSet over the simulator's project p1, reconciled by the real engine. */
async function redisSetOn(instances: SimInstanceInput[], set: Partial<RefRedisOptions>) {
  sim = new DcsSimulator({
    credentials: [{ accessKey: "AK", secretKey: "SK" }],
    projects: { p1: instances },
    deleteDelayMs: 60_000,
  });
  const url = await sim.start();
  const w = world();
  addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
  addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
  const pool = new ConnectionClients<DcsClient>();
  pools.push(pool);
  const calls: Calls = [];
  const api = new FakeApi(refRedisManifest({ connection: { name: "dcs" }, ...set }), calls);
  const reconciler = new SetReconciler(
    redisKind({
      resolve: resolverOf(w),
      endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
      pool,
      listings: new SharedListings(),
    }),
    {
      cache: { get: () => api.stored },
      status: api.writer(),
      events: eventLog(calls),
      credentials: new MemoryCredentialHealth(),
    },
  );
  return {
    sim,
    api,
    calls,
    reconcile: () => reconciler.reconcile(request(new AbortController().signal, "prod/cache")),
  };
}

describe("batches of at most 50, against the simulator", () => {
  it("120 deletions in one operation go as three DELETEs of 50, 50 and 20, every instance once", async () => {
    const h = await redisSetOn(fleetOf(121), {
      instances: ["cache-000"],
      policy: { maxDeletionsPerOperation: 120, approvalThreshold: 1000 },
    });
    await h.reconcile();
    const deletes = h.sim.log.filter((r) => r.method === "DELETE");
    const bodies = deletes.map((r) => (JSON.parse(r.rawBody) as { instances: string[] }).instances);
    expect(bodies.map((b) => b.length)).toEqual([50, 50, 20]);
    const sent = bodies.flat();
    expect(new Set(sent).size).toBe(120);
    expect(sent).not.toContain("id-0");
    expect(new Set(sent)).toEqual(
      new Set(
        fleetOf(121)
          .slice(1)
          .map((i) => i.id),
      ),
    );
    // Every one accepted (none over the simulator's limit of 50), and recorded so.
    expect(deletes.every((r) => r.status === 200)).toBe(true);
    expect(h.sim.deleteFailures).toEqual([]);
    const records = h.api.status.deletions as { result: string }[];
    expect(records).toHaveLength(120);
    expect(records.every((r) => r.result === "success")).toBe(true);
    // No batch ever names all_failure.
    expect(deletes.every((r) => !r.query.includes("all_failure"))).toBe(true);
  });

  it("a batch refused as a whole refuses only its own 50; the other batches still go", async () => {
    const h = await redisSetOn(fleetOf(121), {
      instances: ["cache-000"],
      policy: { maxDeletionsPerOperation: 120, approvalThreshold: 1000 },
    });
    // The first DELETE is refused as a whole, before DCS acts on it.
    h.sim.addFault({ method: "DELETE", kind: "status", status: 400, code: "DCS.4800", times: 1 });
    await h.reconcile();
    const deletes = h.sim.log.filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => (JSON.parse(r.rawBody) as { instances: string[] }).instances.length)).toEqual([
      50, 50, 20,
    ]);
    const records = h.api.status.deletions as { result: string }[];
    expect(records.filter((r) => r.result === "failed")).toHaveLength(50);
    expect(records.filter((r) => r.result === "success")).toHaveLength(70);
  });
});

describe("a short page whose instance_num did not move", () => {
  function client(): DcsClient {
    const c = new DcsClient({
      endpoint: sim?.url ?? "",
      projectId: "p1",
      auth: { kind: "aksk", credentials: () => ({ accessKey: "AK", secretKey: "SK" }) },
      pageSize: 10,
      timeoutMs: 5000,
      retry: { attempts: 1, baseMs: 1, maxMs: 1, random: () => 1, sleep: async () => undefined },
    });
    clients.push(c);
    return c;
  }
  async function simWith(n: number): Promise<DcsSimulator> {
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: { p1: fleetOf(n) },
    });
    await sim.start();
    return sim;
  }

  it.each([
    ["the first page", 25, 0],
    ["a middle page", 25, 1],
    ["the last page", 25, 2],
  ])(
    "%s one short, once: listed again until two full listings agree; never the partial one",
    async (_, n, skip) => {
      const s = await simWith(n);
      // The pages before the shortened one pass whole: the page after the skip-th is one short.
      let served = 0;
      if (skip === 0) s.shortPages = 1;
      s.http.onComplete.add((entry) => {
        if (entry.method === "GET" && ++served === skip) s.shortPages = 1;
      });
      const listing = await client().listInstances();
      expect(listing.instances).toHaveLength(n);
      // The first listing was short; two whole ones followed.
      expect(s.log.filter((r) => r.query.includes("offset=0&"))).toHaveLength(3);
    },
  );

  it("short on every listing: an InconsistentListingError, never a listing with instances missing", async () => {
    const s = await simWith(25);
    s.shortPages = 1000;
    const error = await client()
      .listInstances()
      .then(
        (l) => l,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InconsistentListingError);
  });

  it("through the engine: the set observes nothing, decides nothing, deletes nothing", async () => {
    const h = await redisSetOn(fleetOf(25), {
      instances: ["cache-000"],
      policy: { allowEmpty: false, maxDeletionsPerOperation: 50, approvalThreshold: 1000 },
    });
    h.sim.shortPages = 1000;
    const error = await h.reconcile().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, JSON.stringify(h.calls)).toBeInstanceOf(ObserveFailed);
    expect(h.calls.filter((c) => c.startsWith("status "))).toEqual(["status Reconciling/ObserveFailed"]);
    expect(h.sim.log.filter((r) => r.method === "DELETE")).toHaveLength(0);
  });
});
