// Fleet rule "an approval is bound to its target" for sets that name a connection (the recommended config):
// the hash covers the action, the set's namespace and name, where the connection leads (endpoint, DCS
// project or tenant) and the exact targets, over many targets. Wrong versions this is written against: a
// hash over the first operation's share only, over names instead of ids, in listing order, or without the
// endpoint or project the connection resolves to.
import { afterEach, describe, expect, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { tenantReplicaSet } from "../../src/api/tenant-replica-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { type ApprovalTarget, targetHash } from "../../src/reconcilers/approval.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { identityOf, SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis, type RedisStep } from "../../src/reconcilers/redis/decide.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import type { ObservedRedis } from "../../src/reconcilers/redis/plan.js";
import { decideTenant, type TenantStep } from "../../src/reconcilers/tenant/decide.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi } from "./engine-fakes.js";
import {
  addClusterDcsConnection,
  addDcsConnection,
  addObshellConnection,
  addSecret,
  type RefRedisOptions,
  type RefTenantOptions,
  refRedisManifest,
  refTenantManifest,
  remoteOf,
  resolverOf,
  world,
} from "./fleet-world.js";
import { instance, NOW, tenantSeen } from "./sets.js";

describe("targetHash: every part of the target, and the targets as a set", () => {
  const target: ApprovalTarget = {
    kind: "DeleteInstances",
    namespace: "prod",
    name: "cache",
    remote: "dcs|p1",
    scope: "p1",
    targets: Array.from({ length: 60 }, (_, i) => `id-${i}`),
  };
  const base = targetHash(target);
  it.each<[string, Partial<ApprovalTarget>]>([
    ["kind", { kind: "RemoveZones" }],
    ["namespace", { namespace: "staging" }],
    ["name", { name: "sessions" }],
    ["remote", { remote: "dcs|p2" }],
    ["scope (project or tenant)", { scope: "p2" }],
    ["one target of 60", { targets: target.targets.map((t) => (t === "id-37" ? "id-37b" : t)) }],
    ["one target fewer", { targets: target.targets.slice(1) }],
    // Fields are not run together: namespace "prod" + name "cache" is not namespace "prodc" + name "ache".
    ["the boundary between namespace and name", { namespace: "prodc", name: "ache" }],
  ])("changes with the %s", (_, change) => {
    expect(targetHash({ ...target, ...change })).not.toBe(base);
  });
  it("does not change with the order of the targets", () => {
    expect(targetHash({ ...target, targets: [...target.targets].reverse() })).toBe(base);
  });
});

/** 60 instances to delete (cache-000 .. cache-059) beside the one kept. */
const SIXTY = Array.from({ length: 60 }, (_, i) => instance(`cache-${String(i).padStart(3, "0")}`));
const LISTED = [instance("cache-keep"), ...SIXTY];

interface RedisCase {
  set?: Partial<RefRedisOptions>;
  /** Where the connection prod/dcs leads. */
  endpoint?: string;
  projectId?: string;
  listed?: ObservedRedis[];
}

function redisStep(c: RedisCase = {}, annotations?: Record<string, string>): RedisStep {
  const w = world();
  addDcsConnection(w, c.set?.namespace ?? "prod", "dcs", {
    endpoint: c.endpoint ?? "https://dcs.example.test",
    projectId: c.projectId ?? "p1",
  });
  const object = refRedisManifest({
    connection: { name: "dcs" },
    instances: ["cache-keep"],
    ...c.set,
    ...(annotations ? { annotations } : {}),
  });
  const set = redisInstanceSet.parse(object);
  return decideRedis({
    set,
    status: set.status,
    observed: { instances: c.listed ?? LISTED },
    fleet: { peersOf: () => [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

function redisHash(c: RedisCase = {}): string {
  const step = redisStep(c);
  if (step.kind !== "AwaitApproval")
    throw new Error(`expected AwaitApproval, got ${step.kind}: ${step.message}`);
  return step.approval.hash;
}

describe("the approval of a 60-instance plan of a connectionRef RedisInstanceSet", () => {
  const base = redisHash();
  const oneIdChanged = (index: number) =>
    LISTED.map((i) =>
      i.name === `cache-${String(index).padStart(3, "0")}` ? { ...i, id: `${i.id}-new` } : i,
    );

  const changes: { reason: string; c: RedisCase }[] = [
    { reason: "another namespace", c: { set: { namespace: "staging" } } },
    { reason: "another set name", c: { set: { name: "sessions" } } },
    { reason: "the connection repointed to another project", c: { projectId: "p2" } },
    { reason: "the first instance's id (same name, a new instance)", c: { listed: oneIdChanged(0) } },
    {
      reason: "the 46th instance's id, far past the first operation's share",
      c: { listed: oneIdChanged(45) },
    },
    { reason: "the last instance's id", c: { listed: oneIdChanged(59) } },
    { reason: "one instance fewer", c: { listed: LISTED.slice(0, -1) } },
    { reason: "one instance more", c: { listed: [...LISTED, instance("cache-060")] } },
  ];
  it.each(changes)("changes with $reason", ({ c }) => {
    expect(redisHash(c)).not.toBe(base);
  });

  const same: { reason: string; c: RedisCase }[] = [
    // A project is its id, through any endpoint (issue 26): the approval holds through either spelling.
    { reason: "the same project through another endpoint", c: { endpoint: "https://dcs.other.test" } },
    { reason: "the listing in another order", c: { listed: [...LISTED].reverse() } },
    {
      reason: "instances renamed, same ids (targets are ids)",
      c: { listed: LISTED.map((i) => (i.name === "cache-keep" ? i : { ...i, name: `cache-r${i.name}` })) },
    },
  ];
  it.each(same)("does not change with $reason", ({ c }) => {
    expect(redisHash(c)).toBe(base);
  });

  it("is the remote's, not the connection object's: a ClusterDatabaseConnection to the same project gives the same hash", () => {
    const w = world();
    addClusterDcsConnection(w, "shared", { endpoint: "https://dcs.example.test", projectId: "p1" });
    const object = refRedisManifest({
      connection: { kind: "ClusterDatabaseConnection", name: "shared" },
      instances: ["cache-keep"],
    });
    const set = redisInstanceSet.parse(object);
    const step = decideRedis({
      set,
      status: undefined,
      observed: { instances: LISTED },
      fleet: { peersOf: () => [] },
      remote: remoteOf(w, object),
      id: identityOf(object),
      now: NOW,
    });
    expect(step).toMatchObject({ kind: "AwaitApproval", approval: { hash: base } });
  });

  it("approves exactly that plan: the approval of the old project, or of the old 46th instance, runs nothing", () => {
    const approved = { [APPROVE_PLAN_ANNOTATION]: base };
    expect(redisStep({}, approved)).toMatchObject({ kind: "DeleteInstances", approval: base });
    for (const c of [{ projectId: "p2" }, { listed: oneIdChanged(45) }])
      expect(redisStep(c, approved)).toMatchObject({
        kind: "AwaitApproval",
        reason: Reason.ApprovalRequired,
      });
  });
});

interface TenantCase {
  set?: Partial<RefTenantOptions>;
  endpoint?: string;
  locality?: string;
}

// Three READONLY zones to remove beside three FULL ones kept, one zone per operation: needs approval.
const SIX = "FULL@z1,FULL@z2,FULL@z3,READONLY@z4,READONLY@z5,READONLY@z6";

function tenantStep(c: TenantCase = {}, annotations?: Record<string, string>): TenantStep {
  const w = world();
  addObshellConnection(w, c.set?.namespace ?? "prod", "ob", {
    endpoint: c.endpoint ?? "http://10.0.0.1:2886",
  });
  const object = refTenantManifest({
    connection: { name: "ob" },
    zones: ["z1", "z2", "z3"],
    ...c.set,
    ...(annotations ? { annotations } : {}),
  });
  const set = tenantReplicaSet.parse(object);
  const seen = tenantSeen(c.locality ?? SIX);
  return decideTenant({
    set,
    status: undefined,
    observed: { kind: "tenant", tenant: { ...seen, name: set.spec.tenant }, unfinished: [] },
    fleet: { peers: [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

function tenantHash(c: TenantCase = {}): string {
  const step = tenantStep(c);
  if (step.kind !== "AwaitApproval")
    throw new Error(`expected AwaitApproval, got ${step.kind}: ${step.message}`);
  return step.approval.hash;
}

describe("the approval of a connectionRef TenantReplicaSet's plan", () => {
  const base = tenantHash();
  it.each([
    { reason: "another namespace", c: { set: { namespace: "staging" } } },
    { reason: "another set name", c: { set: { name: "orders-eu" } } },
    { reason: "the connection repointed to another agent", c: { endpoint: "http://10.0.0.2:2886" } },
    { reason: "another tenant", c: { set: { tenant: "billing" } } },
    {
      reason: "the third zone to remove, past the first operation's share",
      c: { locality: "FULL@z1,FULL@z2,FULL@z3,READONLY@z4,READONLY@z5,READONLY@z7" },
    },
  ])("changes with $reason", ({ c }) => {
    expect(tenantHash(c)).not.toBe(base);
  });

  it("does not change with the order obshell lists the zones in", () => {
    expect(tenantHash({ locality: "READONLY@z6,FULL@z3,READONLY@z4,FULL@z1,READONLY@z5,FULL@z2" })).toBe(
      base,
    );
  });

  it("runs the plan it was given for, and nothing at another agent", () => {
    const approved = { [APPROVE_PLAN_ANNOTATION]: base };
    expect(tenantStep({}, approved)).toMatchObject({ kind: "RemoveZones", approval: base });
    expect(tenantStep({ endpoint: "http://10.0.0.2:2886" }, approved)).toMatchObject({
      kind: "AwaitApproval",
      reason: Reason.ApprovalRequired,
    });
  });
});

describe("the approval through the engine: the project the connection resolves to reaches the hash", () => {
  let sim: DcsSimulator | undefined;
  let pool: ConnectionClients<DcsClient> | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    await sim?.stop();
  });

  it("an approval given while the connection led to p1 does not delete in p2 after the admin repoints it", async () => {
    // Two projects holding instances with the very same ids and names.
    const seed = [{ name: "cache-keep", id: "id-keep" }, ...SIXTY.map((i) => ({ name: i.name, id: i.id }))];
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: { p1: seed, p2: seed },
    });
    const url = await sim.start();
    const w = world();
    addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
    addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
    pool = new ConnectionClients<DcsClient>();
    const reconciler = (object: KubeObject) => {
      const calls: Calls = [];
      const api = new FakeApi(object, calls);
      return new SetReconciler(
        redisKind({
          resolve: resolverOf(w),
          endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
          pool: pool as ConnectionClients<DcsClient>,
          listings: new SharedListings(),
        }),
        {
          cache: { get: () => api.stored },
          status: api.writer(),
          events: eventLog(calls),
          credentials: new MemoryCredentialHealth(),
        },
      );
    };
    const assess = async (object: KubeObject) => (await reconciler(object).assess(object)).step;

    const unapproved = refRedisManifest({ connection: { name: "dcs" }, instances: ["cache-keep"] });
    const first = await assess(unapproved);
    if (first.kind !== "AwaitApproval") throw new Error(`${first.kind}: ${first.message}`);
    const approved = refRedisManifest({
      connection: { name: "dcs" },
      instances: ["cache-keep"],
      annotations: { [APPROVE_PLAN_ANNOTATION]: first.approval.hash },
    });
    expect(await assess(approved)).toMatchObject({ kind: "DeleteInstances", approval: first.approval.hash });

    addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p2" });
    const moved = await assess(approved);
    expect(moved).toMatchObject({ kind: "AwaitApproval", reason: Reason.ApprovalRequired });
    if (moved.kind === "AwaitApproval") expect(moved.approval.hash).not.toBe(first.approval.hash);
    expect(sim.log.filter((r) => r.method === "DELETE")).toHaveLength(0);
  });
});
