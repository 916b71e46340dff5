// The credential-health rule (src/reconcilers/engine/memory-credential-health.ts), as a table: a refused
// credential waits out its window; a DCS access key takes at most 2 refusals in 5 minutes from credentials
// not proven good; a proven-good one is never blocked by another SK's refusals.
import { describe, expect, it } from "vitest";
import {
  AUTH_RETRY_MS,
  MemoryCredentialHealth,
} from "../../src/reconcilers/engine/memory-credential-health.js";

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s));
type Event = ["fail" | "ok", string, number] | ["ask", string, number, boolean];

const cases: { reason: string; scope?: string; events: Event[] }[] = [
  { reason: "an unknown credential may be tried", events: [["ask", "a", 0, true]] },
  {
    reason: "a refused credential waits its window",
    events: [
      ["fail", "a", 0],
      ["ask", "a", 299, false],
      ["ask", "a", 300, true],
    ],
  },
  {
    reason: "a success clears the refusal",
    events: [
      ["fail", "a", 0],
      ["ok", "a", 1],
      ["ask", "a", 2, true],
    ],
  },
  {
    reason: "two refusals under one AK stop untested SKs for the window",
    scope: "ak",
    events: [
      ["fail", "sk1", 0],
      ["fail", "sk2", 10],
      ["ask", "sk3", 20, false],
      ["ask", "sk3", 300, true],
    ],
  },
  {
    reason: "a proven-good SK keeps working while the AK's budget is spent",
    scope: "ak",
    events: [
      ["ok", "good", 0],
      ["fail", "sk1", 1],
      ["fail", "sk2", 2],
      ["ask", "good", 3, true],
    ],
  },
  {
    reason: "one refusal leaves budget for one more untested SK",
    scope: "ak",
    events: [
      ["fail", "sk1", 0],
      ["ask", "sk2", 1, true],
    ],
  },
];

describe("credential health", () => {
  it.each(cases)("$reason", ({ scope, events }) => {
    const health = new MemoryCredentialHealth();
    for (const e of events) {
      if (e[0] === "fail") health.recordFailure(e[1], at(e[2]), scope);
      else if (e[0] === "ok") health.recordSuccess(e[1]);
      else expect(health.mayAttempt(e[1], at(e[2]), scope).ok, `${e[1]} at ${e[2]} s`).toBe(e[3]);
    }
  });

  it("a restored state refuses as the one it came from (restarts)", () => {
    const before = new MemoryCredentialHealth();
    before.recordFailure("a", at(0), "ak");
    before.recordFailure("b", at(1), "ak");
    const after = new MemoryCredentialHealth();
    after.restore(JSON.parse(JSON.stringify(before.snapshot(at(2)))));
    expect(after.mayAttempt("a", at(3), "ak").ok).toBe(false);
    expect(after.mayAttempt("c", at(3), "ak").ok).toBe(false);
  });
});

