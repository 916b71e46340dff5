// A 403 is "who you are was accepted; what you asked is not allowed" (an IAM policy without the action):
// PermissionDenied on the set that asked, and nothing held elsewhere. Treating it as a bad credential
// would hold every set on the same access key, in every project, for the credential-health window.
// Judged by the DCS simulator's request log.
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { dcsError } from "../../src/providers/dcs/errors.js";
import { FORBIDDEN_DELETION } from "../../src/providers/dcs/human-errors.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { AuthError, PermissionDeniedError } from "../../src/providers/errors.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { type Calls, eventLog, FakeApi, request } from "../unit/engine-fakes.js";
import { addDcsConnection, addSecret, refRedisManifest, resolverOf, world } from "../unit/fleet-world.js";

describe("DCS errors: who the caller is vs what it may do", () => {
  it.each([
    [401, "APIGW.0301", AuthError],
    [401, undefined, AuthError],
    [400, "DCS.1001", AuthError],
    [403, "APIGW.0302", PermissionDeniedError],
    [403, "DCS.2007", PermissionDeniedError],
    [403, undefined, PermissionDeniedError],
  ] as const)("HTTP %i %s is a %o", (status, remoteCode, type) => {
    const error = dcsError({ operation: "GET /v2/p1/instances", status, remoteCode });
    expect(error).toBeInstanceOf(type);
    expect(error.retryable).toBe(false);
  });
});

let sim: DcsSimulator | undefined;
const pools: ConnectionClients<DcsClient>[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.closeAll();
  await sim?.stop();
});

/** Two sets, one access key, two projects; one engine and one credential health, as in the operator. */
async function twoProjectsOneKey() {
  sim = new DcsSimulator({
    credentials: [{ accessKey: "AK", secretKey: "SK" }],
    projects: {
      p1: [
        { name: "a-keep", id: "a1" },
        { name: "a-extra", id: "a2" },
      ],
      p2: [
        { name: "b-keep", id: "b1" },
        { name: "b-extra", id: "b2" },
      ],
    },
  });
  const url = await sim.start();
  const w = world();
  addDcsConnection(w, "prod", "dcs-p1", { endpoint: url, projectId: "p1" });
  addDcsConnection(w, "prod", "dcs-p2", { endpoint: url, projectId: "p2" });
  addSecret(w, "prod", "dcs", { accessKey: "AK", secretKey: "SK" });
  const pool = new ConnectionClients<DcsClient>();
  pools.push(pool);
  const credentials = new MemoryCredentialHealth();
  const kind = redisKind({
    resolve: resolverOf(w),
    endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
    pool,
    listings: new SharedListings(),
  });
  const setOn = (name: string, project: string, prefix: string) => {
    const calls: Calls = [];
    const api = new FakeApi(
      refRedisManifest({
        name,
        connection: { name: `dcs-${project}` },
        selector: { namePrefix: `${prefix}-` },
        instances: [`${prefix}-keep`],
      }),
      calls,
    );
    const reconciler = new SetReconciler(kind, {
      cache: { get: () => api.stored },
      status: api.writer(),
      events: eventLog(calls),
      credentials,
    });
    return {
      api,
      reconcile: () => reconciler.reconcile(request(new AbortController().signal, `prod/${name}`)),
    };
  };
  return { sim, a: setOn("a", "p1", "a"), b: setOn("b", "p2", "b") };
}

const conditionReason = (status: Record<string, unknown>, type: string) =>
  (status.conditions as { type: string; status: string; reason: string }[] | undefined)?.find(
    (c) => c.type === type && c.status === "True",
  )?.reason;

describe("a 403 holds the set that asked, not the access key", () => {
  it("listing refused with 403 in p1: set a is Stalled PermissionDenied; set b on p2, same AK, still deletes", async () => {
    const h = await twoProjectsOneKey();
    h.sim.addFault({ method: "GET", path: /^\/v2\/p1\//, kind: "status", status: 403, code: "DCS.2007" });
    await h.a.reconcile();
    expect(conditionReason(h.a.api.status, "Stalled")).toBe("PermissionDenied");
    await h.b.reconcile();
    const deletes = h.sim.log.filter((r) => r.method === "DELETE");
    expect(
      deletes.map((r) => [r.path, (JSON.parse(r.rawBody) as { instances: string[] }).instances]),
    ).toEqual([["/v2/p2/instances", ["b2"]]]);
    expect(conditionReason(h.b.api.status, "Stalled")).toBeUndefined();
  });

  it.each([
    ["APIGW.0302", "an API gateway's code"],
    [undefined, "no code"],
  ])(
    "a DELETE refused with 403 under %s (%s): the set asks a person at once, the batch is not sent again",
    async (code, _what) => {
      const h = await twoProjectsOneKey();
      h.sim.addFault({ method: "DELETE", kind: "status", status: 403, ...(code ? { code } : {}) });
      await h.a.reconcile();
      const records = h.a.api.status.deletions as { id: string; result: string; lastErrorCode?: string }[];
      expect(records).toEqual([
        expect.objectContaining({ id: "a2", result: "failed", lastErrorCode: FORBIDDEN_DELETION }),
      ]);
      // Reconciled again (the refusal backoff past): Stalled naming the instance, nothing sent a second time.
      await h.a.reconcile();
      await h.a.reconcile();
      expect(conditionReason(h.a.api.status, "Stalled")).toBe("DeletionNeedsHuman");
      expect(h.sim.log.filter((r) => r.method === "DELETE" && r.path === "/v2/p1/instances")).toHaveLength(1);
    },
  );

  it("a DELETE refused with 403: a known refusal recorded on the instance, not a lost reply to look up", async () => {
    const h = await twoProjectsOneKey();
    h.sim.addFault({ method: "DELETE", kind: "status", status: 403, code: "DCS.2007", times: 1 });
    await h.a.reconcile();
    const records = h.a.api.status.deletions as { id: string; result: string; lastErrorCode?: string }[];
    expect(records).toEqual([
      expect.objectContaining({ id: "a2", result: "failed", lastErrorCode: "DCS.2007" }),
    ]);
    expect(h.sim.log.filter((r) => r.method === "DELETE" && r.handled)).toHaveLength(0);
    // The same access key still works for the other project.
    await h.b.reconcile();
    expect(h.sim.log.filter((r) => r.method === "DELETE" && r.path === "/v2/p2/instances")).toHaveLength(1);
  });
});
