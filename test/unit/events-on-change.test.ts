// Events and logs on change only (issue 21 item 4): a state raises its events once, when it differs from
// the stored one, so a standing warning never uses up the budget a new Stalled reason needs.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { conditions, objectMeta } from "../../src/api/common.js";
import { type Reason, Reason as Reasons } from "../../src/api/reasons.js";
import {
  type EventNote,
  isTransition,
  type ReportedState,
  SpamFilter,
  StandingEvents,
  spamKey,
} from "../../src/controller/events.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { createLogger } from "../../src/observability/logger.js";
import type { SetKind } from "../../src/reconcilers/engine/kind.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import type { CommonStep, StepEvent } from "../../src/reconcilers/engine/step.js";
import { REDIS_INSTANCE_SET } from "../../src/reconcilers/redis/module.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";

describe("whether a save raises its events", () => {
  const cases: {
    reason: string;
    before: ReportedState | undefined;
    after: ReportedState;
    raises: boolean;
  }[] = [
    {
      reason: "a first status (nothing stored) is a change",
      before: undefined,
      after: { phase: "Stalled", reason: "CredentialsMissing" },
      raises: true,
    },
    {
      reason: "a status without conditions yet is a change",
      before: { phase: undefined, reason: undefined },
      after: { phase: "Ready", reason: "Converged" },
      raises: true,
    },
    {
      reason: "the same Stalled reason again raises nothing",
      before: { phase: "Stalled", reason: "DesiredZoneMissing" },
      after: { phase: "Stalled", reason: "DesiredZoneMissing" },
      raises: false,
    },
    {
      reason: "a steady AwaitApproval raises nothing",
      before: { phase: "Stalled", reason: "ApprovalRequired" },
      after: { phase: "Stalled", reason: "ApprovalRequired" },
      raises: false,
    },
    {
      reason: "a new Stalled reason raises its Warning",
      before: { phase: "Stalled", reason: "AuthenticationFailed" },
      after: { phase: "Stalled", reason: "DesiredZoneMissing" },
      raises: true,
    },
    {
      reason: "entering Stalled from Ready raises",
      before: { phase: "Ready", reason: "Converged" },
      after: { phase: "Stalled", reason: "PaxosMajority" },
      raises: true,
    },
    {
      reason: "the same reason under another phase (the step changed) raises",
      before: { phase: "Reconciling", reason: "DeletionFailed" },
      after: { phase: "Stalled", reason: "DeletionFailed" },
      raises: true,
    },
    {
      reason: "back to a reason seen before is a change again",
      before: { phase: "Ready", reason: "Converged" },
      after: { phase: "Stalled", reason: "AuthenticationFailed" },
      raises: true,
    },
  ];
  for (const c of cases) it(c.reason, () => expect(isTransition(c.before, c.after)).toBe(c.raises));
});

