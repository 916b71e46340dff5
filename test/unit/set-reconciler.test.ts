import { createServer, request as httpRequest, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { conditions, objectMeta, pendingPlan } from "../../src/api/common.js";
import { PAUSED_ANNOTATION } from "../../src/api/group.js";
import { Reason } from "../../src/api/reasons.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { DcsClient } from "../../src/providers/dcs/client.js";
import { AuthError, ServerError, TransportError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import type { CredentialHealth } from "../../src/reconcilers/engine/credential-health.js";
import type { SetKind } from "../../src/reconcilers/engine/kind.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { pollPhaseMs } from "../../src/reconcilers/engine/poll-schedule.js";
import { ObserveFailed, SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { type CommonStep, type StepBase, wait } from "../../src/reconcilers/engine/step.js";
import type { DisruptionBudgets } from "../../src/reconcilers/fleet-budgets.js";
import { redisKind } from "../../src/reconcilers/redis/kind.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { REDIS_INSTANCE_SET } from "../../src/reconcilers/redis/module.js";
import { PENDING_RESOLVE_MS } from "../../src/reconcilers/redis/plan.js";
import { tenantKind } from "../../src/reconcilers/tenant/kind.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import type { FaultRule, LoggedRequest } from "../simulators/http-sim.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import {
  identity,
  inlineResolver,
  loopbackPolicy,
  operation,
  redisManifest,
  redisSet,
  tenantManifest,
} from "./sets.js";

/** A reconcile with the wall-clock span it ran in, for a poll's delay to be checked against. */
async function timed<T>(run: () => Promise<T>): Promise<{ result: T; from: number; to: number }> {
  const from = Date.now();
  const result = await run();
  return { result, from, to: Date.now() };
}

/** The reconcile ended in a poll of `key` at its own point in the interval (poll-schedule.ts). */
function expectPoll(
  key: string,
  intervalMs: number,
  { result, from, to }: { result: { requeueAfterMs?: number }; from: number; to: number },
): void {
  const delay = result.requeueAfterMs ?? Number.NaN;
  expect(delay).toBeGreaterThanOrEqual(intervalMs / 10);
  expect(delay).toBeLessThan(intervalMs * 1.1);
  // Some instant of the reconcile plus the delay is the set's point.
  const before = (((pollPhaseMs(intervalMs, key) - delay - from) % intervalMs) + intervalMs) % intervalMs;
  expect(before).toBeLessThanOrEqual(to - from);
}

// A small kind: a remote holds items per endpoint; the spec says which items to keep; the rest is removed.
// The intent records the endpoint and items before the removal, as the real kinds do.
const toyStatus = z.object({
  phase: z.string().optional(),
  observedGeneration: z.int().optional(),
  conditions: conditions.optional(),
  intent: z.object({ endpoint: z.string(), items: z.array(z.string()) }).optional(),
  removed: z.array(z.string()).optional(),
  pendingPlan: pendingPlan.optional(),
});
const toySet = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMeta,
  spec: z.strictObject({
    endpoint: z.string(),
    keep: z.array(z.string()),
    paused: z.boolean().default(false),
    pollInterval: z.string().default("30s"),
  }),
  status: toyStatus.optional(),
});
type ToySet = z.infer<typeof toySet>;
type ToyStatus = z.infer<typeof toyStatus>;
type ToyStep =
  | CommonStep
  | (StepBase & { kind: "Remove"; endpoint: string; targets: string[] })
  | (StepBase & { kind: "Removed"; targets: string[] })
  | (StepBase & { kind: "OutcomeUnknown"; requeueAfterMs: number })
  | (StepBase & { kind: "Forget" });
interface Remote {
  endpoint: string;
  items: Set<string>;
}
interface ToyObserved {
  items: string[];
}
type ToyKind = SetKind<ToySet, ToyStatus, Remote, ToyObserved, undefined, ToyStep>;

interface Hooks {
  observe?: (remote: Remote) => Promise<ToyObserved>;
  act?: (remote: Remote, step: Extract<ToyStep, { kind: "Remove" }>) => Promise<ToyStep>;
  decide?: ToyKind["decide"];
  /** spec.policy.settleTime of the toy kind, in ms (0: off). */
  settleMs?: number;
  /** Each removed item counts as one instance deletion against the fleet's budgets. */
  countsDisruptions?: boolean;
}

function toyDecide({ set, status, observed }: Parameters<ToyKind["decide"]>[0]): ToyStep {
  const intent = status?.intent;
  if (intent) {
    const left = intent.items.filter((i) => observed.items.includes(i));
    if (left.length === 0)
      return { kind: "Forget", reason: Reason.IntentResolved, message: "intent resolved" };
    return wait(Reason.DeleteOutcomeUnknown, `still there: ${left.join(", ")}`, 1000);
  }
  const extra = observed.items.filter((i) => !set.spec.keep.includes(i));
  if (extra.length === 0) return { kind: "Ready", reason: Reason.Converged, message: "as declared" };
  return {
    kind: "Remove",
    reason: Reason.Deleting,
    message: `removing ${extra.join(", ")}`,
    endpoint: set.spec.endpoint,
    targets: extra,
    planned: { hash: `${set.spec.endpoint}:${extra.join(",")}`, targets: extra },
  };
}

function toyKind(remotes: Map<string, Remote>, calls: Calls, hooks: Hooks = {}): ToyKind {
  return {
    kind: "RedisInstanceSet",
    type: REDIS_INSTANCE_SET,
    operations: { started: () => undefined },
    disruptions: {
      of: (step) =>
        hooks.countsDisruptions && step.kind === "Remove"
          ? { unit: "instances", count: step.targets.length }
          : undefined,
      refunded: () => 0,
    },
    schema: toySet,
    statusSchema: toyStatus,
    pollIntervalMs: () => 30_000,
    settleTimeMs: () => hooks.settleMs ?? 0,
    // An operation in flight is followed where it started, as the tenant kind does.
    async connect(set) {
      const endpoint = set.status?.intent?.endpoint ?? set.spec.endpoint;
      calls.push(`connect ${endpoint}`);
      const remote = remotes.get(endpoint);
      if (!remote)
        return { ok: false, step: { kind: "Stall", reason: Reason.CredentialsMissing, message: "no" } };
      return { ok: true, client: remote, credential: `credential-${endpoint}`, endpoint };
    },
    async observe(remote) {
      calls.push(`observe ${remote.endpoint}`);
      if (hooks.observe) return hooks.observe(remote);
      return { items: [...remote.items] };
    },
    fleet: () => undefined,
    decide: (input) => {
      const step = (hooks.decide ?? toyDecide)(input);
      calls.push(`decide ${step.kind}`);
      return step;
    },
    record(status, step) {
      switch (step.kind) {
        case "Remove":
          return { ...status, intent: { endpoint: step.endpoint, items: step.targets } };
        case "Removed": {
          const { intent: _, ...rest } = status;
          return { ...rest, removed: [...(status.removed ?? []), ...step.targets] };
        }
        case "Forget": {
          const { intent: _, ...rest } = status;
          return rest;
        }
        default:
          return status;
      }
    },
    isBookkeeping: (step) => step.kind === "Forget",
    isAction: (step) => step.kind === "Remove",
    async act(remote, _set, step) {
      if (step.kind !== "Remove") throw new Error(step.kind);
      calls.push(`act ${remote.endpoint} ${step.targets.join(",")}`);
      if (hooks.act) return hooks.act(remote, step);
      for (const t of step.targets) remote.items.delete(t);
      return { kind: "Removed", reason: Reason.DeletionRequested, message: "removed", targets: step.targets };
    },
  };
}

function toyObject(
  o: {
    keep?: unknown;
    endpoint?: string;
    status?: unknown;
    paused?: boolean;
    annotations?: Record<string, string>;
  } = {},
): KubeObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: {
      name: "toy",
      namespace: "prod",
      generation: 2,
      resourceVersion: "1",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: { endpoint: o.endpoint ?? "a", keep: o.keep ?? ["k"], ...(o.paused ? { paused: true } : {}) },
    ...(o.status === undefined ? {} : { status: o.status }),
  };
}

