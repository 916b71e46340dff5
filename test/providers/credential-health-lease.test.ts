// Fleet rule "shared credential health" as production runs it: LeaseCredentialHealth (the one the operator
// builds) over a small API server on loopback that answers the Lease GET/POST/PUT with resourceVersion
// checks, fed by the engine and `connect` themselves (the credential and lock-scope digests they compute), three
// RedisInstanceSets naming three DatabaseConnections whose Secrets hold one AK with three wrong SKs, against
// the DCS simulator. Judged by the simulator's log: refused requests per AK. Wrong versions this is written
// against: a lock scope keyed by the SK or the project, a gate asked without the lock scope, state not
// restored after a restart, two writers losing each other's refusals.
import { scryptSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { createLogger } from "../../src/observability/logger.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { LeaseCredentialHealth } from "../../src/reconcilers/engine/lease-credential-health.js";
import { AUTH_RETRY_MS, MAX_SCOPE_FAILURES } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "../unit/engine-fakes.js";
import {
  addDcsConnection,
  addSecret,
  refRedisManifest,
  resolverOf,
  type World,
  world,
} from "../unit/fleet-world.js";

const NAMESPACE = "dbfleet-system";
// The literal names, not the constants: an upgraded operator must find the Lease and annotation an earlier
// release wrote (and the Role that grants the Lease names it).
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/dbfleet-operator-credential-health`;
const ANNOTATION = "dbfleet.io/credential-health";
const silent = createLogger({ level: "silent" });

/** Just enough of an API server for one Lease: GET, POST (create), PUT with an optimistic resourceVersion. */
class LeaseApi {
  stored: { metadata: { resourceVersion: string; annotations?: Record<string, string> } } | undefined;
  readonly log: string[] = [];
  /** Runs once, before the next PUT is applied: another replica writing in between. */
  beforePut: (() => Promise<void>) | undefined;
  /** Answers every GET / PUT with this status instead (an API server in trouble, or always conflicting). */
  failGet: number | undefined;
  failPut: number | undefined;
  private server: Server | undefined;
  private version = 0;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  http(): KubeHttp {
    return new KubeHttp({
      server: this.url,
      headers: async () => ({}),
      dispatcher: async () => undefined,
      close: async () => undefined,
    });
  }

  /** The stored state, parsed: digests of refused credentials and refusals per lock scope. */
  get state(): { failed: Record<string, number>; scopes: Record<string, number[]> } | undefined {
    const text = this.stored?.metadata.annotations?.[ANNOTATION];
    return text ? JSON.parse(text) : undefined;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    this.log.push(`${req.method} ${req.url}`);
    const status = (code: number, reason: string) => ({
      status: code,
      body: { kind: "Status", apiVersion: "v1", status: "Failure", reason, code },
    });
    if (req.method === "GET" && req.url === LEASE_PATH && this.failGet) return status(this.failGet, "Failed");
    if (req.method === "PUT" && req.url === LEASE_PATH && this.failPut) return status(this.failPut, "Failed");
    if (req.method === "GET" && req.url === LEASE_PATH)
      return this.stored ? { status: 200, body: this.stored } : status(404, "NotFound");
    // As the API server does: a body that is not a coordination.k8s.io/v1 Lease is refused.
    if (
      (req.method === "POST" || req.method === "PUT") &&
      (body?.kind !== "Lease" || body?.apiVersion !== "coordination.k8s.io/v1")
    )
      return status(400, "BadRequest");
    if (req.method === "POST" && req.url === LEASE_PATH.slice(0, LEASE_PATH.lastIndexOf("/"))) {
      if (this.stored) return status(409, "AlreadyExists");
      this.stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
      return { status: 201, body: this.stored };
    }
    if (req.method === "PUT" && req.url === LEASE_PATH) {
      const hook = this.beforePut;
      this.beforePut = undefined;
      await hook?.();
      if (body.metadata.resourceVersion !== this.stored?.metadata.resourceVersion)
        return status(409, "Conflict");
      this.stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
      return { status: 200, body: this.stored };
    }
    return status(404, "NotFound");
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const AK = "AKFLEETSHARED00000001";
const GOOD_SK = "SK-the-right-one-000000000000000000000000";

describe("shared credential health through LeaseCredentialHealth, the engine and connect", () => {
  let sim: DcsSimulator | undefined;
  let api: LeaseApi | undefined;
  const pools: ConnectionClients<DcsClient>[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.closeAll();
    await sim?.stop();
    await api?.stop();
  });

  /** The operator's wiring for a few sets: one pool, one listing cache, one credential health, one clock. */
  function operator(w: World, health: LeaseCredentialHealth, clock: () => Date) {
    const pool = new ConnectionClients<DcsClient>();
    pools.push(pool);
    const kind = redisKind({
      resolve: resolverOf(w),
      endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
      pool,
      listings: new SharedListings(),
    });
    const sets = new Map<
      string,
      { api: FakeApi; calls: Calls; reconciler: SetReconciler<never, never, never, never, never, never> }
    >();
    return {
      async reconcile(object: KubeObject): Promise<string | undefined> {
        const key = `${object.metadata.namespace}/${object.metadata.name}`;
        let s = sets.get(key);
        if (!s) {
          const calls: Calls = [];
          const fake = new FakeApi(object, calls);
          const reconciler = new SetReconciler(kind, {
            cache: { get: () => fake.stored },
            status: fake.writer(),
            events: eventLog(calls),
            credentials: health,
            now: clock,
          }) as unknown as SetReconciler<never, never, never, never, never, never>;
          s = { api: fake, calls, reconciler };
          sets.set(key, s);
        }
        await s.reconciler.reconcile(request(new AbortController().signal, key)).catch(() => undefined);
        return s.calls.filter((c) => c.startsWith("status ")).at(-1);
      },
    };
  }

  it("two wrong SKs and a third untested SK of one AK: at most 2 refused requests per AK in 5 minutes, across a restart", async () => {
    sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: GOOD_SK }],
      projects: { p1: [{ name: "cache-1" }], p2: [{ name: "cache-1" }] },
    });
    const url = await sim.start();
    api = new LeaseApi();
    await api.start();
    const w = world();
    // Three teams' connections, one AK: two SKs mistyped, a third untested one in another project.
    const teams = [
      { ns: "team-a", project: "p1", sk: "SK-wrong-one" },
      { ns: "team-b", project: "p1", sk: "SK-wrong-two" },
      { ns: "team-c", project: "p2", sk: "SK-wrong-three" },
    ];
    for (const t of teams) {
      addDcsConnection(w, t.ns, "dcs", { endpoint: url, projectId: t.project });
      addSecret(w, t.ns, "dcs", { accessKey: AK, secretKey: t.sk });
    }
    const sets = teams.map((t) => refRedisManifest({ namespace: t.ns, connection: { name: "dcs" } }));
    const refusedSoFar = () => sim?.log.filter((r) => r.status === 401).length ?? 0;

    let now = new Date("2026-11-23T10:00:00.000Z");
    // Each reading moves the clock by a millisecond: two refusals never share a timestamp (see the
    // same-millisecond case below).
    const clock = () => {
      now = new Date(now.getTime() + 1);
      return now;
    };
    const first = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, clock);
    await first.load();
    const before = operator(w, first, clock);
    for (const set of sets) await before.reconcile(set);
    expect(refusedSoFar()).toBe(MAX_SCOPE_FAILURES);
    // The untested third SK was never sent: the AK's budget was spent.
    expect(await before.reconcile(sets[2] as KubeObject)).toBe("status Stalled/AuthenticationFailed");
    expect(refusedSoFar()).toBe(2);
    // A minute later, every set again: nothing sent.
    now = new Date(now.getTime() + 60_000);
    for (const set of sets) expect(await before.reconcile(set)).toBe("status Stalled/AuthenticationFailed");
    expect(refusedSoFar()).toBe(2);

    // The refusals reach the Lease, as digests only.
    await until(
      "both refusals stored",
      () => (Object.values(api?.state?.scopes ?? {})[0]?.length ?? 0) === 2,
    );
    const text = JSON.stringify(api.stored);
    for (const secret of [AK, GOOD_SK, ...teams.map((t) => t.sk)]) expect(text).not.toContain(secret);

    // Restart: a new process, a new health restored from the annotation, new clients.
    now = new Date(now.getTime() + 60_000);
    const second = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, clock);
    await second.load();
    const after = operator(w, second, clock);
    for (const set of [...sets].reverse())
      expect(await after.reconcile(set)).toBe("status Stalled/AuthenticationFailed");
    expect(refusedSoFar()).toBe(2);

    // Once the window has passed, the AK gets its 2 again, and no more, within the next window.
    now = new Date(Date.parse("2026-11-23T10:00:00.000Z") + AUTH_RETRY_MS + 1000);
    for (const set of sets) await after.reconcile(set);
    for (const set of sets) await after.reconcile(set);
    expect(refusedSoFar()).toBe(2 * MAX_SCOPE_FAILURES);
    // DCS locks an AK after 5 bad signatures: the operator alone never got there.
    expect(sim.log.filter((r) => JSON.stringify(r.handled?.body ?? "").includes("locked"))).toHaveLength(0);
  });

  it("two replicas writing at once keep each other's refusals (a PUT that conflicts is merged and retried)", async () => {
    api = new LeaseApi();
    await api.start();
    const now = new Date("2026-11-23T10:00:00.000Z");
    const at = (ms: number) => new Date(now.getTime() + ms);
    const one = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
    const two = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
    await one.load();
    await two.load();
    two.recordFailure("credential-b", at(1), "scope");
    await until("the first write", () => Object.keys(api?.state?.failed ?? {}).length === 1);
    // While replica one writes, replica two writes again in between: one's PUT conflicts.
    api.beforePut = async () => {
      two.recordFailure("credential-c", at(2), "scope");
      await two.flush();
    };
    one.recordFailure("credential-a", at(3), "scope");
    await until("all three refusals stored", () => Object.keys(api?.state?.failed ?? {}).length === 3);
    expect(api.log.filter((l) => l.startsWith("PUT")).length).toBeGreaterThanOrEqual(3);
    expect(Object.values(api.state?.scopes ?? {})[0]).toHaveLength(3);

    // A restarted replica sees all three, and the scope's budget as spent.
    const three = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
    await three.load();
    for (const c of ["credential-a", "credential-b", "credential-c"])
      expect(three.mayAttempt(c, at(4)).ok).toBe(false);
    expect(three.mayAttempt("credential-d", at(4), "scope").ok).toBe(false);
    expect(three.mayAttempt("credential-d", at(4), "another-scope").ok).toBe(true);
  });

  // restore() merges a scope's refusals as a set, and flush() restores the stored state before writing:
  // two refusals in the same millisecond (parallel workers, two replicas) must stay two.
  it("two refusals of one AK in the same millisecond still spend its whole budget after a flush", async () => {
    api = new LeaseApi();
    await api.start();
    const now = new Date("2026-11-23T10:00:00.000Z");
    const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
    await health.load();
    health.recordFailure("sk-1", now, "ak");
    await health.flush(); // the first refusal is stored
    health.recordFailure("sk-2", now, "ak");
    expect(health.mayAttempt("sk-3", now, "ak").ok).toBe(false);
    await health.flush(); // merged with the stored one: [t] and [t, t] make [t]
    expect(health.mayAttempt("sk-3", now, "ak").ok).toBe(false);
  });

  it("until the Lease is read, nothing may be sent", async () => {
    api = new LeaseApi();
    await api.start();
    const now = new Date("2026-11-23T10:00:00.000Z");
    const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
    expect(health.mayAttempt("credential-a", now).ok).toBe(false);
    await health.load();
    expect(health.mayAttempt("credential-a", now).ok).toBe(true);
  });

  // What the operator relies on when the Lease is missing, unreadable or contested. Wrong versions: a failed
  // first read that leaves the gate shut for ever, a conflict retried without end, a refusal kept under the
  // credential's own digest (readable in the annotation), a success recorded under another key than the
  // refusals, an annotation of an earlier release not read back.
  describe("the Lease missing, unreadable or contested", () => {
    const now = new Date("2026-11-23T10:00:00.000Z");
    const warnings = () => {
      const lines: string[] = [];
      const log = createLogger({ level: "warn" }, { write: (line: string) => void lines.push(line) });
      return { log, lines };
    };
    const idOf = (digest: string) => scryptSync(digest, "dbfleet-credential-health", 16).toString("hex");

    it("a Lease that cannot be read is warned about once, and requests may still be sent (kept in memory)", async () => {
      api = new LeaseApi();
      await api.start();
      api.failGet = 500;
      const { log, lines } = warnings();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, log, () => now);
      await health.load();
      expect(lines.join("")).toContain("credential health could not be loaded");
      expect(lines.join("")).toContain("500 Failed");
      expect(health.mayAttempt("credential-a", now, "ak")).toEqual({ ok: true });
    });

    it("no Lease yet is the normal first start: no warning, and the first refusal creates it", async () => {
      api = new LeaseApi();
      await api.start();
      const { log, lines } = warnings();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, log, () => now);
      const gate = health.mayAttempt("credential-a", now);
      expect(gate).toEqual({
        ok: false,
        retryAt: now.getTime() + 1000,
        message: "credential health is being loaded",
      });
      await health.load();
      expect(lines).toEqual([]);
      health.recordFailure("credential-a", now, "ak");
      await until("the Lease created", () => api?.state !== undefined);
      expect(api.log.filter((l) => !l.startsWith("GET"))).toEqual([
        `POST ${LEASE_PATH.slice(0, LEASE_PATH.lastIndexOf("/"))}`,
      ]);
      expect(lines).toEqual([]);
      // Stored under a hash of the digest, never the digest itself, for the credential and its scope.
      expect(api.state).toEqual({
        failed: { [idOf("credential-a")]: now.getTime() },
        scopes: { [idOf("ak")]: [expect.any(Number)] },
      });
    });

    it("an annotation written by an earlier run (the same hashing) refuses its credentials after a restart", async () => {
      api = new LeaseApi();
      await api.start();
      api.stored = {
        metadata: {
          resourceVersion: "7",
          annotations: {
            [ANNOTATION]: JSON.stringify({
              failed: { [idOf("credential-a")]: now.getTime() },
              scopes: { [idOf("ak")]: [now.getTime(), now.getTime() + 1] },
            }),
          },
        },
      };
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
      await health.load();
      expect(health.mayAttempt("credential-a", now).ok).toBe(false);
      expect(health.mayAttempt("credential-b", now, "ak").ok).toBe(false);
      expect(health.mayAttempt("credential-b", now, "ak-2").ok).toBe(true);
    });

    it("prepare derives a new credential's ids on the thread pool, the same ids the annotation holds", async () => {
      api = new LeaseApi();
      await api.start();
      api.stored = {
        metadata: {
          resourceVersion: "3",
          annotations: {
            [ANNOTATION]: JSON.stringify({ failed: { [idOf("credential-a")]: now.getTime() }, scopes: {} }),
          },
        },
      };
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
      await health.load();
      // scrypt takes milliseconds by design: derived on the event loop, the promise would be settled before
      // the loop's next turn; on the thread pool, the loop turns while it works.
      let turned = false;
      const prepared = health.prepare("credential-a", "ak");
      setImmediate(() => {
        turned = true;
      });
      await prepared;
      expect(turned).toBe(true);
      expect(health.mayAttempt("credential-a", now, "ak").ok).toBe(false);
      health.recordFailure("credential-c", now, "ak");
      await health.flush();
      expect(Object.keys(api.state?.failed ?? {}).sort()).toEqual(
        [idOf("credential-a"), idOf("credential-c")].sort(),
      );
      expect(Object.keys(api.state?.scopes ?? {})).toEqual([idOf("ak")]);
    });

    it("an annotation that is not the stored shape is ignored, not fatal", async () => {
      api = new LeaseApi();
      await api.start();
      api.stored = {
        metadata: { resourceVersion: "1", annotations: { [ANNOTATION]: '{"failed":"x"}' } },
      };
      const { log, lines } = warnings();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, log, () => now);
      await health.load();
      expect(lines).toEqual([]);
      expect(health.mayAttempt("credential-a", now).ok).toBe(true);
      health.recordFailure("credential-a", now);
      await health.flush();
      expect(Object.keys(api.state?.failed ?? {})).toEqual([idOf("credential-a")]);
    });

    it("a credential that worked stays usable while its AK's budget is spent by other SKs", async () => {
      api = new LeaseApi();
      await api.start();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
      await health.load();
      health.recordSuccess("good");
      health.recordFailure("sk-1", now, "ak");
      health.recordFailure("sk-2", new Date(now.getTime() + 1), "ak");
      expect(health.mayAttempt("untested", now, "ak").ok).toBe(false);
      expect(health.mayAttempt("good", now, "ak").ok).toBe(true);
      await health.flush();
    });

    it("a PUT that always conflicts is tried five times, then given up; another failure is warned once, not retried", async () => {
      api = new LeaseApi();
      await api.start();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
      api.stored = { metadata: { resourceVersion: "1" } };
      await health.load();
      api.failPut = 409;
      await health.flush();
      expect(api.log.filter((l) => l.startsWith("PUT"))).toHaveLength(5);
      api.log.length = 0;
      api.failPut = 500;
      const { log, lines } = warnings();
      const other = new LeaseCredentialHealth(api.http(), NAMESPACE, log, () => now);
      await other.load();
      await other.flush();
      expect(api.log.filter((l) => l.startsWith("PUT"))).toHaveLength(1);
      expect(lines.join("")).toContain("credential health could not be stored");
      expect(lines.join("")).toContain("500 Failed");
    });

    it("a Lease that cannot be read fails the write (nothing is overwritten blind); the refusal still counts", async () => {
      api = new LeaseApi();
      await api.start();
      const health = new LeaseCredentialHealth(api.http(), NAMESPACE, silent, () => now);
      await health.load();
      api.failGet = 500;
      health.recordFailure("credential-a", now, "ak");
      await expect(health.flush()).rejects.toThrow(/500/);
      expect(api.log.filter((l) => !l.startsWith("GET"))).toEqual([]);
      expect(health.mayAttempt("credential-a", now).ok).toBe(false);
    });
  });
});