describe("standing warnings", () => {
  const insecure: EventNote = { type: "Warning", reason: "InsecureConnection", message: "plain HTTP" };
  const noVerify: EventNote = { type: "Warning", reason: "InsecureConnection", message: "no TLS verify" };
  const cases: { reason: string; passes: EventNote[][]; raised: number[] }[] = [
    {
      reason: "raised on the first pass only",
      passes: [[insecure], [insecure], [insecure]],
      raised: [1, 0, 0],
    },
    { reason: "a set without warnings raises nothing", passes: [[], []], raised: [0, 0] },
    {
      reason: "a warning that went away and came back is raised again",
      passes: [[insecure], [], [insecure]],
      raised: [1, 0, 1],
    },
    {
      reason: "a changed warning is raised, the unchanged one is not",
      passes: [[insecure], [insecure, noVerify], [noVerify]],
      raised: [1, 1, 0],
    },
  ];
  for (const c of cases)
    it(c.reason, () => {
      const standing = new StandingEvents();
      const set: KubeObject = { metadata: { name: "s", namespace: "n", uid: "u1" } };
      expect(c.passes.map((p) => standing.fresh(set, p).length)).toEqual(c.raised);
    });

  it("a fleet larger than client-go's 4096-entry caches: each set raises its warning once, not on every pass", () => {
    const standing = new StandingEvents();
    const sets = Array.from(
      { length: 5000 },
      (_, i): KubeObject => ({
        metadata: { name: `s${i}`, namespace: "n", uid: `u${i}` },
      }),
    );
    const pass = () => sets.reduce((raised, set) => raised + standing.fresh(set, [insecure]).length, 0);
    expect([pass(), pass(), pass()]).toEqual([5000, 0, 0]);
  });

  it("the same set after it was deleted and created again (a new uid) raises its warning again", () => {
    const standing = new StandingEvents();
    expect(standing.fresh({ metadata: { name: "a", namespace: "n", uid: "1" } }, [insecure])).toHaveLength(1);
    expect(standing.fresh({ metadata: { name: "a", namespace: "n", uid: "2" } }, [insecure])).toHaveLength(1);
  });

  it("is remembered per object", () => {
    const standing = new StandingEvents();
    expect(standing.fresh({ metadata: { name: "a", namespace: "n", uid: "1" } }, [insecure])).toHaveLength(1);
    expect(standing.fresh({ metadata: { name: "b", namespace: "n", uid: "2" } }, [insecure])).toHaveLength(1);
  });
});

describe("spam key", () => {
  const set: KubeObject = {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name: "s", namespace: "n", uid: "u1" },
  };
  it("gives Warnings and Normal events their own bucket, as client-go's getSpamKey", () => {
    let now = 0;
    const filter = new SpamFilter(() => now);
    for (let i = 0; i < 25; i++) expect(filter.tryAccept(spamKey("c", set, "Warning"))).toBe(true);
    expect(filter.tryAccept(spamKey("c", set, "Warning"))).toBe(false);
    expect(filter.tryAccept(spamKey("c", set, "Normal"))).toBe(true);
    now += 1;
    expect(spamKey("c", set, "Warning")).toBe(spamKey("c", { ...set }, "Warning"));
    expect(spamKey("c", set, "Warning")).not.toBe(
      spamKey("c", { ...set, metadata: { ...set.metadata, uid: "u2" } }, "Warning"),
    );
  });
});

// A kind whose step and connection warnings the test sets, run through the real SetReconciler and
// StatusWriter over the fake API server: what is raised and logged per reconcile.
const toyStatus = z.object({
  phase: z.string().optional(),
  observedGeneration: z.int().optional(),
  conditions: conditions.optional(),
});
const toySet = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMeta,
  spec: z.object({ paused: z.boolean().default(false), pollInterval: z.string().default("30s") }),
  status: toyStatus.optional(),
});
type ToySet = z.infer<typeof toySet>;
type ToyStatus = z.infer<typeof toyStatus>;

function story() {
  const calls: Calls = [];
  const api = new FakeApi(
    {
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "toy", namespace: "prod", uid: "u1", generation: 1, resourceVersion: "1" },
      spec: {},
    },
    calls,
  );
  const state: { step: CommonStep; warnings: StepEvent[] } = {
    step: { kind: "Ready", reason: Reasons.Converged, message: "as declared" },
    warnings: [],
  };
  const kind: SetKind<ToySet, ToyStatus, object, object, undefined, CommonStep> = {
    kind: "RedisInstanceSet",
    type: REDIS_INSTANCE_SET,
    operations: { started: () => undefined },
    disruptions: { of: () => undefined, refunded: () => 0 },
    schema: toySet,
    statusSchema: toyStatus,
    pollIntervalMs: () => 30_000,
    settleTimeMs: () => 0,
    connect: async () => ({ ok: true, client: {}, credential: "c", endpoint: "e", warnings: state.warnings }),
    observe: async () => ({}),
    fleet: () => undefined,
    decide: () => state.step,
    record: (status) => status,
    isBookkeeping: () => false,
    isAction: () => false,
    act: async () => state.step,
  };
  const events = eventLog(calls);
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger(
    { level: "debug" },
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const reconciler = new SetReconciler(kind, {
    cache: { get: () => api.stored },
    status: api.writer(),
    events,
    credentials: new MemoryCredentialHealth(),
  });
  const reconcile = async () => {
    events.events.length = 0;
    lines.length = 0;
    await reconciler.reconcile({ ...request(), log });
    return {
      events: events.events.map((e) => `${e.type}/${e.reason}`),
      levels: lines.filter((l) => l.msg === state.step.message).map((l) => l.level),
    };
  };
  return { state, reconcile };
}