function harness(
  object: KubeObject,
  remotes: Record<string, string[]>,
  hooks: Hooks = {},
  options: { now?: () => Date; credentials?: MemoryCredentialHealth; budgets?: DisruptionBudgets } = {},
) {
  const calls: Calls = [];
  const api = new FakeApi(object, calls);
  const remoteMap = new Map(
    Object.entries(remotes).map(([endpoint, items]) => [endpoint, { endpoint, items: new Set(items) }]),
  );
  const events = eventLog(calls);
  const credentials = options.credentials ?? new MemoryCredentialHealth();
  const reconciler = new SetReconciler(toyKind(remoteMap, calls, hooks), {
    cache: { get: () => api.stored },
    status: api.writer(),
    events,
    credentials,
    ...(options.now ? { now: options.now } : {}),
    ...(options.budgets ? { budgets: options.budgets } : {}),
  });
  return { calls, api, remotes: remoteMap, events, credentials, reconciler };
}

describe("SetReconciler with a fake kind", () => {
  it("records the intent before the destructive call and what came back after it", async () => {
    let storedDuringAct: unknown;
    const h = harness(
      toyObject(),
      { a: ["k", "x"] },
      {
        async act(remote, step) {
          storedDuringAct = structuredClone(h.api.status.intent);
          for (const t of step.targets) remote.items.delete(t);
          return {
            kind: "Removed",
            reason: Reason.DeletionRequested,
            message: "removed",
            targets: step.targets,
          };
        },
      },
    );
    const run = await timed(() => h.reconciler.reconcile(request()));
    // One connect per reconcile: the action goes through the connection the decision was made on.
    expect(h.calls).toEqual([
      "connect a",
      "observe a",
      "decide Remove",
      "status Reconciling/Deleting",
      "act a x",
      "status Reconciling/DeletionRequested",
    ]);
    expect(storedDuringAct).toEqual({ endpoint: "a", items: ["x"] });
    expect(h.api.status).toMatchObject({ removed: ["x"], observedGeneration: 2, phase: "Reconciling" });
    expect(h.api.status.intent).toBeUndefined();
    expectPoll("prod/toy", 30_000, run);
  });

  it("an intent write that conflicts drops the decision: nothing is sent, and the next reconcile decides from the fresh object", async () => {
    const h = harness(toyObject(), { a: ["k", "x"] });
    h.api.beforePut = () => {
      // Between the read the decision was made from and the intent's write, someone keeps x.
      h.api.stored = {
        ...h.api.stored,
        metadata: { ...h.api.stored.metadata, generation: 3, resourceVersion: "2" },
        spec: { endpoint: "a", keep: ["k", "x"] },
      };
    };
    const result = await h.reconciler.reconcile(request());
    expect(h.calls).toEqual(["connect a", "observe a", "decide Remove", "status 409"]);
    expect(h.remotes.get("a")?.items.has("x")).toBe(true);
    expect(h.api.status.intent).toBeUndefined();
    // Decided again soon, not at the next poll.
    expect(result.requeueAfterMs).toBeLessThan(30_000);

    await h.reconciler.reconcile(request());
    expect(h.calls.slice(4)).toEqual(["connect a", "observe a", "decide Ready", "status Ready/Converged"]);
    expect(h.remotes.get("a")?.items.has("x")).toBe(true);
    expect(h.api.written.map((o) => (o.status as ToyStatus | undefined)?.intent)).toEqual([undefined]);
  });

  it("an act that answers OutcomeUnknown leaves the intent, and the next pass resolves it from the remote", async () => {
    const h = harness(
      toyObject(),
      { a: ["k", "x"] },
      {
        async act(remote) {
          remote.items.delete("x"); // it did happen; the reply was lost
          return {
            kind: "OutcomeUnknown",
            reason: Reason.DeleteOutcomeUnknown,
            message: "reply lost",
            requeueAfterMs: 700,
          };
        },
      },
    );
    expect(await h.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 700 });
    expect(h.api.status).toMatchObject({ intent: { endpoint: "a", items: ["x"] }, phase: "Reconciling" });
    expect(h.calls.at(-1)).toBe("status Reconciling/DeleteOutcomeUnknown");

    h.calls.length = 0;
    await h.reconciler.reconcile(request());
    // The intent is looked at first; nothing is sent again.
    expect(h.calls).toEqual([
      "connect a",
      "observe a",
      "decide Forget",
      "status Reconciling/IntentResolved",
      "connect a",
      "observe a",
      "decide Ready",
      "status Ready/Converged",
    ]);
  });

  it("an act that throws a remote error leaves the intent; the error goes to the queue's backoff", async () => {
    const h = harness(
      toyObject(),
      { a: ["k", "x"] },
      {
        async act() {
          throw new TransportError("connection reset", { provider: "dcs", operation: "DELETE /x" });
        },
      },
    );
    const error = await h.reconciler.reconcile(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObserveFailed);
    expect(h.api.status).toMatchObject({ intent: { endpoint: "a", items: ["x"] } });
    expect(h.calls.filter((c) => c.startsWith("act"))).toEqual(["act a x"]);
  });

  it("an act that throws a programming error leaves the intent and rethrows it", async () => {
    const h = harness(
      toyObject(),
      { a: ["k", "x"] },
      {
        async act() {
          throw new TypeError("boom");
        },
      },
    );
    await expect(h.reconciler.reconcile(request())).rejects.toThrow("boom");
    expect(h.api.status).toMatchObject({ intent: { endpoint: "a", items: ["x"] } });
  });

  it("a failed remote read: status ObserveFailed, then the error is thrown for the queue's backoff; nothing acts", async () => {
    const h = harness(
      toyObject(),
      { a: ["k", "x"] },
      {
        async observe() {
          throw new ServerError("internal error", {
            provider: "dcs",
            operation: "GET /instances",
            status: 503,
          });
        },
      },
    );
    const error = await h.reconciler.reconcile(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObserveFailed);
    expect((error as ObserveFailed).cause).toBeInstanceOf(ServerError);
    expect(h.calls).toEqual(["connect a", "observe a", "status Reconciling/ObserveFailed"]);
    expect(h.api.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "Ready", status: "False", reason: "ObserveFailed" }),
      ]),
    );
  });

  it("an AuthError: the credential is marked failed, Stall AuthenticationFailed, and the next reconcile sends nothing", async () => {
    let now = new Date("2026-11-23T10:00:00Z");
    const credentials = new MemoryCredentialHealth(300_000);
    let refuse = true;
    const h = harness(
      toyObject(),
      { a: ["k"] },
      {
        async observe(remote) {
          if (refuse)
            throw new AuthError("unauthenticated", {
              provider: "dcs",
              operation: "GET /instances",
              status: 401,
            });
          return { items: [...remote.items] };
        },
      },
      { now: () => now, credentials },
    );
    const first = await h.reconciler.reconcile(request());
    expect(h.api.status.phase).toBe("Stalled");
    // The event follows the status it reports.
    expect(h.calls.slice(-2)).toEqual([
      "status Stalled/AuthenticationFailed",
      "event Warning/AuthenticationFailed",
    ]);
    expect(first.requeueAfterMs).toBe(300_000);
    expect(credentials.mayAttempt("credential-a", now).ok).toBe(false);

    h.calls.length = 0;
    refuse = false;
    now = new Date("2026-11-23T10:01:00Z");
    const second = await h.reconciler.reconcile(request());
    expect(h.calls).not.toContain("observe a");
    expect(second.requeueAfterMs).toBe(240_000);
    expect(h.api.status.phase).toBe("Stalled");

    h.calls.length = 0;
    now = new Date("2026-11-23T10:05:01Z");
    await h.reconciler.reconcile(request());
    expect(h.calls).toContain("observe a");
    expect(h.api.status.phase).toBe("Ready");
  });

  it("a status computed for generation N and written after a conflict still says observedGeneration N", async () => {
    const h = harness(toyObject(), { a: ["k"] });
    h.api.beforePut = () => {
      // The spec changes between the read and the status write.
      h.api.stored = {
        ...h.api.stored,
        metadata: { ...h.api.stored.metadata, generation: 3, resourceVersion: "2" },
        spec: { endpoint: "a", keep: ["k", "y"] },
      };
    };
    await h.reconciler.reconcile(request());
    expect(h.calls).toEqual([
      "connect a",
      "observe a",
      "decide Ready",
      "status 409",
      "status Ready/Converged",
    ]);
    expect(h.api.stored.metadata.generation).toBe(3);
    expect(h.api.status.observedGeneration).toBe(2);
    const ready = (h.api.status.conditions as { type: string; observedGeneration?: number }[]).find(
      (c) => c.type === "Ready",
    );
    expect(ready?.observedGeneration).toBe(2);
  });

  it("bookkeeping steps lead to a fresh observation at most 3 rounds per reconcile", async () => {
    const h = harness(
      toyObject(),
      { a: ["k"] },
      {
        decide: () => ({ kind: "Forget", reason: Reason.IntentResolved, message: "again" }),
      },
    );
    const run = await timed(() => h.reconciler.reconcile(request()));
    expect(h.calls.filter((c) => c.startsWith("observe"))).toHaveLength(3);
    expect(h.calls.filter((c) => c.startsWith("status"))).toHaveLength(1); // the same status each round
    expectPoll("prod/toy", 30_000, run);
  });

  it("after a bookkeeping round ends an operation, the action runs against the connection the fresh status names", async () => {
    // The intent was on endpoint a (where it is resolved); the spec now names endpoint b.
    const h = harness(toyObject({ endpoint: "b", status: { intent: { endpoint: "a", items: ["x"] } } }), {
      a: ["k"],
      b: ["k", "z"],
    });
    await h.reconciler.reconcile(request());
    expect(h.calls.filter((c) => c.startsWith("act"))).toEqual(["act b z"]);
    expect(h.remotes.get("a")?.items).toEqual(new Set(["k"]));
    expect(h.remotes.get("b")?.items).toEqual(new Set(["k"]));
    expect(h.api.status).toMatchObject({ removed: ["z"] });
  });

  it("a paused set (spec or annotation) makes no remote call, not even connect", async () => {
    for (const object of [
      toyObject({ paused: true }),
      toyObject({ annotations: { [PAUSED_ANNOTATION]: "true" } }),
    ]) {
      const h = harness(object, { a: ["k", "x"] });
      expect(await h.reconciler.reconcile(request())).toEqual({});
      expect(h.calls).toEqual(["status Paused/Paused"]);
      expect(h.remotes.get("a")?.items.size).toBe(2);
    }
  });

  it("an invalid spec: InvalidSpec naming the field, no connect, and a stored status that does not parse is kept", async () => {
    const stored = { intent: { endpoint: "a", items: "x" }, custom: "kept" };
    const h = harness(toyObject({ keep: "k", status: stored }), { a: ["k", "x"] });
    expect(await h.reconciler.reconcile(request())).toEqual({});
    expect(h.calls).toEqual(["status Stalled/InvalidSpec", "event Warning/InvalidSpec"]);
    expect(h.api.status).toMatchObject({ ...stored, phase: "Stalled" });
    expect(h.events.events[0]?.note).toMatch(/spec\.keep/);
  });

  it("a set gone from the cache or being deleted is not reconciled (deleting a set deletes nothing remote)", async () => {
    const h = harness(
      { ...toyObject(), metadata: { ...toyObject().metadata, deletionTimestamp: "2026-11-23T09:00:00Z" } },
      {
        a: ["k", "x"],
      },
    );
    expect(await h.reconciler.reconcile(request())).toEqual({});
    expect(h.calls).toEqual([]);
  });
});

