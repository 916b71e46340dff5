// Fleet rule "stalls that call a human" (README): a deletion DCS refused with a code only a person can clear
// makes the set Stalled at once, naming the instance, the code and what to do, and nothing is sent again.
// Wrong versions this is written against: a code lookup that matches Object.prototype's keys or misses a
// padded code, a refusal code that never reaches the record, a planner that backs off and retries instead.
import { afterEach, describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import type { DeletionRecord } from "../../src/api/redis-instance-set.js";
import { redisInstanceSet } from "../../src/api/redis-instance-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { HUMAN_ERRORS, needsHuman } from "../../src/providers/dcs/human-errors.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { identityOf, SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideRedis } from "../../src/reconcilers/redis/decide.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import { addDcsConnection, addSecret, refRedisManifest, remoteOf, resolverOf, world } from "./fleet-world.js";
import { ago, instance, NOW } from "./sets.js";

const HUMAN_CODES = Object.keys(HUMAN_ERRORS);

describe("needsHuman: the DCS codes only a person can clear", () => {
  it("knows at least the billing and permission codes its sources name", () => {
    for (const code of ["DCS.4107", "DCS.2003", "DCS.3003", "DCS.2007", "DCS.3002", "CBC.30050010"])
      expect(HUMAN_CODES).toContain(code);
  });
  it.each(HUMAN_CODES)("%s needs a person, with a reason and an action", (code) => {
    expect(needsHuman(code)).toBe(true);
    expect(HUMAN_ERRORS[code]?.why.length).toBeGreaterThan(10);
    expect(HUMAN_ERRORS[code]?.action.length).toBeGreaterThan(10);
  });
  it.each([
    ["a code padded with spaces", " DCS.4107 ", true],
    ["a code with a trailing newline", "DCS.2003\n", true],
    ["a busy code (try later, not a person)", "DCS.4120", false],
    ["a generic bad request", "DCS.4800", false],
    ["an unknown code", "DCS.9999", false],
    ["no code", undefined, false],
    ["an empty code", "", false],
    ["Object.prototype's toString", "toString", false],
    ["Object.prototype's constructor", "constructor", false],
    ["__proto__", "__proto__", false],
    ["hasOwnProperty", "hasOwnProperty", false],
  ] as const)("%s: %j -> %s", (_, code, want) => {
    expect(needsHuman(code)).toBe(want);
  });
});

describe("decideRedis with a refusal on record", () => {
  const decide = (records: DeletionRecord[], listed = [instance("cache-1"), instance("cache-2")]) => {
    const w = world();
    addDcsConnection(w, "prod", "dcs", { endpoint: "https://dcs.example.test", projectId: "p1" });
    const object = refRedisManifest({
      connection: { name: "dcs" },
      policy: { approvalThreshold: 10 },
      status: { deletions: records },
    });
    const set = redisInstanceSet.parse(object);
    return decideRedis({
      set,
      status: set.status,
      observed: { instances: listed },
      fleet: { peersOf: () => [] },
      remote: remoteOf(w, object),
      id: identityOf(object),
      now: NOW,
    });
  };
  const refused = (
    name: string,
    code: string | undefined,
    o: Partial<DeletionRecord> = {},
  ): DeletionRecord => ({
    id: `id-${name}`,
    name,
    requestedAt: ago(5_000),
    result: "failed",
    attempts: 1,
    lastError: "refused",
    ...(code === undefined ? {} : { lastErrorCode: code }),
    ...o,
  });

  it.each(HUMAN_CODES)("refused once with %s: Stalled now, naming instance, code and action", (code) => {
    const step = decide([refused("cache-2", code)]);
    expect(step).toMatchObject({ kind: "Stall", reason: Reason.DeletionNeedsHuman });
    expect(step.message).toContain("cache-2 (id-cache-2)");
    expect(step.message).toContain(code);
    expect(step.message).toContain(HUMAN_ERRORS[code]?.action ?? "-");
  });

  it.each([
    ["a generic refusal code", "DCS.4800"],
    ["no code", undefined],
  ])("refused once with %s: backing off, not Stalled", (_, code) => {
    expect(decide([refused("cache-2", code)])).toMatchObject({
      kind: "Wait",
      reason: Reason.WaitingForDeletion,
    });
  });

  it("refused long ago with a person's code: still Stalled, never sent again after its backoff", () => {
    expect(decide([refused("cache-2", "DCS.4107", { requestedAt: ago(3_600_000) })])).toMatchObject({
      kind: "Stall",
      reason: Reason.DeletionNeedsHuman,
    });
  });

  it("one refused with a person's code beside one still to delete: the other goes, the person is named", () => {
    const step = decide(
      [refused("cache-2", "CBC.30050010")],
      [instance("cache-1"), instance("cache-2"), instance("cache-3")],
    );
    expect(step).toMatchObject({ kind: "DeleteInstances", targets: [{ name: "cache-3" }] });
    expect(step.message).toContain("only a person can delete cache-2");
  });
});

describe("a DCS refusal that needs a person, from the simulator", () => {
  let sim: DcsSimulator | undefined;
  let pool: ConnectionClients<DcsClient> | undefined;
  afterEach(async () => {
    await pool?.closeAll();
    await sim?.stop();
  });

  async function story(code: string) {
    sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: {
        p1: [
          { name: "cache-1", id: "id-cache-1" },
          { name: "cache-2", id: "id-cache-2" },
        ],
      },
    });
    const url = await sim.start();
    // DCS refuses the batch as a whole with `code`.
    sim.addFault({ method: "DELETE", kind: "status", status: 400, code });
    const w = world();
    addDcsConnection(w, "prod", "dcs", { endpoint: url, projectId: "p1" });
    addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
    pool = new ConnectionClients<DcsClient>();
    const calls: Calls = [];
    const api = new FakeApi(
      refRedisManifest({ connection: { name: "dcs" }, policy: { approvalThreshold: 10 } }),
      calls,
    );
    const reconciler = new SetReconciler(
      redisKind({
        resolve: resolverOf(w),
        endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
        pool,
        listings: new SharedListings(),
        timing: { deletePollMs: 1 },
      }),
      {
        cache: { get: () => api.stored },
        status: api.writer(),
        events: eventLog(calls),
        credentials: new MemoryCredentialHealth(),
      },
    );
    for (let i = 0; i < 3; i++)
      await reconciler.reconcile(request(new AbortController().signal, "prod/cache"));
    const statuses = calls.filter((c) => c.startsWith("status "));
    return { api, last: statuses.at(-1), deletes: sim.log.filter((r) => r.method === "DELETE") };
  }

  it.each(HUMAN_CODES)(
    "refused with %s: one DELETE, then Stalled DeletionNeedsHuman naming the code",
    async (code) => {
      const { api, last, deletes } = await story(code);
      expect(deletes).toHaveLength(1);
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "failed", lastErrorCode: code }),
      ]);
      expect(last).toBe("status Stalled/DeletionNeedsHuman");
      const stalled = (api.status.conditions as { type: string; message: string }[]).find(
        (c) => c.type === "Stalled",
      );
      expect(stalled?.message).toContain(code);
      expect(stalled?.message).toContain("cache-2");
    },
  );

  it("refused with a code a retry may fix: backing off, not Stalled, not re-sent within the backoff", async () => {
    const { last, deletes } = await story("DCS.4800");
    expect(deletes).toHaveLength(1);
    expect(last).toBe("status Reconciling/WaitingForDeletion");
  });
});
