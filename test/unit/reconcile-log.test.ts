// Log lines a platform team parses: one value per key, the object in one field, one id per reconcile,
// and retry-loop errors without a stack.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/controller.js";
import { WorkQueue } from "../../src/controller/work-queue.js";
import { createLogger, describeError } from "../../src/observability/logger.js";

/** The top-level keys of one JSON line in order, duplicates kept (JSON.parse would hide them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') {
        inString = false;
        if (depth === 1 && line[i + 1] === ":") keys.push(line.slice(start + 1, i));
      }
    } else if (c === '"') {
      inString = true;
      start = i;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  return keys;
}

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: "debug" }, sink) };
}

describe("reconcile log lines", () => {
  it("carry each key once, the object as namespace/name and a reconcile id per reconcile", async () => {
    const { lines, logger } = capture();
    const queue = new WorkQueue();
    let calls = 0;
    const controller = new Controller({
      name: "tenantreplicaset",
      queue,
      logger,
      reconciler: {
        async reconcile({ log }) {
          // What the reconcilers add on top of the worker's fields.
          log.child({ kind: "TenantReplicaSet", generation: 3 }).info({ zones: ["z1"] }, "removing replicas");
          calls++;
          return calls === 1 ? { requeueAfterMs: 1 } : {};
        },
      },
    });
    controller.start();
    queue.add("prod/orders");
    const deadline = Date.now() + 2_000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await controller.stop(100);
    const reconciled = lines.filter((l) => l.includes('"removing replicas"'));
    expect(reconciled.length).toBe(2);
    for (const line of reconciled) {
      const keys = topLevelKeys(line);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
      expect(JSON.parse(line)).toMatchObject({
        name: "dbfleet-operator",
        controller: "tenantreplicaset",
        object: "prod/orders",
      });
    }
    const ids = reconciled.map((l) => (JSON.parse(l) as { reconcileID: string }).reconcileID);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it("describe a connection error in one line with its code, without a stack", () => {
    const refused = Object.assign(
      new AggregateError([
        Object.assign(new Error("connect ECONNREFUSED ::1:6443"), { code: "ECONNREFUSED" }),
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" }),
      ]),
      { code: "ECONNREFUSED" },
    );
    const cases: { reason: string; error: unknown; want: ReturnType<typeof describeError> }[] = [
      {
        reason: "an AggregateError with an empty message names its inner errors",
        error: refused,
        want: {
          error: "connect ECONNREFUSED ::1:6443; connect ECONNREFUSED 127.0.0.1:6443",
          code: "ECONNREFUSED",
        },
      },
      {
        reason: "an HTTP status is the code",
        error: Object.assign(new Error("GET /api/v1/secrets: 403 Forbidden: nope"), { status: 403 }),
        want: { error: "GET /api/v1/secrets: 403 Forbidden: nope", code: 403 },
      },
      {
        reason: "the cause is appended",
        error: new Error("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND kube") }),
        want: { error: "fetch failed: getaddrinfo ENOTFOUND kube" },
      },
      { reason: "a thrown string", error: "boom", want: { error: "boom" } },
    ];
    for (const c of cases) expect(describeError(c.error), c.reason).toEqual(c.want);
  });
});