// The real tenant kind over real HTTP: the obshell simulator behind a small proxy that can hold or answer
// the replica DELETE itself, so a test can abort the reconcile while the destructive call is in flight.
type DeleteMode = "forward" | "hang" | "nothing-to-remove" | { status: number; errCode: string };

class ObshellGate {
  mode: DeleteMode = "forward";
  /** DELETEs that reached the gate, and whether the client closed the connection while it was held. */
  readonly deletes: { closedByClient: boolean }[] = [];
  onDelete: (() => void) | undefined;
  url = "";
  private readonly server: Server;

  constructor(private readonly upstream: string) {
    this.server = createServer((req, res) => {
      if (req.method === "DELETE" && /\/replicas$/.test(req.url ?? "") && this.mode !== "forward") {
        const seen = { closedByClient: false };
        this.deletes.push(seen);
        req.resume();
        if (this.mode === "nothing-to-remove") {
          res.writeHead(204).end();
          return;
        }
        if (typeof this.mode === "object") {
          const { status, errCode } = this.mode;
          res.writeHead(status, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              successful: false,
              timestamp: new Date().toISOString(),
              duration: 1,
              status,
              traceId: "t1",
              error: { errCode, message: `refused: ${errCode}` },
            }),
          );
          return;
        }
        res.on("close", () => {
          seen.closedByClient = true;
        });
        this.onDelete?.();
        return; // never answers
      }
      const up = httpRequest(
        `${this.upstream}${req.url}`,
        { method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const PASSWORD = "root-Pw-3k9";

function tenantHarness(
  object: KubeObject,
  namesakes = false,
  credentials: CredentialHealth = new MemoryCredentialHealth(),
) {
  const calls: Calls = [];
  const api = new FakeApi(object, calls);
  const pool = new ConnectionClients<ObshellClient>();
  const kind = tenantKind({
    resolve: inlineResolver({ password: PASSWORD }),
    endpointPolicy: loopbackPolicy,
    pool,
    timing: { dagPollMs: 50, busyRetryMs: 50 },
    namesakes: () => namesakes,
  });
  const reconciler = new SetReconciler(kind, {
    cache: { get: () => api.stored },
    status: api.writer(),
    events: eventLog(calls),
    credentials,
  });
  return { api, pool, reconciler, calls };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The message of the status's condition of `type`. */
const messageOf = (status: Record<string, unknown>, type: string) =>
  (status.conditions as { type: string; message: string }[] | undefined)?.find((c) => c.type === type)
    ?.message;

const deletesIn = (sim: ObshellSimulator) => sim.log.filter((r) => r.method === "DELETE" && r.executed);

describe("SetReconciler: a destructive plan runs only once settled (issue 28)", () => {
  const T0 = Date.parse("2026-11-23T10:00:00.000Z");
  function clocked(
    object: KubeObject,
    remotes: Record<string, string[]>,
    hooks: Hooks = {},
    budgets?: DisruptionBudgets,
  ) {
    let now = T0;
    const h = harness(
      object,
      remotes,
      { settleMs: 10_000, ...hooks },
      { now: () => new Date(now), ...(budgets ? { budgets } : {}) },
    );
    return { ...h, at: (ms: number) => (now = T0 + ms) };
  }
  const acts = (calls: Calls) => calls.filter((c) => c.startsWith("act"));

  it("first observation waits PlanSettling until runsAt (a requeue, not a poll); the second at runsAt acts", async () => {
    const h = clocked(toyObject(), { a: ["k", "x"] });
    expect(await h.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 10_000 });
    expect(h.calls).toContain("status Reconciling/PlanSettling");
    expect(h.api.status.pendingPlan).toEqual({
      hash: "a:x",
      targets: ["x"],
      firstObservedAt: "2026-11-23T10:00:00.000Z",
      observations: 1,
      runsAt: "2026-11-23T10:00:10.000Z",
    });
    h.at(4_000);
    expect(await h.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 6_000 });
    expect(acts(h.calls)).toEqual([]);
    h.at(10_000);
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual(["act a x"]);
    // The operation's own steps carry no plan: the clock is gone once the removal is answered.
    expect(h.api.status.pendingPlan).toBeUndefined();
  });

  it("a restart neither resets nor skips the clock: a new reconciler reads it from status", async () => {
    const first = clocked(toyObject(), { a: ["k", "x"] });
    await first.reconciler.reconcile(request());
    const saved = first.api.stored;
    // Restarted 3 s later: 7 s are left, not 10 and not 0.
    const early = clocked(saved, { a: ["k", "x"] });
    early.at(3_000);
    expect(await early.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 7_000 });
    expect(acts(early.calls)).toEqual([]);
    const late = clocked(early.api.stored, { a: ["k", "x"] });
    late.at(10_000);
    await late.reconciler.reconcile(request());
    expect(acts(late.calls)).toEqual(["act a x"]);
  });

  it("a plan that changes within the settle time never runs; the new one settles from its own first observation", async () => {
    const h = clocked(toyObject(), { a: ["k", "x"] });
    await h.reconciler.reconcile(request());
    h.remotes.get("a")?.items.add("y");
    h.at(9_000);
    expect(await h.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 10_000 });
    h.at(10_000);
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual([]);
    expect(h.api.status.pendingPlan).toMatchObject({
      hash: "a:x,y",
      firstObservedAt: "2026-11-23T10:00:09.000Z",
    });
    h.at(19_000);
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual(["act a x,y"]);
  });

  it("a failed observation inside the window restarts the clock (it can only delay a plan)", async () => {
    let fail = false;
    const h = clocked(
      toyObject(),
      { a: ["k", "x"] },
      {
        async observe(remote) {
          if (fail) throw new ServerError("down", { provider: "dcs", operation: "GET /x", status: 503 });
          return { items: [...remote.items] };
        },
      },
    );
    await h.reconciler.reconcile(request());
    fail = true;
    h.at(5_000);
    await h.reconciler.reconcile(request()).catch(() => undefined);
    fail = false;
    h.at(10_000);
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual([]);
    expect(h.api.status.pendingPlan).toMatchObject({ firstObservedAt: "2026-11-23T10:00:10.000Z" });
  });

  it("a settled plan the budget holds keeps its clock: it runs when the window frees, not a settle time later", async () => {
    let freesAt: number | undefined = T0 + 25_000;
    const budgets: DisruptionBudgets = {
      admit: (_request, now) =>
        freesAt !== undefined && now.getTime() < freesAt
          ? {
              ok: false,
              budget: "fleet",
              reason: Reason.BudgetExhausted,
              message: "FleetDisruptionBudget fleet is spent",
              freesAt: new Date(freesAt),
            }
          : { ok: true },
      limits: () => true,
      exclusive: (decide) => decide(),
      written: () => undefined,
    };
    const h = clocked(toyObject(), { a: ["k", "x"] }, { countsDisruptions: true }, budgets);
    await h.reconciler.reconcile(request());
    h.at(10_000);
    // Settled, but over budget: it waits for the window, and the clock of the settled plan stays.
    expect(await h.reconciler.reconcile(request())).toEqual({ requeueAfterMs: 15_000 });
    expect(h.calls).toContain("status Reconciling/BudgetExhausted");
    expect(h.api.status.pendingPlan).toMatchObject({
      hash: "a:x",
      firstObservedAt: "2026-11-23T10:00:00.000Z",
    });
    h.at(25_000);
    freesAt = undefined;
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual(["act a x"]);
  });

  it("settleTime 0: acts on the first observation and keeps no clock, as before the gate", async () => {
    const h = clocked(toyObject(), { a: ["k", "x"] }, { settleMs: 0 });
    await h.reconciler.reconcile(request());
    expect(acts(h.calls)).toEqual(["act a x"]);
    expect(h.api.status.pendingPlan).toBeUndefined();
  });

  it("assess (what plan runs) shows the held removal and writes nothing", async () => {
    const h = clocked(toyObject(), { a: ["k", "x"] });
    const { step } = await h.reconciler.assess(h.api.stored);
    expect(step).toMatchObject({
      kind: "Wait",
      reason: "PlanSettling",
      settling: { held: { kind: "Remove" } },
    });
    expect(step.message).toContain("runs after settle time 10s");
    expect(h.api.written).toEqual([]);
  });
});

describe("SetReconciler with the tenant kind against the obshell simulator", () => {
  let sims: ObshellSimulator[] = [];
  let gates: ObshellGate[] = [];
  let pools: ConnectionClients<ObshellClient>[] = [];

  async function obshell(): Promise<{ sim: ObshellSimulator; gate: ObshellGate }> {
    const sim = new ObshellSimulator({ password: PASSWORD, stageMs: 5, keyBits: 512 });
    await sim.start();
    const gate = new ObshellGate(sim.url);
    await gate.start();
    sims.push(sim);
    gates.push(gate);
    return { sim, gate };
  }

  afterEach(async () => {
    for (const pool of pools) await pool.closeAll();
    for (const gate of gates) await gate.stop();
    for (const sim of sims) await sim.stop();
    sims = [];
    gates = [];
    pools = [];
  });

  it("a DELETE aborted mid-flight (leadership lost, SIGTERM) is an unknown outcome: the intent stays, then the DAG is looked up first", async () => {
    const { sim, gate } = await obshell();
    const h = tenantHarness(tenantManifest({ endpoint: gate.url, zones: ["z1", "z2"] }));
    pools.push(h.pool);
    const controller = new AbortController();
    gate.mode = "hang";
    gate.onDelete = () => controller.abort(new Error("leadership lost"));

    await h.reconciler.reconcile(request(controller.signal, "prod/orders"));
    // The held DELETE's connection is closed by the client: the abort reached the remote call.
    await until(() => gate.deletes[0]?.closedByClient === true);
    expect(gate.deletes).toHaveLength(1);
    expect(deletesIn(sim)).toHaveLength(0);
    expect(h.api.status).toMatchObject({
      phase: "Reconciling",
      operation: { kind: "RemoveZones", zones: ["z3"], endpoint: gate.url, tenant: "orders" },
    });
    expect(h.api.status.operation).not.toHaveProperty("dagId");
    expect(h.calls.at(-1)).toBe("status Reconciling/DeleteOutcomeUnknown");

    // Next reconcile: no DAG of the interrupted removal exists, so the intent is resolved, then sent once.
    gate.mode = "forward";
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(h.calls).toContain("status Reconciling/IntentResolved");
    expect(deletesIn(sim)).toHaveLength(1);
    expect(h.api.status).toMatchObject({ operation: { zones: ["z3"], dagId: expect.any(String) } });
  });

  it("with another set naming the tenant, the cluster is recorded first and acted on in the next round (issue 26)", async () => {
    const { sim } = await obshell();
    const h = tenantHarness(tenantManifest({ endpoint: sim.url, zones: ["z1", "z2"] }), true);
    pools.push(h.pool);
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(h.calls.slice(-2)).toEqual([
      "status Reconciling/RemoteIdentified",
      "event Normal/RemoteIdentified",
    ]);
    expect(h.api.status).toMatchObject({
      remote: { identity: `obshell|obcluster#${sim.clusterIdentity.id}`, endpoint: sim.url },
    });
    expect(deletesIn(sim)).toHaveLength(0);
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(deletesIn(sim)).toHaveLength(1);
    expect(h.api.status).toMatchObject({
      operation: { remote: `obshell|obcluster#${sim.clusterIdentity.id}` },
    });
  });

  it("the credential asked about once the cluster is recorded is prepared by the reconcile that learns it (issue 29)", async () => {
    // Deriving a credential's id takes about 100 ms (scrypt): the first change after a set learned its
    // cluster must not wait for it.
    class Recording extends MemoryCredentialHealth {
      readonly prepared: string[] = [];
      readonly asked: string[] = [];
      async prepare(credential: string): Promise<void> {
        this.prepared.push(credential);
      }
      override mayAttempt(credential: string, now: Date, lockScope?: string) {
        this.asked.push(credential);
        return super.mayAttempt(credential, now, lockScope);
      }
    }
    const { sim } = await obshell();
    const health = new Recording();
    const h = tenantHarness(tenantManifest({ endpoint: sim.url, zones: ["z1", "z2"] }), true, health);
    pools.push(h.pool);
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(h.calls.at(-2)).toBe("status Reconciling/RemoteIdentified");
    const preparedFirst = [...health.prepared];
    const askedFirst = [...health.asked];
    health.asked.length = 0;
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(deletesIn(sim)).toHaveLength(1);
    // The second reconcile keys health on the cluster, not the URL the first one keyed it on ...
    expect(health.asked.length).toBeGreaterThan(0);
    for (const credential of health.asked) expect(askedFirst).not.toContain(credential);
    // ... and that credential was prepared by the first.
    for (const credential of health.asked) expect(preparedFirst).toContain(credential);
  });

  it("the agent reports another cluster just before the DELETE: nothing is sent, RemoteIdentityChanged, decided again", async () => {
    const { sim } = await obshell();
    const h = tenantHarness(tenantManifest({ endpoint: sim.url, zones: ["z1", "z2"] }), true);
    pools.push(h.pool);
    const key = "prod/orders";
    // A namesake makes the first round record the cluster; the answer is cached with the client.
    await h.reconciler.reconcile(request(new AbortController().signal, key));
    const planned = `obshell|obcluster#${sim.clusterIdentity.id}`;
    expect(h.api.status).toMatchObject({ remote: { identity: planned } });
    // Another cluster now answers behind the same URL: the plan is made from the cached answer, and the
    // agent asked again just before the DELETE says otherwise.
    sim.clusterIdentity.id += 1;
    const moved = `obshell|obcluster#${sim.clusterIdentity.id}`;
    await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(h.calls.at(-1)).toBe("status Reconciling/RemoteIdentityChanged");
    expect(deletesIn(sim)).toHaveLength(0);
    expect(h.api.status.operation).toBeUndefined();

    // Decided again on the cluster the agent now reports: recorded first (a namesake), then acted on there.
    for (let round = 0; round < 3 && deletesIn(sim).length === 0; round++)
      await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(deletesIn(sim)).toHaveLength(1);
    expect(h.api.status).toMatchObject({ remote: { identity: moved }, operation: { remote: moved } });
    // The changed answer came through the same endpoint: a person is told.
    expect(h.calls).toContain("event Warning/RemoteIdentityChanged");
  });

  it("the agent reports another cluster just before an add's POST: nothing is sent, RemoteIdentityChanged, decided again", async () => {
    const sim = new ObshellSimulator({
      password: PASSWORD,
      stageMs: 5,
      keyBits: 512,
      seed: {
        zones: ["z1", "z2", "z3", "z4"].map((name) => ({ name, region: "hangzhou" })),
        tenants: [{ name: "orders", zones: ["z1", "z2", "z3"] }],
      },
    });
    await sim.start();
    sims.push(sim);
    const adds = () =>
      sim.log.filter((r) => r.method === "POST" && r.path === "/api/v1/tenant/orders/replicas");
    const h = tenantHarness(
      tenantManifest({
        endpoint: sim.url,
        zones: ["z1", "z2", "z3", "z4"],
        replicaTemplate: { unitConfigName: "orders_unit" },
      }),
      true,
    );
    pools.push(h.pool);
    const key = "prod/orders";
    await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(h.api.status).toMatchObject({
      remote: { identity: `obshell|obcluster#${sim.clusterIdentity.id}` },
    });
    sim.clusterIdentity.id += 1;
    const moved = `obshell|obcluster#${sim.clusterIdentity.id}`;
    await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(h.calls.at(-1)).toBe("status Reconciling/RemoteIdentityChanged");
    expect(messageOf(h.api.status, "Reconciling")).toContain("when the addition of z4 was planned");
    expect(adds()).toHaveLength(0);
    expect(h.api.status.operation).toBeUndefined();

    for (let round = 0; round < 3 && adds().length === 0; round++)
      await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(adds()).toHaveLength(1);
    expect(h.api.status).toMatchObject({
      remote: { identity: moved },
      operation: { kind: "AddZones", remote: moved },
    });
    // The add in flight is followed only on the cluster it started on.
    sim.clusterIdentity.id += 1;
    await h.reconciler.reconcile(request(new AbortController().signal, key));
    expect(h.calls.at(-2)).toBe("status Stalled/OperationTargetMoved");
    expect(messageOf(h.api.status, "Stalled")).toContain("the addition of z4 started on");
    expect(adds()).toHaveLength(1);
  });

  it.each([
    { operator: "RETRY", policy: "Retry" },
    { operator: "ROLLBACK", policy: "Rollback" },
  ])(
    "the agent reports another cluster just before a $operator: nothing is sent, and the DAG is not followed there",
    async ({ operator, policy }) => {
      const { sim } = await obshell();
      sim.cluster.failNextDag.set("orders", 1);
      const h = tenantHarness(
        tenantManifest({ endpoint: sim.url, zones: ["z1", "z2"], policy: { onDagFailure: policy } }),
      );
      pools.push(h.pool);
      const key = "prod/orders";
      await h.reconciler.reconcile(request(new AbortController().signal, key));
      expect(deletesIn(sim)).toHaveLength(1);
      await until(() => sim.cluster.dags.at(-1)?.state === "FAILED");
      // The round's first look at the agent still names the operation's cluster; the next request (the
      // observation) is answered by another one, so the RETRY decided from it is checked just before.
      let changed = false;
      const moveAfterFirstRead = (e: LoggedRequest) => {
        if (changed || e.path === "/api/v1/ob/info" || e.path === "/api/v1/secret") return;
        changed = true;
        sim.clusterIdentity = { ...sim.clusterIdentity, id: sim.clusterIdentity.id + 1 };
      };
      sim.http.onComplete.add(moveAfterFirstRead);
      await h.reconciler.reconcile(request(new AbortController().signal, key));
      expect(changed).toBe(true);
      expect(h.calls.at(-1)).toBe("status Reconciling/RemoteIdentityChanged");
      const dagId = String((h.api.status.operation as { dagId?: string } | undefined)?.dagId);
      expect(messageOf(h.api.status, "Reconciling")).toContain(
        `when the ${operator} of DAG ${dagId} was planned`,
      );
      const operated = () =>
        sim.log.filter((r) => r.method === "POST" && r.path.startsWith("/api/v1/task/dag/"));
      expect(operated()).toHaveLength(0);
      // Followed only on the cluster it started on: the next round stalls, still sending nothing.
      await h.reconciler.reconcile(request(new AbortController().signal, key));
      expect(h.calls).toContain("status Stalled/OperationTargetMoved");
      expect(messageOf(h.api.status, "Stalled")).toContain("the removal of z3 started on");
      expect(operated()).toHaveLength(0);
      expect(deletesIn(sim)).toHaveLength(1);
    },
  );

  it("obshell answers 204 to the DELETE: nothing to remove, the operation is dropped", async () => {
    const { gate } = await obshell();
    const h = tenantHarness(tenantManifest({ endpoint: gate.url, zones: ["z1", "z2"] }));
    pools.push(h.pool);
    gate.mode = "nothing-to-remove";
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(gate.deletes).toHaveLength(1);
    // Alone with its tenant, the set acts in the round it learns its cluster (recorded with the intent).
    expect(h.calls.filter((c) => c.startsWith("status ")).slice(-2)).toEqual([
      "status Reconciling/RemovingZones",
      "status Reconciling/NothingToRemove",
    ]);
    expect(h.api.status.operation).toBeUndefined();
  });

  it.each([
    {
      reason:
        "tenant under maintenance: refused before anything started, the intent is dropped, retried soon",
      reply: { status: 500, errCode: "OB.Tenant.UnderMaintenance" },
      want: { last: "status Reconciling/TenantBusy", operationKept: false, requeueAfterMs: 50 },
    },
    {
      reason: "a bad request: refused, the intent is dropped, a person is needed",
      reply: { status: 400, errCode: "Request.Param.Invalid" },
      want: { last: "status Stalled/RemoteRefused", operationKept: false, requeueAfterMs: "poll" as const },
    },
    {
      reason: "a 5xx: the DELETE may have taken effect, the intent stays",
      reply: { status: 500, errCode: "Common.Unexpected" },
      want: { last: "status Reconciling/DeleteOutcomeUnknown", operationKept: true, requeueAfterMs: 50 },
    },
    {
      reason: "the password refused on the DELETE: Stall AuthenticationFailed, the intent stays",
      reply: { status: 401, errCode: "Security.Authentication.IncorrectOceanbasePassword" },
      want: { last: "status Stalled/AuthenticationFailed", operationKept: true, requeueAfterMs: 300_000 },
    },
  ])("the DELETE answered with an error: $reason", async ({ reply, want }) => {
    const { sim, gate } = await obshell();
    const h = tenantHarness(tenantManifest({ endpoint: gate.url, zones: ["z1", "z2"] }));
    pools.push(h.pool);
    gate.mode = reply;
    const run = await timed(() =>
      h.reconciler.reconcile(request(new AbortController().signal, "prod/orders")),
    );
    expect(gate.deletes).toHaveLength(1);
    expect(deletesIn(sim)).toHaveLength(0);
    expect(h.calls.filter((c) => c.startsWith("status ")).at(-1)).toBe(want.last);
    expect(h.api.status.operation !== undefined).toBe(want.operationKept);
    // A step with no wait of its own polls at the set's point in its 30 s interval.
    if (want.requeueAfterMs === "poll") expectPoll("prod/orders", 30_000, run);
    else expect(run.result.requeueAfterMs).toBe(want.requeueAfterMs);
  });

  it.each([
    {
      policy: "Retry",
      operator: "RETRY",
      end: { phase: "Ready", reason: "Converged" },
      seen: ["status Reconciling/DagRetried", "status Reconciling/DagSucceeded"],
    },
    {
      policy: "Rollback",
      operator: "ROLLBACK",
      end: { phase: "Stalled", reason: "DagRolledBack" },
      seen: ["status Reconciling/DagRollingBack", "event Warning/DagRolledBack"],
    },
  ])("a DAG that fails under policy $policy gets one $operator and ends $end.reason", async (c) => {
    const { sim, gate } = await obshell();
    sim.cluster.failNextDag.set("orders", 1);
    const h = tenantHarness(
      tenantManifest({ endpoint: gate.url, zones: ["z1", "z2"], policy: { onDagFailure: c.policy } }),
    );
    pools.push(h.pool);
    const reason = () => {
      const conditions = (h.api.status.conditions ?? []) as { type: string; reason: string }[];
      return conditions.find((x) => x.type === "Ready")?.reason;
    };
    const deadline = Date.now() + 10_000;
    while (!(h.api.status.phase === c.end.phase && reason() === c.end.reason)) {
      if (Date.now() > deadline) throw new Error(`still ${String(h.api.status.phase)}/${reason()}`);
      await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
      await new Promise((r) => setTimeout(r, 5));
    }
    const operated = sim.log.filter((r) => r.method === "POST" && r.path.startsWith("/api/v1/task/dag/"));
    expect(operated.map((r) => r.body)).toEqual([{ operator: c.operator }]);
    expect(deletesIn(sim)).toHaveLength(1);
    for (const entry of c.seen) expect(h.calls).toContain(entry);
    // The operation learnt its DAG from the DELETE's reply, so the DAG was followed, never looked for.
    expect(h.calls).not.toContain("status Reconciling/DagFound");
  });

  it("an operation that ended on the old endpoint does not carry the next DELETE there", async () => {
    const old = await obshell();
    const fresh = await obshell();
    // A finished removal on the old endpoint, recorded as the set's operation.
    const client = new ObshellClient({ endpoint: old.sim.url, password: () => PASSWORD, timeoutMs: 2000 });
    const started = new Date().toISOString();
    const result = await client.deleteReplicas("orders", ["z3"]);
    if (result.kind !== "dag") throw new Error("expected a DAG");
    const deadline = Date.now() + 5000;
    while ((await client.getDag(result.dag.id)).state !== "SUCCEED") {
      if (Date.now() > deadline) throw new Error("the DAG did not finish");
      await new Promise((r) => setImmediate(r));
    }
    await client.close();
    const h = tenantHarness(
      tenantManifest({
        endpoint: fresh.gate.url,
        zones: ["z1", "z2"],
        status: {
          operation: operation({ endpoint: old.gate.url, dagId: result.dag.id, startedAt: started }),
        },
      }),
    );
    pools.push(h.pool);
    await h.reconciler.reconcile(request(new AbortController().signal, "prod/orders"));
    expect(h.calls).toContain("status Reconciling/DagSucceeded");
    expect(deletesIn(old.sim)).toHaveLength(1); // only the setup's
    expect(deletesIn(fresh.sim)).toHaveLength(1);
    expect(h.api.status).toMatchObject({ operation: { endpoint: fresh.gate.url, zones: ["z3"] } });
  });
});

// The listing a reconcile observes is taken before its batch is sent. A reply slower than a lost one is
// given up for (PENDING_RESOLVE_MS) must be settled by itself, and a lost one by a listing taken after the
// call: judged by the older listing, a refusal would lose its code and an unknown outcome be counted a
// failure, and either batch be sent again after its backoff.
describe("SetReconciler: a DCS batch answering after PENDING_RESOLVE_MS", () => {
  const T0 = Date.parse("2026-12-04T10:00:00Z");
  const deletesOf = (sim: DcsSimulator) => sim.log.filter((r) => r.method === "DELETE");

  /** One reconcile whose clock passes PENDING_RESOLVE_MS while its DELETE is in flight, then a second. */
  async function slowBatch(
    fault: FaultRule,
    check: (api: FakeApi, again: () => Promise<void>) => Promise<void>,
  ) {
    const sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: { p1: ["cache-1", "cache-2"].map((name) => ({ name, id: `id-${name}` })) },
      deleteDelayMs: 60_000,
    });
    const url = await sim.start();
    const pool = new ConnectionClients<DcsClient>();
    try {
      sim.addFault(fault);
      const kind = redisKind({
        resolve: inlineResolver({ accessKey: "AK", secretKey: "SK" }),
        endpointPolicy: loopbackPolicy,
        pool,
        listings: new SharedListings(),
      });
      const api = new FakeApi(redisManifest({ endpoint: url, projectId: "p1", instances: ["cache-1"] }), []);
      const reconciler = new SetReconciler(kind, {
        cache: { get: () => api.stored },
        status: api.writer(),
        events: eventLog([]),
        credentials: new MemoryCredentialHealth(),
        // The operator's clock jumps once the DELETE has reached DCS: its reply is recorded late.
        now: () => new Date(T0 + (deletesOf(sim).length > 0 ? PENDING_RESOLVE_MS + 60_000 : 0)),
      });
      const again = async () => {
        await reconciler.reconcile(request(new AbortController().signal, "prod/cache"));
      };
      await again();
      expect(deletesOf(sim)).toHaveLength(1);
      await check(api, again);
      expect(deletesOf(sim)).toHaveLength(1);
    } finally {
      await pool.closeAll();
      await sim.stop();
    }
  }

