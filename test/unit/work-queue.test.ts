import { describe, expect, it, vi } from "vitest";
import { WorkQueue } from "../../src/controller/work-queue.js";
import { eventually } from "../harness/engine.js";

describe("work queue", () => {
  it("keeps one entry per key however often it is added", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands a key out twice at once, and hands it out again after done() if it changed meanwhile", async () => {
    const q = new WorkQueue();
    q.add("a");
    const first = await q.get();
    q.add("a");
    expect(q.length).toBe(0);
    let second: string | undefined;
    const pending = q.get().then((k) => (second = k));
    // A fixed pause on purpose: the behaviour under test is that nothing is handed out meanwhile.
    await new Promise((r) => setTimeout(r, 5));
    expect(second).toBeUndefined();
    q.done(first ?? "");
    expect(await pending).toBe("a");
  });

  it("backs off per key: 5 ms doubling, capped, forgotten on success", () => {
    const q = new WorkQueue({ burst: 1_000_000, maxDelayMs: 1000 });
    expect([1, 2, 3, 4].map(() => q.addRateLimited("k"))).toEqual([5, 10, 20, 40]);
    for (let i = 0; i < 20; i++) q.addRateLimited("k");
    expect(q.addRateLimited("k")).toBe(1000);
    expect(q.addRateLimited("other")).toBe(5);
    q.forget("k");
    expect(q.addRateLimited("k")).toBe(5);
    q.shutdown();
  });

  it("applies the overall token bucket to rate-limited adds", () => {
    let now = 0;
    const q = new WorkQueue({ qps: 10, burst: 2, now: () => now });
    expect(q.addRateLimited("a")).toBe(5);
    expect(q.addRateLimited("b")).toBe(5);
    expect(q.addRateLimited("c")).toBe(100);
    now = 1000;
    expect(q.addRateLimited("d")).toBe(5);
    q.shutdown();
  });

  it("keeps the earliest of two delayed adds", async () => {
    const q = new WorkQueue();
    q.addAfter("a", 10_000);
    q.addAfter("a", 10);
    // Arrives after about 10 ms; had the later add's 10 s delay won, this would time out.
    await eventually("the earlier delayed add", () => q.length === 1, 5_000);
    expect(q.length).toBe(1);
    q.shutdown();
  });

  it("hands delayed keys out in the order of their times, however they were added (one timer for all)", async () => {
    vi.useFakeTimers();
    let now = 0;
    const q = new WorkQueue({ now: () => now });
    const order: string[] = [];
    try {
      const delays: [string, number][] = [
        ["e", 500],
        ["a", 100],
        ["d", 400],
        ["b", 200],
        ["c", 300],
        ["f", 600],
      ];
      for (const [key, ms] of delays) q.addAfter(key, ms);
      // A key brought forward goes at its new time; one pushed back keeps its earlier one.
      q.addAfter("f", 50);
      q.addAfter("a", 5_000);
      for (let t = 0; t <= 700; t += 25) {
        now = t;
        vi.advanceTimersByTime(25);
        while (q.length > 0) {
          const key = (await q.get()) ?? "";
          order.push(key);
          q.done(key);
        }
      }
      expect(order).toEqual(["f", "a", "b", "c", "d", "e"]);
      // Each went out once: the stale later entry of "f" and "a" was not handed out again.
      now = 10_000;
      vi.advanceTimersByTime(10_000);
      expect(q.length).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      q.shutdown();
      vi.useRealTimers();
    }
  });

  it("a key brought forward goes out once: its later time, due together with another key, is passed over", async () => {
    vi.useFakeTimers();
    let now = 0;
    const q = new WorkQueue({ now: () => now });
    try {
      q.addAfter("c", 300);
      q.addAfter("g", 310);
      q.addAfter("g", 100);
      vi.advanceTimersByTime(100);
      expect(await q.get()).toBe("g");
      q.done("g");
      // The timer set for c fires late: c and g's passed-over time are both due now.
      now = 400;
      vi.advanceTimersByTime(300);
      expect(q.length).toBe(1);
      expect(await q.get()).toBe("c");
    } finally {
      q.shutdown();
      vi.useRealTimers();
    }
  });

  it("holds one timer for thousands of delayed keys, and none after shutdown", () => {
    vi.useFakeTimers();
    try {
      const q = new WorkQueue();
      for (let i = 0; i < 5_000; i++) q.addAfter(`k${i}`, 60_000 + i);
      expect(vi.getTimerCount()).toBe(1);
      q.shutdown();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("wakes waiting workers with undefined on shutdown", async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });
});

describe("a closed work queue (a standby replica's)", () => {
  it("drops adds until opened, and reports no depth meanwhile", async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ closed: true, observer: { onDepth: (d) => depths.push(d) } });
    vi.useFakeTimers();
    try {
      q.add("a");
      q.addAfter("b", 1);
      vi.advanceTimersByTime(10);
    } finally {
      vi.useRealTimers();
    }
    expect(q.length).toBe(0);
    expect(depths).toEqual([]);
    q.open();
    q.add("c");
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("c");
  });
});

describe("a work queue fair between tenants (namespaces)", () => {
  const namespaceOf = (key: string) => key.split("/")[0] ?? "";

  it("hands a new namespace's key out after at most one key of each busy namespace", async () => {
    const q = new WorkQueue({ fairBy: namespaceOf });
    for (let i = 0; i < 300; i++) q.add(`a/set-${i}`);
    q.add("b/new");
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await q.get()) ?? "");
    expect(order.indexOf("b/new")).toBeGreaterThanOrEqual(0);
    expect(order.indexOf("b/new")).toBeLessThanOrEqual(1);
  });

  it("takes turns between namespaces with work, FIFO within each, and loses no key", async () => {
    const q = new WorkQueue({ fairBy: namespaceOf });
    for (const key of ["a/1", "a/2", "a/3", "b/1", "c/1", "c/2"]) q.add(key);
    const order: string[] = [];
    while (q.length > 0) {
      const key = (await q.get()) ?? "";
      order.push(key);
      q.done(key);
    }
    expect(order).toEqual(["a/1", "b/1", "c/1", "a/2", "c/2", "a/3"]);
  });

  it("a key re-added while a worker holds it goes to the back of its namespace's turn", async () => {
    const q = new WorkQueue({ fairBy: namespaceOf });
    q.add("a/1");
    const held = await q.get();
    q.add("a/1");
    q.add("b/1");
    q.done(held ?? "");
    expect(await q.get()).toBe("b/1");
    expect(await q.get()).toBe("a/1");
  });

  it("without fairBy, one FIFO", async () => {
    const q = new WorkQueue();
    for (const key of ["a/1", "a/2", "b/1"]) q.add(key);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["a/1", "a/2", "b/1"]);
  });
});
