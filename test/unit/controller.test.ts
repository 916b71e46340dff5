import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/controller.js";
import { WorkQueue } from "../../src/controller/work-queue.js";
import { createLogger } from "../../src/observability/logger.js";
import { eventually } from "../harness/engine.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: "debug" }, sink) };
}

describe("controller workers", () => {
  it("hand each reconcile a logger bound to controller and object", async () => {
    const { lines, logger } = capture();
    const queue = new WorkQueue();
    const controller = new Controller({
      name: "tenantreplicaset",
      queue,
      logger,
      reconciler: {
        async reconcile({ log }) {
          log.info("reconciled");
          return {};
        },
      },
    });
    controller.start();
    queue.add("prod/orders");
    await eventually("the reconcile logged", () => lines.some((l) => l.msg === "reconciled"), 5_000);
    await controller.stop(100);
    expect(lines.find((l) => l.msg === "reconciled")).toMatchObject({
      controller: "tenantreplicaset",
      object: "prod/orders",
    });
  });

  it("log a failed reconcile once with its key and retry it with backoff", async () => {
    const { lines, logger } = capture();
    const queue = new WorkQueue();
    let calls = 0;
    const controller = new Controller({
      name: "redisinstanceset",
      queue,
      logger,
      reconciler: {
        async reconcile() {
          calls++;
          if (calls === 1) throw new Error("boom");
          return {};
        },
      },
    });
    controller.start();
    queue.add("prod/cache");
    await eventually("the retry after the failure", () => calls >= 2, 5_000);
    await controller.stop(100);
    expect(calls).toBe(2);
    const failures = lines.filter((l) => l.msg === "reconcile failed");
    expect(failures.length).toBe(1);
    expect(failures[0]).toMatchObject({ object: "prod/cache", retryInMs: 5 });
  });
});

describe("a reconcile's deadline", () => {
  it("aborts a reconcile stuck on a slow remote, frees its worker for other keys, and retries the key", async () => {
    const { logger } = capture();
    const queue = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 1 });
    const seen: string[] = [];
    const controller = new Controller({
      name: "tenantreplicaset",
      queue,
      logger,
      workers: 1,
      reconcileTimeoutMs: 50,
      reconciler: {
        async reconcile({ key, signal }) {
          seen.push(key);
          // A remote that never answers: only the signal ends this call.
          if (key === "a/slow" && seen.filter((k) => k === key).length === 1)
            await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
          return {};
        },
      },
    });
    controller.start();
    queue.add("a/slow");
    queue.add("b/other");
    await eventually(
      "the other key reconciled and the slow one retried",
      () => seen.includes("b/other") && seen.filter((k) => k === "a/slow").length >= 2,
      5_000,
    );
    await controller.stop(100);
  });
});