  it("a refusal with a person's code (DCS.4107) keeps its code, and the batch is not sent again", async () => {
    await slowBatch(
      { method: "DELETE", kind: "status", status: 400, code: "DCS.4107" },
      async (api, again) => {
        expect(api.status.deletions).toEqual([
          expect.objectContaining({ id: "id-cache-2", result: "failed", lastErrorCode: "DCS.4107" }),
        ]);
        await again();
        expect(api.status.phase).toBe("Stalled");
        expect(messageOf(api.status, "Stalled")).toMatch(/refused with DCS\.4107/);
      },
    );
  });

  it("a batch refused as unauthenticated (401): the record stays pending, for a listing taken after the call", async () => {
    await slowBatch({ method: "DELETE", kind: "status", status: 401 }, async (api, again) => {
      expect(api.status.phase).toBe("Stalled");
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "pending" }),
      ]);
      // The credential is marked failed: the next reconcile waits for it and observes nothing.
      await again();
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "pending" }),
      ]);
    });
  });

  it("a lost reply stays pending after the call; the next listing, taken after it, settles it", async () => {
    await slowBatch({ method: "DELETE", kind: "reset", phase: "after" }, async (api, again) => {
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "pending" }),
      ]);
      await again();
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "success" }),
      ]);
    });
  });
});