const stall = (reason: Reason, message: string): CommonStep => ({ kind: "Stall", reason, message });
const insecureHttp: StepEvent = {
  type: "Warning",
  reason: Reasons.InsecureConnection,
  message: "DatabaseConnection prod/obshell allows plain HTTP",
};

describe("a set reconciled again and again", () => {
  it("raises a connection warning once in 30 reconciles, and a new Stalled reason still raises its Warning", async () => {
    const s = story();
    s.state.warnings = [insecureHttp];
    const raised: string[] = [];
    for (let i = 0; i < 30; i++) raised.push(...(await s.reconcile()).events);
    expect(raised).toEqual(["Warning/InsecureConnection"]);
    s.state.step = stall(Reasons.DesiredZoneMissing, "zone z9 holds no replica");
    expect((await s.reconcile()).events).toEqual(["Warning/DesiredZoneMissing"]);
  });

  it("logs a steady Stalled set at warn once, on entering, then at debug, and raises its Warning once", async () => {
    const s = story();
    s.state.step = stall(Reasons.PaxosMajority, "too few FULL replicas");
    const first = await s.reconcile();
    expect(first).toEqual({ events: ["Warning/PaxosMajority"], levels: ["warn"] });
    for (let i = 0; i < 5; i++) expect(await s.reconcile()).toEqual({ events: [], levels: ["debug"] });
  });

  it("logs a steady AwaitApproval at debug after the one warn that enters it", async () => {
    const s = story();
    s.state.step = {
      kind: "AwaitApproval",
      reason: Reasons.ApprovalRequired,
      message: "set dbfleet.io/approve-plan=abc to delete 3 instances",
      approval: { hash: "abc", summary: "3 instances", targets: ["a", "b", "c"] },
    };
    expect((await s.reconcile()).levels).toEqual(["warn"]);
    expect((await s.reconcile()).levels).toEqual(["debug"]);
    expect((await s.reconcile()).levels).toEqual(["debug"]);
  });

  it("raises a step's own event once while the step stays (a dry run)", async () => {
    const s = story();
    s.state.step = {
      kind: "DryRun",
      reason: Reasons.DryRun,
      message: "dry run: would delete a",
      targets: ["a"],
      event: { type: "Normal", reason: Reasons.DryRun, message: "dry run: would delete a" },
    };
    expect((await s.reconcile()).events).toEqual(["Normal/DryRun"]);
    expect((await s.reconcile()).events).toEqual([]);
  });

  it("raises the Warning again when a set leaves a Stalled reason and comes back to it", async () => {
    const s = story();
    const auth = stall(Reasons.AuthenticationFailed, "password refused");
    s.state.step = auth;
    expect((await s.reconcile()).events).toEqual(["Warning/AuthenticationFailed"]);
    s.state.step = { kind: "Ready", reason: Reasons.Converged, message: "as declared" };
    expect((await s.reconcile()).events).toEqual([]);
    s.state.step = auth;
    expect(await s.reconcile()).toEqual({ events: ["Warning/AuthenticationFailed"], levels: ["warn"] });
  });
});
