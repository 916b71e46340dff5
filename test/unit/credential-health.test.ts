import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CredentialHealth,
  type CredentialRef,
  CredentialRefusedError,
  credentialOutcome,
  dcsCredential,
  decide,
  emptyHealth,
  failed,
  type HealthState,
  type HealthStore,
  MAX_BAD_PER_WINDOW,
  merge,
  newRequest,
  obshellCredential,
  prune,
  reserve,
  succeeded,
  WINDOW_MS,
} from "../../src/fleet/credential-health.js";
import { dcsError } from "../../src/providers/dcs/errors.js";
import { AuthError } from "../../src/providers/errors.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-23T10:00:00Z");
const ENDPOINT = "https://dcs.eu-west-101.myhuaweicloud.eu";
const right = dcsCredential(ENDPOINT, "p1", "AKSHARED", "right-secret");
const wrong = dcsCredential(ENDPOINT, "p1", "AKSHARED", "wrong-secret");
const otherProject = dcsCredential(ENDPOINT, "p2", "AKSHARED", "right-secret");

/** State after the given history of requests: [ref, sent at, outcome]. */
function history(...events: [CredentialRef, number, "bad" | "ok" | "pending"][]): HealthState {
  let state = emptyHealth();
  for (const [ref, at, outcome] of events) {
    const sent = newRequest(at);
    state = reserve(state, ref, sent);
    if (outcome === "bad") state = failed(state, ref, sent, at);
    if (outcome === "ok") state = succeeded(state, ref, sent, at);
  }
  return state;
}

describe("credential identities", () => {
  it("share the AK budget across projects, tell secrets apart, and hold no secret in clear", () => {
    expect(right.id).toBe(wrong.id);
    expect(right.secretDigest).not.toBe(wrong.secretDigest);
    expect(otherProject.id).not.toBe(right.id);
    expect(otherProject.budgetKey).toBe(right.budgetKey);
    expect(JSON.stringify([right, wrong])).not.toMatch(/AKSHARED|right-secret|wrong-secret/);
    const ob = obshellCredential("http://10.0.0.1:2886", "pw");
    expect(ob.id).toBe(obshellCredential("HTTP://10.0.0.1:2886/", "pw").id);
    expect(ob.id).not.toBe(obshellCredential("http://10.0.0.1:2886", "pw2").id);
  });
});

describe("decide", () => {
  const cases: {
    reason: string;
    state: HealthState;
    ref: CredentialRef;
    now: number;
    inFlight?: number;
    expected: { ok: true; probe: boolean } | { ok: false; reason: string; retryAt?: number };
  }[] = [
    {
      reason: "a secret never seen is tried, recorded first",
      state: emptyHealth(),
      ref: right,
      now: T0,
      expected: { ok: true, probe: true },
    },
    {
      reason: "a secret proven good is sent without recording",
      state: history([right, T0, "ok"]),
      ref: right,
      now: T0 + MIN,
      expected: { ok: true, probe: false },
    },
    {
      reason: "a failed secret waits out its back-off",
      state: history([wrong, T0, "bad"]),
      ref: wrong,
      now: T0 + 4 * MIN,
      expected: { ok: false, reason: "failing", retryAt: T0 + 5 * MIN },
    },
    {
      reason: "a failed secret is tried once after its back-off",
      state: history([wrong, T0, "bad"]),
      ref: wrong,
      now: T0 + 5 * MIN,
      expected: { ok: true, probe: true },
    },
    {
      reason: "the back-off doubles after a second failure",
      state: history([wrong, T0, "bad"], [wrong, T0 + 5 * MIN, "bad"]),
      ref: wrong,
      now: T0 + 14 * MIN,
      expected: { ok: false, reason: "failing", retryAt: T0 + 15 * MIN },
    },
    {
      reason: "a changed Secret (new digest) is tried at once",
      state: history([wrong, T0, "bad"]),
      ref: right,
      now: T0 + 1,
      expected: { ok: true, probe: true },
    },
    {
      reason: "two bad requests on the AK in 5 minutes stop even a good secret",
      state: history(
        [right, T0 - MIN, "ok"],
        [wrong, T0, "bad"],
        [dcsCredential(ENDPOINT, "p1", "AKSHARED", "third"), T0 + MIN, "bad"],
      ),
      ref: right,
      now: T0 + 2 * MIN,
      expected: { ok: false, reason: "budget", retryAt: T0 + 5 * MIN + 1 },
    },
    {
      reason: "the budget is per AK, across projects",
      state: history([wrong, T0, "bad"], [dcsCredential(ENDPOINT, "p2", "AKSHARED", "x"), T0, "bad"]),
      ref: otherProject,
      now: T0 + MIN,
      expected: { ok: false, reason: "budget" },
    },
    {
      reason: "bad requests older than the window no longer count",
      state: history([wrong, T0, "bad"], [dcsCredential(ENDPOINT, "p1", "AKSHARED", "x"), T0, "bad"]),
      ref: right,
      now: T0 + WINDOW_MS + 1,
      expected: { ok: true, probe: true },
    },
    {
      reason: "a probe without an answer counts as bad (restarts included)",
      state: history([wrong, T0, "pending"], [dcsCredential(ENDPOINT, "p1", "AKSHARED", "x"), T0, "bad"]),
      ref: right,
      now: T0 + 2 * MIN,
      expected: { ok: false, reason: "budget" },
    },
    {
      reason: "a probe proven good stops counting",
      state: history([right, T0, "ok"], [wrong, T0, "bad"]),
      ref: dcsCredential(ENDPOINT, "p1", "AKSHARED", "x"),
      now: T0 + MIN,
      expected: { ok: true, probe: true },
    },
    {
      reason: "while a new secret is being tried, other sets with it wait",
      state: history([right, T0, "pending"]),
      ref: right,
      now: T0 + 10_000,
      expected: { ok: false, reason: "inFlight", retryAt: T0 + MIN },
    },
    {
      reason: "a probe that never answered stops blocking after a minute",
      state: history([right, T0, "pending"]),
      ref: right,
      now: T0 + MIN,
      expected: { ok: true, probe: true },
    },
    {
      reason: "requests in flight take budget slots",
      state: history([right, T0, "ok"]),
      ref: right,
      now: T0 + 1,
      inFlight: 2,
      expected: { ok: false, reason: "inFlight" },
    },
    {
      reason: "one bad and one in flight fill the budget",
      state: history([right, T0, "ok"], [wrong, T0, "bad"]),
      ref: right,
      now: T0 + 1,
      inFlight: 1,
      expected: { ok: false, reason: "inFlight" },
    },
  ];
  it.each(cases)("$reason", ({ state, ref, now, inFlight, expected }) => {
    const decision = decide(state, ref, now, inFlight ?? 0);
    expect(decision.ok).toBe(expected.ok);
    if (decision.ok && expected.ok) expect(decision.probe).toBe(expected.probe);
    if (!decision.ok && !expected.ok) {
      expect(decision.reason).toBe(expected.reason);
      if (expected.retryAt !== undefined) expect(decision.retryAt.getTime()).toBe(expected.retryAt);
      expect(decision.retryAt.getTime()).toBeGreaterThan(now);
    }
  });
});