describe("SetReconciler with the redis kind against the DCS simulator", () => {
  it("re-reads each victim before the batch delete: an instance changed since the shared listing is not deleted", async () => {
    const sim = new DcsSimulator({
      credentials: [{ accessKey: "AK", secretKey: "SK" }],
      projects: {
        p1: ["cache-1", "cache-2", "cache-3", "cache-4"].map((name) => ({ name, id: `id-${name}` })),
      },
      deleteDelayMs: 60_000,
    });
    const url = await sim.start();
    const pool = new ConnectionClients<DcsClient>();
    const listings = new SharedListings();
    try {
      const kind = redisKind({
        resolve: inlineResolver({ accessKey: "AK", secretKey: "SK" }),
        endpointPolicy: loopbackPolicy,
        pool,
        listings,
      });
      const manifest = redisManifest({
        endpoint: url,
        projectId: "p1",
        instances: ["cache-1"],
        policy: { approvalThreshold: 10 },
      });
      const calls: Calls = [];
      const api = new FakeApi(manifest, calls);
      const reconciler = new SetReconciler(kind, {
        cache: { get: () => api.stored },
        status: api.writer(),
        events: eventLog(calls),
        credentials: new MemoryCredentialHealth(),
      });
      // The listing every set shares is read now; then, before the reconcile, one instance leaves the
      // scope (renamed) and one is taken into deletion by someone else.
      const connection = await kind.connect(
        redisSet({ endpoint: url, projectId: "p1" }),
        identity({ name: "cache" }),
      );
      if (!connection.ok) throw new Error(connection.step.message);
      await listings.get(connection.client, 30_000);
      const project = sim.projects.get("p1");
      const renamed = project?.get("id-cache-3");
      const taken = project?.get("id-cache-4");
      if (!renamed || !taken) throw new Error("seed");
      renamed.name = "kept-3";
      taken.status = "DELETING";

      await reconciler.reconcile(request(new AbortController().signal, "prod/cache"));
      const deletes = sim.log.filter((r) => r.method === "DELETE");
      expect(deletes).toHaveLength(1);
      expect(JSON.stringify(deletes[0]?.body)).toContain("id-cache-2");
      expect(JSON.stringify(deletes[0]?.body)).not.toMatch(/id-cache-[134]/);
      expect(sim.instances("p1").find((i) => i.instance_id === "id-cache-3")?.status).toBe("RUNNING");
      expect(api.status.deletions).toEqual([
        expect.objectContaining({ id: "id-cache-2", result: "success", attempts: 1 }),
      ]);
    } finally {
      await pool.closeAll();
      await sim.stop();
    }
  });
});
