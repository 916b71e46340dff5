// A requeue longer than a timer can hold (2^31-1 ms, about 24.8 days: Node fires a longer setTimeout after
// 1 ms) must not come back at once. A BudgetExhausted wait can be that long: a disruption recorded by a
// clock far ahead counts until its window ends (reconcilers/budget.ts), and one whose time does not parse
// frees at the latest Date. Wrong version this is written against: addAfter passing the delay to
// setTimeout as it is, which reconciled such a set, and read its remote, every millisecond.
import { afterEach, describe, expect, it, vi } from "vitest";
import { WorkQueue } from "../../src/controller/work-queue.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("work queue: a requeue longer than a timer holds", () => {
  it.each([
    ["30 days", 30 * 24 * 3_600_000],
    ["the latest Date", 8.64e15],
  ])("after %s: not handed out a moment later, nor a day later", (_, delayMs) => {
    vi.useFakeTimers();
    const q = new WorkQueue();
    q.addAfter("k", delayMs);
    vi.advanceTimersByTime(24 * 3_600_000);
    expect(q.length).toBe(0);
    q.shutdown();
  });

  it("a timer's worth exactly still fires then", () => {
    vi.useFakeTimers();
    const q = new WorkQueue();
    q.addAfter("k", 2 ** 31 - 1);
    vi.advanceTimersByTime(2 ** 31 - 2);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    q.shutdown();
  });
});