describe("merge and prune", () => {
  it("keeps every attempt of both states and the newer record of each secret; a resolved outcome wins", () => {
    const sent = newRequest(T0);
    const pending = reserve(emptyHealth(), wrong, sent);
    const resolved = failed(pending, wrong, sent, T0 + 1);
    const other = history([right, T0 + 2, "ok"]);
    const merged = merge(merge(pending, other), resolved);
    expect(merged.budgets[wrong.budgetKey]?.map((a) => a.outcome).sort()).toEqual(["bad", "ok"]);
    expect(merged.credentials[wrong.id]?.[wrong.secretDigest]?.state).toBe("failing");
    expect(merged.credentials[right.id]?.[right.secretDigest]?.state).toBe("good");
    expect(merge(resolved, pending)).toEqual(merge(pending, resolved));
  });

  it("forgets attempts outside the window and failures untried for a day, never a live failure", () => {
    const state = history([wrong, T0, "bad"], [right, T0, "ok"]);
    const later = prune(state, T0 + WINDOW_MS + 1);
    expect(later.budgets).toEqual({});
    expect(later.credentials[wrong.id]?.[wrong.secretDigest]?.state).toBe("failing");
    expect(prune(state, T0 + 25 * 60 * MIN).credentials[wrong.id]?.[wrong.secretDigest]).toBeUndefined();
  });
});

/** A store with the Lease's semantics (versioned writes), in memory, for the simulation below. */
/** One process's view of the store: after a crash, the dead process writes nothing more. */
class ProcessView implements HealthStore {
  dead = false;
  constructor(private readonly store: HealthStore) {}
  read() {
    return this.store.read();
  }
  async write(state: HealthState, version: string | undefined) {
    if (this.dead) throw new Error("process is dead");
    return this.store.write(state, version);
  }
}

class VersionedStore implements HealthStore {
  private stored: { state: HealthState; version: string } | undefined;
  private n = 0;
  async read() {
    return this.stored && { state: structuredClone(this.stored.state), version: this.stored.version };
  }
  async write(state: HealthState, version: string | undefined) {
    if (version !== this.stored?.version) return undefined;
    this.stored = { state: structuredClone(state), version: String(++this.n) };
    return this.stored.version;
  }
}

