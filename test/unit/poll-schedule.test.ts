// The poll schedule (src/reconcilers/engine/poll-schedule.ts): a settled set polls once per interval at its
// own point in it, so a fleet that converged in one burst does not poll in one burst for ever.
import { describe, expect, it } from "vitest";
import {
  MIN_POLL_GAP_FRACTION,
  nextPollDelayMs,
  pollPhaseMs,
} from "../../src/reconcilers/engine/poll-schedule.js";

const MINUTE = 60_000;
const I = 5 * MINUTE;
const T0 = Date.UTC(2026, 11, 5, 3, 0, 0);

describe("poll schedule", () => {
  it("a set polled at its point polls again exactly one interval later", () => {
    for (const key of ["ns/a", "ns/b", "team-x/orders-cache"]) {
      const at = T0 + pollPhaseMs(I, key); // T0 is a multiple of 5 min
      expect(at % I).toBe(pollPhaseMs(I, key));
      expect(nextPollDelayMs(I, key, at)).toBe(I);
      // A reconcile that took 40 ms still lands on the point.
      expect(nextPollDelayMs(I, key, at + 40)).toBe(I - 40);
    }
  });

  it("after other work the next poll is between a tenth and 1.1 intervals away, on the set's point", () => {
    for (let k = 0; k < 2000; k++) {
      const key = `ns/s${k}`;
      const now = T0 + ((k * 7919) % I);
      const delay = nextPollDelayMs(I, key, now);
      expect(delay).toBeGreaterThanOrEqual(I * MIN_POLL_GAP_FRACTION);
      expect(delay).toBeLessThan(I * (1 + MIN_POLL_GAP_FRACTION));
      expect((now + delay) % I).toBe(pollPhaseMs(I, key));
    }
  });

  it("every replica and restart computes the same point; another name, another point", () => {
    expect(nextPollDelayMs(I, "ns/a", T0 + 1234)).toBe(nextPollDelayMs(I, "ns/a", T0 + 1234));
    expect(pollPhaseMs(I, "ns/a")).not.toBe(pollPhaseMs(I, "ns/b"));
  });

  // The bench's case: 10,000 sets converged within one second. Before, their polls came in that second of
  // every interval; now every tenth of the interval holds between 8 % and 12 % of them.
  it("10,000 sets that converged in the same second poll evenly over the interval", () => {
    const tenths = new Array<number>(10).fill(0);
    for (let k = 0; k < 10_000; k++) {
      const now = T0 + (k % 1000);
      const at = now + nextPollDelayMs(I, `bench-latency/s${k}`, now);
      const tenth = Math.floor(((at - T0) % I) / (I / 10));
      tenths[tenth] = (tenths[tenth] ?? 0) + 1;
    }
    for (const count of tenths) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });

  it("a zero interval is no poll", () => {
    expect(nextPollDelayMs(0, "ns/a", T0)).toBe(0);
  });
});
