// The RedisInstanceSet kind's remote half against the DCS simulator over real HTTP, judged by the
// simulator's request log: the re-read of each victim just before the batch delete (busy, frozen, prepaid,
// renamed, taken, gone, a failed GET), how often it lists while deletions are in flight, and what one
// batch delete reports (accepted, refused as a whole, outcome unknown). Wrong versions this is written
// against: a re-read that trusts the listing, skips one rule, or sends anyway when every victim changed; a
// listing cached for the whole poll interval while deletions are in flight; a lost reply taken as refused.
import { afterEach, describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { type RedisInstanceSet, redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { AuthError } from "../../src/providers/errors.js";
import type { RedisStep } from "../../src/reconcilers/redis/decide.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import type { SimInstance, SimInstanceInput } from "../simulators/dcs/instances.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import {
  addDcsConnection,
  addSecret,
  type RefRedisOptions,
  refRedisManifest,
  resolverOf,
  world,
} from "../unit/fleet-world.js";
import { identity } from "../unit/sets.js";

let sim: DcsSimulator | undefined;
let pool: ConnectionClients<DcsClient> | undefined;
afterEach(async () => {
  await pool?.closeAll();
  await sim?.stop();
  pool = undefined;
  sim = undefined;
});

const seed: SimInstanceInput[] = ["cache-1", "cache-2", "cache-3"].map((name) => ({
  name,
  id: `id-${name}`,
}));

/** A connectionRef set over the simulator's project p1 (cache-1 kept), its kind, client and a settable clock. */
async function on(instances: SimInstanceInput[] = seed, set: Partial<RefRedisOptions> = {}) {
  sim = new DcsSimulator({
    credentials: [{ accessKey: "AK", secretKey: "SK" }],
    projects: { p1: instances },
    deleteDelayMs: 60_000,
  });
  const url = await sim.start();
  const w = world();
  addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
  addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
  pool = new ConnectionClients<DcsClient>();
  const clock = { now: 1_000_000 };
  const listings = new SharedListings(() => clock.now);
  const kind = redisKind({
    resolve: resolverOf(w),
    endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
    pool,
    listings,
    timing: { deletePollMs: 5000 },
  });
  const parsed = redisInstanceSet.parse(
    refRedisManifest({ connection: { name: "dcs" }, policy: { approvalThreshold: 10 }, ...set }),
  );
  const id = identity({ name: "cache" });
  const connection = await kind.connect(parsed, id);
  if (!connection.ok) throw new Error(connection.step.message);
  const simulator = sim;
  const project = (instanceId: string): SimInstance => {
    const found = simulator.projects.get("p1")?.get(instanceId);
    if (!found) throw new Error(`no ${instanceId}`);
    return found;
  };
  const listCalls = () =>
    simulator.log.filter((r) => r.method === "GET" && /\/instances$/.test(r.path)).length;
  const deletes = () =>
    simulator.log
      .filter((r) => r.method === "DELETE")
      .map((r) => (JSON.parse(r.rawBody) as { instances: string[] }).instances);
  return {
    sim: simulator,
    kind,
    client: connection.client,
    set: parsed,
    id,
    url,
    clock,
    listings,
    project,
    listCalls,
    deletes,
  };
}

type Harness = Awaited<ReturnType<typeof on>>;

const deleteStep = (...names: string[]): RedisStep => ({
  kind: "DeleteInstances",
  reason: Reason.Deleting,
  message: "",
  targets: names.map((name) => ({ id: `id-${name}`, name })),
});

/** The kind's destructive path as the engine runs it: the re-read, then the batch delete when anything is left. */
async function reReadAndDelete(h: Harness, step: RedisStep, set: RedisInstanceSet = h.set) {
  const prepared = await h.kind.prepare?.(h.client, set, step, h.id, new Date(), {
    endpoint: h.url,
    projectId: "p1",
    identity: "dcs|p1",
  });
  if (!prepared) throw new Error("the redis kind re-reads");
  const acted =
    prepared.kind === "DeleteInstances"
      ? await h.kind.act(h.client, set, prepared, h.id, new Date())
      : undefined;
  return { prepared, acted };
}

describe("the re-read of each victim just before the batch delete", () => {
  // cache-2 stays a plain victim; cache-3 changes between the listing and the delete.
  it.each<[string, (h: Harness) => void, string[]]>([
    ["nothing changed: both go", () => {}, ["id-cache-2", "id-cache-3"]],
    [
      "an operation started on it (task_status, service_task_id): not sent",
      (h) => h.sim.startOperation("p1", "id-cache-3", 600_000),
      ["id-cache-2"],
    ],
    [
      "frozen for an unpaid bill: not sent",
      (h) => {
        h.project("id-cache-3").status = "FROZEN";
      },
      ["id-cache-2"],
    ],
    [
      "turned yearly/monthly (charging_mode 1): not sent",
      (h) => {
        h.project("id-cache-3").charging_mode = 1;
      },
      ["id-cache-2"],
    ],
    [
      "renamed out of the selector: not sent",
      (h) => {
        h.project("id-cache-3").name = "kept-3";
      },
      ["id-cache-2"],
    ],
    [
      "retagged out of a tag selector's scope: not sent",
      (h) => {
        h.project("id-cache-3").tags = [];
      },
      ["id-cache-2"],
    ],
    [
      "taken into deletion by someone else: not sent again",
      (h) => {
        h.project("id-cache-3").status = "DELETING";
      },
      ["id-cache-2"],
    ],
    [
      "restarting: not sent",
      (h) => {
        h.project("id-cache-3").status = "RESTARTING";
      },
      ["id-cache-2"],
    ],
    [
      "its reply lost the three busy fields (busy-ness unknown): not sent",
      (h) => {
        const i = h.project("id-cache-3");
        delete i.task;
        delete (i as Partial<SimInstance>).task_status;
        delete (i as Partial<SimInstance>).service_task_id;
      },
      ["id-cache-2"],
    ],
    [
      "gone already (404 on its GET): skipped, the other still goes",
      (h) => {
        h.sim.projects.get("p1")?.delete("id-cache-3");
      },
      ["id-cache-2"],
    ],
  ])("%s", async (_, change, sent) => {
    const tagged = seed.map((i) => ({ ...i, tags: { team: "a" } }));
    const h = await on(tagged, { selector: { namePrefix: "cache-", tags: { team: "a" } } });
    change(h);
    const { prepared, acted } = await reReadAndDelete(h, deleteStep("cache-2", "cache-3"));
    expect(h.deletes()).toEqual([sent]);
    // What the engine records as the intent is what was sent, under the names DCS gave.
    expect(prepared).toMatchObject({
      kind: "DeleteInstances",
      targets: sent.map((id) => ({ id, name: id.slice(3) })),
    });
    expect(prepared.message).toBe(`deleting ${sent.map((id) => id.slice(3)).join(", ")}`);
    expect(acted).toMatchObject({
      kind: "DeletionsSent",
      results: sent.map((instance) => ({ result: "success", instance })),
    });
    // Each victim was read by id just before: two GETs, no listing.
    const reads = h.sim.log.filter((r) => r.method === "GET").map((r) => r.path);
    expect(reads).toEqual(["/v2/p1/instances/id-cache-2", "/v2/p1/instances/id-cache-3"]);
  });

  it.each([
    ["by name", "cache-3"],
    ["by id", "id-cache-3"],
  ])("a victim kept since the listing (spec.instances now names it %s) is not sent", async (_, kept) => {
    const h = await on();
    const set = { ...h.set, spec: { ...h.set.spec, instances: ["cache-1", kept] } };
    await reReadAndDelete(h, deleteStep("cache-2", "cache-3"), set);
    expect(h.deletes()).toEqual([["id-cache-2"]]);
  });

  it("a victim another set now claims is not sent", async () => {
    const h = await on();
    const kind = redisKind({
      resolve: () => {
        throw new Error("not connected here");
      },
      endpointPolicy: new EndpointPolicy(),
      pool: new ConnectionClients<DcsClient>(),
      listings: h.listings,
      peers: (_id, _remote, instance) => (instance.name === "cache-3" ? ["staging/cache"] : []),
    });
    await reReadAndDelete({ ...h, kind }, deleteStep("cache-2", "cache-3"));
    expect(h.deletes()).toEqual([["id-cache-2"]]);
  });

  it("every victim changed: nothing sent, Wait VictimsChanged, and the shared listing is read again", async () => {
    const h = await on();
    await h.listings.get(h.client, 60_000);
    expect(h.listCalls()).toBe(1);
    h.project("id-cache-2").status = "FROZEN";
    h.sim.projects.get("p1")?.delete("id-cache-3");
    const { prepared } = await reReadAndDelete(h, deleteStep("cache-2", "cache-3"));
    expect(prepared).toEqual({
      kind: "Wait",
      reason: Reason.VictimsChanged,
      message: "re-read before deleting: none of cache-2, cache-3 is still to delete; listing again",
      requeueAfterMs: 1000,
    });
    expect(h.deletes()).toEqual([]);
    // Within the listing's age, yet listed again: the invalidated listing is not reused.
    await h.listings.get(h.client, 60_000);
    expect(h.listCalls()).toBe(2);
  });

  it("a re-read that fails (DCS answers 500 on the GET): the error goes up, nothing is sent", async () => {
    const h = await on();
    h.sim.addFault({ method: "GET", path: /id-cache-3$/, kind: "status", status: 500 });
    await expect(reReadAndDelete(h, deleteStep("cache-2", "cache-3"))).rejects.toThrow(/500/);
    expect(h.deletes()).toEqual([]);
  });

  it("a step that is not DeleteInstances passes the re-read untouched and reads nothing", async () => {
    const h = await on();
    const wait: RedisStep = {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message: "w",
      requeueAfterMs: 5,
    };
    expect(
      await h.kind.prepare?.(h.client, h.set, wait, h.id, new Date(), {
        endpoint: h.url,
        identity: "dcs|p1",
      }),
    ).toBe(wait);
    await expect(h.kind.act(h.client, h.set, wait, h.id, new Date())).rejects.toThrow(
      /Wait is not an action/,
    );
    expect(h.sim.log).toEqual([]);
  });
});

describe("how often the kind lists: the poll interval, or deletePollMs while a deletion is in flight", () => {
  const record = (o: Record<string, unknown>) => ({
    id: "id-cache-2",
    name: "cache-2",
    requestedAt: "2026-11-23T10:00:00.000Z",
    attempts: 1,
    ...o,
  });
  it.each<[string, Record<string, unknown>[], number]>([
    ["no deletion on record: the listing of 6 s ago is still fresh (poll 1m)", [], 1],
    ["a pending deletion: listed again after deletePollMs (5 s)", [record({ result: "pending" })], 2],
    ["an accepted deletion not yet gone: listed again", [record({ result: "success" })], 2],
    ["only a refused deletion: nothing in flight, not listed again", [record({ result: "failed" })], 1],
    [
      "only deletions already gone: not listed again",
      [record({ result: "success", goneAt: "2026-11-23T10:01:00.000Z" })],
      1,
    ],
  ])("%s", async (_, deletions, lists) => {
    const h = await on();
    const set = {
      ...h.set,
      spec: { ...h.set.spec, pollInterval: "1m" },
      status: { deletions },
    } as RedisInstanceSet;
    await h.kind.observe(h.client, set, h.id, new Date());
    h.clock.now += 6000;
    const observed = await h.kind.observe(h.client, set, h.id, new Date());
    expect(h.listCalls()).toBe(lists);
    expect(observed.projectId).toBe("p1");
    expect(observed.instances.map((i) => i.name).sort()).toEqual(["cache-1", "cache-2", "cache-3"]);
    // Past the poll interval the listing is read again whatever is on record.
    h.clock.now += 60_000;
    await h.kind.observe(h.client, set, h.id, new Date());
    expect(h.listCalls()).toBe(lists + 1);
  });

  it("pollIntervalMs is the spec's poll interval", async () => {
    const h = await on();
    expect(h.kind.pollIntervalMs({ ...h.set, spec: { ...h.set.spec, pollInterval: "1m30s" } })).toBe(90_000);
  });
});

describe("one batch delete, as DCS answers it", () => {
  it("all accepted: DeletionsSent, a Normal event, the listing read again after", async () => {
    const h = await on();
    await h.listings.get(h.client, 60_000);
    const acted = await h.kind.act(h.client, h.set, deleteStep("cache-2", "cache-3"), h.id, new Date());
    expect(acted).toEqual({
      kind: "DeletionsSent",
      reason: Reason.DeletionRequested,
      message: "DCS accepted 2 deletion(s); waiting for them to leave the listing",
      results: [
        { result: "success", instance: "id-cache-2" },
        { result: "success", instance: "id-cache-3" },
      ],
      requeueAfterMs: 5000,
      event: { type: "Normal", reason: Reason.DeletionRequested, message: "batch delete: 2 accepted" },
    });
    await h.listings.get(h.client, 60_000);
    expect(h.listCalls()).toBe(2);
    expect(h.deletes()).toEqual([["id-cache-2", "id-cache-3"]]);
  });

  it("recycle: the policy reaches DCS as is_recycle", async () => {
    const h = await on(seed, { policy: { approvalThreshold: 10, recycle: true } });
    await h.kind.act(h.client, h.set, deleteStep("cache-2"), h.id, new Date());
    expect(h.sim.log.find((r) => r.method === "DELETE")?.body).toMatchObject({ is_recycle: true });
  });

  it("refused as a whole (400 with a code): every target failed, the refusal and its code kept, a Warning named by instance", async () => {
    const h = await on();
    h.sim.addFault({ method: "DELETE", kind: "status", status: 400, code: "DCS.4107" });
    const acted = await h.kind.act(h.client, h.set, deleteStep("cache-2", "cache-3"), h.id, new Date());
    expect(acted).toMatchObject({
      kind: "DeletionsSent",
      message: "DCS accepted 0 deletion(s), refused cache-2, cache-3; waiting for them to leave the listing",
      results: [
        { result: "failed", instance: "id-cache-2" },
        { result: "failed", instance: "id-cache-3" },
      ],
      refusalCode: "DCS.4107",
      event: {
        type: "Warning",
        reason: Reason.DeletionFailed,
        message: "batch delete: 0 accepted; refused: cache-2, cache-3",
      },
    });
    expect(acted.kind === "DeletionsSent" && acted.refusal).toMatch(/400/);
  });

  it("DCS refuses one of the batch (its own answer per instance): partial, the refused one named", async () => {
    const h = await on();
    h.project("id-cache-3").status = "FROZEN";
    const acted = await h.kind.act(h.client, h.set, deleteStep("cache-2", "cache-3"), h.id, new Date());
    expect(acted).toMatchObject({
      message: "DCS accepted 1 deletion(s), refused cache-3; waiting for them to leave the listing",
      event: { type: "Warning", message: "batch delete: 1 accepted; refused: cache-3" },
    });
    expect(acted).not.toHaveProperty("refusal");
    expect(acted).not.toHaveProperty("refusalCode");
  });

  it("DCS refuses the credentials (401): the AuthError goes up (the credential is marked failed), not an unknown outcome", async () => {
    const h = await on();
    h.sim.addFault({ method: "DELETE", kind: "status", status: 401 });
    await expect(h.kind.act(h.client, h.set, deleteStep("cache-2"), h.id, new Date())).rejects.toBeInstanceOf(
      AuthError,
    );
  });

  it("the reply is lost (a 502 after DCS may have acted): OutcomeUnknown, the listing read again", async () => {
    const h = await on();
    await h.listings.get(h.client, 60_000);
    h.sim.addFault({ method: "DELETE", kind: "status", status: 502, phase: "after" });
    const acted = await h.kind.act(h.client, h.set, deleteStep("cache-2"), h.id, new Date());
    expect(acted).toMatchObject({
      kind: "OutcomeUnknown",
      reason: Reason.DeleteOutcomeUnknown,
      requeueAfterMs: 5000,
    });
    expect(acted.message).toMatch(/; the listing tells what happened$/);
    await h.listings.get(h.client, 60_000);
    expect(h.listCalls()).toBe(2);
  });
});

describe("the operation a batch delete reports", () => {
  const intent = deleteStep("cache-2", "cache-3");
  const sent = (...results: string[]): RedisStep => ({
    kind: "DeletionsSent",
    reason: Reason.DeletionRequested,
    message: "",
    results: results.map((result, i) => ({ result, instance: `id-${i}` })),
    requeueAfterMs: 1,
  });
  const kind = redisKind({
    resolve: () => {
      throw new Error("not connected here");
    },
    endpointPolicy: new EndpointPolicy(),
    pool: new ConnectionClients<DcsClient>(),
    listings: new SharedListings(),
  });
  it.each<[string, RedisStep, unknown]>([
    [
      "all accepted: succeeded",
      sent("success", "success"),
      { outcome: "succeeded", targets: ["success", "success"] },
    ],
    ["none accepted: failed", sent("failed", "failed"), { outcome: "failed", targets: ["failed", "failed"] }],
    ["some: partial", sent("success", "failed"), { outcome: "partial", targets: ["success", "failed"] }],
    [
      "an answer other than success counts as failed",
      sent("success", "unknown"),
      { outcome: "partial", targets: ["success", "failed"] },
    ],
  ])("%s", (_, result, want) => {
    expect(kind.operations.answered?.(intent, result)).toEqual({
      operation: "delete_instances",
      ...(want as object),
    });
  });
  it("only a DeleteInstances answered by DeletionsSent is an operation; only DeleteInstances acts", () => {
    const wait: RedisStep = {
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
      message: "",
      requeueAfterMs: 1,
    };
    expect(kind.operations.answered?.(wait, sent("success"))).toBeUndefined();
    expect(kind.operations.answered?.(intent, wait)).toBeUndefined();
    expect(kind.operations.started(intent)).toBe("delete_instances");
    expect(kind.operations.started(wait)).toBeUndefined();
    expect(kind.isAction(intent)).toBe(true);
    expect(kind.isAction(sent("success"))).toBe(false);
    expect(kind.isBookkeeping(intent)).toBe(false);
  });
});