describe("story 7: five sets share one AK, one Secret has a wrong SK (simulated over an hour)", () => {
  it("never sends more than 2 bad requests per AK in any 5 minutes, restarts included, and the good sets keep working", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 239 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 239 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        async (restartTicks, crashTicks, wrongSet) => {
          let now = T0;
          const store = new VersionedStore();
          let view = new ProcessView(store);
          let health = new CredentialHealth(view, () => now);
          await health.load();
          const restart = async () => {
            view.dead = true;
            view = new ProcessView(store);
            health = new CredentialHealth(view, () => now);
            await health.load();
          };
          const crashes = new Set(crashTicks);
          const bad: number[] = [];
          let goodReplies = 0;
          const secrets = [0, 1, 2, 3, 4].map((i) => (i === wrongSet ? "wrong" : "right"));
          const restarts = new Set(restartTicks);
          for (let tick = 0; tick < 240; tick++, now += 15_000) {
            if (restarts.has(tick)) await restart();
            for (const secret of secrets) {
              const ref = secret === "wrong" ? wrong : right;
              try {
                await health.guard(
                  ref,
                  async () => {
                    if (secret === "wrong") {
                      bad.push(now);
                      // A crash while the request is out: its outcome is never recorded.
                      if (crashes.has(tick)) view.dead = true;
                      throw new Error("APIGW.0301 bad signature");
                    }
                    goodReplies++;
                  },
                  () => "auth",
                );
              } catch (error) {
                if (!(error instanceof CredentialRefusedError) && !(error instanceof Error)) throw error;
              }
              if (view.dead) await restart();
            }
          }
          for (const at of bad)
            expect(bad.filter((b) => b >= at && b <= at + WINDOW_MS).length).toBeLessThanOrEqual(
              MAX_BAD_PER_WINDOW,
            );
          // The four right Secrets were not held hostage by the wrong one for long.
          expect(goodReplies).toBeGreaterThan(4 * 240 * 0.9);
        },
      ),
      { numRuns: 10 },
    );
  }, 60_000);

  it("a process that dies after every bad request, before recording it, still sends at most 2 in 5 minutes", async () => {
    let now = T0;
    const store = new VersionedStore();
    const bad: number[] = [];
    for (; now < T0 + 30 * MIN; now += 15_000) {
      const view = new ProcessView(store);
      const health = new CredentialHealth(view, () => now);
      await health.load();
      await health
        .guard(
          wrong,
          async () => {
            bad.push(now);
            view.dead = true;
            throw new Error("bad signature");
          },
          () => "auth",
        )
        .catch(() => undefined);
    }
    expect(bad.length).toBeGreaterThan(4);
    for (const at of bad)
      expect(bad.filter((b) => b >= at && b <= at + WINDOW_MS).length).toBeLessThanOrEqual(
        MAX_BAD_PER_WINDOW,
      );
  });

  it("after a restart the new process refuses the failing secret without sending", async () => {
    let now = T0;
    const store = new VersionedStore();
    const first = new CredentialHealth(store, () => now);
    await first.load();
    await expect(
      first.guard(
        wrong,
        async () => Promise.reject(new Error("bad signature")),
        () => "auth",
      ),
    ).rejects.toThrow("bad signature");
    now += MIN;
    const second = new CredentialHealth(store, () => now);
    expect(second.mayAttempt(wrong)).toMatchObject({ ok: false, reason: "notLoaded" });
    await second.load();
    const refused = second.mayAttempt(wrong);
    expect(refused).toMatchObject({ ok: false, reason: "failing" });
    expect(second.mayAttempt(right)).toMatchObject({ ok: true });
  });
});

describe("merge at one instant", () => {
  it("prefers the outcome over the probe whatever the order, so a stale copy never hides a failure", () => {
    const sent = newRequest(T0);
    const probing = reserve(emptyHealth(), wrong, sent);
    const failedState = failed(probing, wrong, sent, T0);
    for (const merged of [merge(probing, failedState), merge(failedState, probing)])
      expect(merged.credentials[wrong.id]?.[wrong.secretDigest]?.state).toBe("failing");
  });
});

describe("credentialOutcome", () => {
  const op = { provider: "dcs" as const, operation: "GET /v2/p/instances" };
  const cases: { reason: string; error: unknown; outcome: ReturnType<typeof credentialOutcome> }[] = [
    {
      reason: "bad signature",
      error: dcsError({ ...op, status: 401, remoteCode: "APIGW.0301" }),
      outcome: "auth",
    },
    {
      reason: "bad obshell password",
      error: new AuthError("authentication failed", {
        provider: "obshell",
        operation: "GET /api/v1/info",
        status: 401,
      }),
      outcome: "auth",
    },
    {
      reason: "signature valid, permission missing",
      error: dcsError({ ...op, status: 403, remoteCode: "DCS.2007" }),
      outcome: "reply",
    },
    {
      reason: "instance not found",
      error: dcsError({ ...op, status: 404, remoteCode: "DCS.3022" }),
      outcome: "reply",
    },
    {
      reason: "busy instance",
      error: dcsError({ ...op, status: 400, remoteCode: "DCS.4099" }),
      outcome: "reply",
    },
    {
      reason: "throttled by the gateway",
      error: dcsError({ ...op, status: 429, remoteCode: "APIGW.0308" }),
      outcome: "unknown",
    },
    {
      reason: "server error",
      error: dcsError({ ...op, status: 500, remoteCode: "DCS.5000" }),
      outcome: "unknown",
    },
    { reason: "not a remote error", error: new Error("ECONNRESET"), outcome: "unknown" },
  ];
  it.each(cases)("$reason -> $outcome", ({ error, outcome }) => {
    expect(credentialOutcome(error)).toBe(outcome);
  });
});
