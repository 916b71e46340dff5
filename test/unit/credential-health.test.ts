// The credential-health rule (src/reconcilers/engine/memory-credential-health.ts), as a table: a refused
// credential waits out its window; a DCS access key takes at most 2 refusals in 5 minutes from credentials
// not proven good; a proven-good one is never blocked by another SK's refusals.
import { describe, expect, it } from "vitest";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";

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