// What a caller relies on beyond yes/no: when to come back, what the message tells a person, and what a
// snapshot keeps across a restart. Wrong versions: a window that ends a millisecond early or a window late,
// a snapshot that keeps expired refusals or drops live ones, a merge that keeps the older refusal time.
describe("credential health: retry times, messages and snapshots", () => {
  const ms = (s: number) => at(s).getTime();

  it("a refused credential is told the end of its own window, and the caller gets the same from recordFailure", () => {
    const health = new MemoryCredentialHealth();
    expect(health.recordFailure("a", at(10))).toEqual({ retryAt: ms(310) });
    const gate = health.mayAttempt("a", at(20));
    expect(gate).toEqual({ ok: false, retryAt: ms(310), message: expect.any(String) });
    if (gate.ok) throw new Error("unreachable");
    expect(gate.message).toContain(at(10).toISOString());
    expect(gate.message).toContain(at(310).toISOString());
    expect(gate.message).toContain("or the Secret changes");
  });

  // Issue 29's CI failure: a set reconciled again after a refusal (a retry after a failed status write, an
  // edit) is answered by the gate, and its status lost the remote's reason. The gate repeats it, for the
  // refusal it belongs to only; the snapshot (what the Lease stores) never holds it.
  it("a held-back credential is told what the remote said when it was refused, never stored", () => {
    const health = new MemoryCredentialHealth();
    health.recordFailure("a", at(10), undefined, "401 bad password");
    const gate = health.mayAttempt("a", at(20));
    if (gate.ok) throw new Error("expected the gate to hold");
    expect(gate.message).toBe(
      `these credentials were refused at ${at(10).toISOString()} (401 bad password); nothing is sent with them until ${at(310).toISOString()} or the Secret changes`,
    );
    expect(JSON.stringify(health.snapshot(at(20)))).not.toContain("bad password");
    // A later refusal restored from another replica has its own, unknown reason: the old one is not its.
    health.restore({ failed: { a: ms(15) }, scopes: {} });
    const restored = health.mayAttempt("a", at(20));
    if (restored.ok) throw new Error("expected the gate to hold");
    expect(restored.message).not.toContain("bad password");
    expect(restored.message).toContain(at(15).toISOString());
    // A refusal recorded without a reason drops an earlier one; a success drops it too.
    health.recordFailure("b", at(0), undefined, "401 first");
    health.recordFailure("b", at(1));
    const second = health.mayAttempt("b", at(2));
    expect(second.ok || second.message).not.toContain("401 first");
    // After a success, the same refusal read back from the Lease (another replica's flush) is not re-explained.
    health.recordFailure("c", at(0), undefined, "401 c");
    health.recordSuccess("c");
    health.restore({ failed: { c: ms(0) }, scopes: {} });
    const afterSuccess = health.mayAttempt("c", at(2));
    expect(afterSuccess.ok || afterSuccess.message).not.toContain("401 c");
  });

  it("a spent lock scope answers with its oldest refusal's window, in whole milliseconds, and says why", () => {
    // A refusal's fraction of a millisecond keeps it apart from another in the same millisecond; it must
    // never move the retry time (a wrong sign or no floor makes it a millisecond off).
    const health = new MemoryCredentialHealth(AUTH_RETRY_MS, () => 0.75);
    health.recordFailure("sk1", at(0), "ak");
    health.recordFailure("sk2", at(100), "ak");
    const gate = health.mayAttempt("sk3", at(150), "ak");
    expect(gate).toEqual({ ok: false, retryAt: ms(300), message: expect.any(String) });
    if (gate.ok) throw new Error("unreachable");
    expect(gate.message).toContain("2 refused requests in the last 5 min");
    expect(gate.message).toContain(at(300).toISOString());
    // Still blocked in the window's last millisecond, free at its end.
    expect(health.mayAttempt("sk3", new Date(ms(300) - 1), "ak").ok).toBe(false);
    expect(health.mayAttempt("sk3", at(300), "ak").ok).toBe(true);
  });

  it("a refusal counts against the scope from the millisecond it happened, not one earlier", () => {
    const health = new MemoryCredentialHealth(AUTH_RETRY_MS, () => 0.999);
    health.recordFailure("sk1", at(0), "ak");
    health.recordFailure("sk2", at(0), "ak");
    // A wrong version that subtracts the fraction dates both refusals a millisecond early.
    expect(health.mayAttempt("sk3", new Date(ms(300) - 1), "ak").ok).toBe(false);
  });

  it("a credential refused after it worked is no longer trusted past a spent scope", () => {
    const health = new MemoryCredentialHealth();
    health.recordSuccess("a");
    health.recordFailure("a", at(0), "ak");
    health.recordFailure("b", at(200), "ak");
    health.recordFailure("c", at(250), "ak");
    // a's own window is over at 300; the AK's is not (b and c): a is untested again, so it waits.
    expect(health.mayAttempt("a", at(301), "ak").ok).toBe(false);
  });

  it("a snapshot keeps only what is still in its window, per credential and per scope", () => {
    const health = new MemoryCredentialHealth(AUTH_RETRY_MS, () => 0);
    health.recordFailure("old", at(0), "ak-old");
    health.recordFailure("new", at(200), "ak-new");
    expect(health.snapshot(at(250))).toEqual({
      failed: { old: ms(0), new: ms(200) },
      scopes: { "ak-old": [ms(0)], "ak-new": [ms(200)] },
    });
    expect(health.snapshot(at(300))).toEqual({ failed: { new: ms(200) }, scopes: { "ak-new": [ms(200)] } });
    expect(health.snapshot(at(500))).toEqual({ failed: {}, scopes: {} });
  });

  it("restoring keeps the later refusal of a credential and the union of a scope's refusals, in order", () => {
    const health = new MemoryCredentialHealth(AUTH_RETRY_MS, () => 0);
    health.recordFailure("a", at(100), "ak");
    health.restore({ failed: { a: ms(50), b: ms(60) }, scopes: { ak: [ms(150), ms(100), ms(20)] } });
    expect(health.snapshot(at(110))).toEqual({
      failed: { a: ms(100), b: ms(60) },
      scopes: { ak: [ms(20), ms(100), ms(150)] },
    });
    // The later refusal wins: a stays refused until 400, not 350.
    expect(health.mayAttempt("a", at(360)).ok).toBe(false);
    const later = new MemoryCredentialHealth();
    later.restore({ failed: { a: ms(100) }, scopes: {} });
    later.restore({ failed: { a: ms(0) }, scopes: {} });
    expect(later.mayAttempt("a", at(350)).ok).toBe(false);
  });

  it("the default window is five minutes", () => {
    const health = new MemoryCredentialHealth();
    health.recordFailure("a", at(0));
    expect(health.mayAttempt("a", new Date(ms(0) + AUTH_RETRY_MS - 1)).ok).toBe(false);
    expect(AUTH_RETRY_MS).toBe(300_000);
  });
});
