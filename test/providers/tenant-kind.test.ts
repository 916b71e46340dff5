// The TenantReplicaSet kind's remote half (reconcilers/tenant/kind.ts) against the obshell simulator over
// real HTTP, judged by what the simulator received: which connection an operation in flight is followed
// through, the cluster checks before a DELETE and while an operation runs, what each call's answer becomes
// (a DAG, nothing to remove, a refusal, an unknown outcome, a credential failure for the engine), the
// RETRY/ROLLBACK of a failed DAG, and how the metrics and budgets count each action. Wrong versions this is
// written against: an auth failure on an add taken as an unknown outcome (the intent kept, no credential
// alarm); an in-flight operation's cluster read from the cache; a READONLY replica sent as FULL; an
// operation that started inline followed with another Secret or key; a budget refund for a removal that
// ran; a deleted set whose client stays open.
import { afterEach, describe, expect, it } from "vitest";
import { tenantReplicaSetCrd } from "../../src/api/crd.js";
import { Reason } from "../../src/api/reasons.js";
import { tenantReplicaSet } from "../../src/api/tenant-replica-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { resolveConnection, type SetConnectionSpec } from "../../src/connections/resolve.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { AuthError, ServerError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import type { Connected, Remote } from "../../src/reconcilers/engine/kind.js";
import type { CommonStep } from "../../src/reconcilers/engine/step.js";
import { ClusterIdentities } from "../../src/reconcilers/remote-identity.js";
import type { TenantStep } from "../../src/reconcilers/tenant/decide.js";
import { TENANT_REPLICA_SET, tenantKind } from "../../src/reconcilers/tenant/kind.js";
import type { TenantObserved } from "../../src/reconcilers/tenant/observe.js";
import type { ReplicaToAdd } from "../../src/reconcilers/tenant/plan.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { addObshellConnection, lookups, refTenantManifest, type World, world } from "../unit/fleet-world.js";
import { identity, operation, tenantSet } from "../unit/sets.js";

const PASSWORD = "tenant-kind-Pw1";
const id = identity();
let sim: ObshellSimulator | undefined;
let pool: ConnectionClients<ObshellClient> | undefined;
const opened: ObshellClient[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
  await pool?.closeAll();
  await sim?.stop();
  pool = undefined;
  sim = undefined;
});

/** Secrets by "namespace/name", inline connections allowed (tests about inline connections). */
function resolver(secrets: Record<string, Record<string, string>>, w: World = world()) {
  return (set: SetConnectionSpec) =>
    resolveConnection(set, {
      ...lookups(w),
      allowInlineConnections: true,
      secrets: { get: (key) => (secrets[key] ? { stringData: secrets[key] } : undefined) },
    });
}

function kindWith(
  o: { secrets?: Record<string, Record<string, string>>; w?: World; clusters?: ClusterIdentities } = {},
) {
  pool = new ConnectionClients<ObshellClient>();
  return tenantKind({
    resolve: resolver(o.secrets ?? { "prod/obshell": { password: PASSWORD } }, o.w),
    endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
    pool,
    timing: { dagPollMs: 50, busyRetryMs: 700 },
    ...(o.clusters ? { clusters: o.clusters } : {}),
  });
}

/** A simulator with tenant t on z1..z3 (primary z1; z4 and z5 free) and wide on z1..z4, and a client to it. */
async function agent(password: () => string = () => PASSWORD) {
  const s = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    cluster: { name: "east", id: 7 },
    seed: {
      zones: ["z1", "z2", "z3", "z4", "z5"].map((name) => ({ name, region: "hz" })),
      tenants: [
        { name: "t", zones: ["z1", "z2", "z3"], primaryZone: "z1" },
        { name: "wide", zones: ["z1", "z2", "z3", "z4"], primaryZone: "z1" },
      ],
    },
  });
  sim = s;
  await s.start();
  const client = new ObshellClient({ endpoint: s.url, password });
  opened.push(client);
  return { sim: s, client };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const remove = (tenant: string, zones: string[]): Extract<TenantStep, { kind: "RemoveZones" }> => ({
  kind: "RemoveZones",
  reason: Reason.RemovingZones,
  message: "",
  target: { endpoint: sim?.url ?? "", tenant },
  zones,
});

const add = (tenant: string, replicas: ReplicaToAdd[]): Extract<TenantStep, { kind: "AddZones" }> => ({
  kind: "AddZones",
  reason: Reason.AddingZones,
  message: "",
  target: { endpoint: sim?.url ?? "", tenant },
  zones: replicas.map((r) => r.zone),
  replicas,
});

const replica = (zone: string, o: Partial<ReplicaToAdd> = {}): ReplicaToAdd => ({
  zone,
  unitConfigName: "t_unit",
  unitNum: 1,
  type: "FULL",
  ...o,
});

const act = (client: ObshellClient, step: TenantStep) =>
  kindWith().act(client, tenantSet({ tenant: "t" }), step, id, new Date()) as Promise<
    TenantStep | CommonStep
  >;

const sent = (s: ObshellSimulator, method: string, path: RegExp) =>
  s.log.filter((r) => r.method === method && path.test(r.path));

describe("the tenant kind is the CRD the operator installs", () => {
  it("its resource type is the CRD's group, plural, kind and scope", () => {
    const crd = tenantReplicaSetCrd();
    expect({
      group: TENANT_REPLICA_SET.group,
      plural: TENANT_REPLICA_SET.plural,
      kind: TENANT_REPLICA_SET.kind,
      scope: TENANT_REPLICA_SET.namespaced ? "Namespaced" : "Cluster",
    }).toEqual({
      group: crd.spec.group,
      plural: crd.spec.names.plural,
      kind: crd.spec.names.kind,
      scope: crd.spec.scope,
    });
    expect(crd.spec.versions.map((v) => v.name)).toContain(TENANT_REPLICA_SET.version);
  });
});

describe("how the engine, the metrics and the budgets read the tenant kind's steps", () => {
  const kind = kindWith();
  const step = (kind: string, extra: Record<string, unknown> = {}) =>
    ({ kind, reason: "R", message: "", ...extra }) as unknown as TenantStep;

  it.each([
    { kind: "RemoveZones", action: true, bookkeeping: false, metric: "remove_replicas" },
    { kind: "AddZones", action: true, bookkeeping: false, metric: "add_replicas" },
    { kind: "RetryDag", action: true, bookkeeping: false, metric: "retry_dag" },
    { kind: "RollbackDag", action: true, bookkeeping: false, metric: "rollback_dag" },
    { kind: "AdoptDag", action: false, bookkeeping: true, metric: undefined },
    { kind: "EndOperation", action: false, bookkeeping: true, metric: undefined },
    { kind: "DagStarted", action: false, bookkeeping: false, metric: undefined },
    { kind: "Wait", action: false, bookkeeping: false, metric: undefined },
  ])("$kind: an action $action, bookkeeping $bookkeeping, counted as $metric", (c) => {
    expect(kind.isAction(step(c.kind))).toBe(c.action);
    expect(kind.isBookkeeping(step(c.kind))).toBe(c.bookkeeping);
    expect(kind.operations.started(step(c.kind))).toBe(c.metric);
  });

  const inFlight = (kind: "RemoveZones" | "AddZones") => ({ operation: operation({ kind, zones: ["z4"] }) });
  it.each([
    {
      reason: Reason.DagSucceeded,
      previous: inFlight("RemoveZones"),
      ended: ["remove_replicas", "succeeded"],
    },
    { reason: Reason.DagSucceeded, previous: inFlight("AddZones"), ended: ["add_replicas", "succeeded"] },
    { reason: Reason.DagFailed, previous: inFlight("AddZones"), ended: ["add_replicas", "failed"] },
    { reason: Reason.DagRolledBack, previous: inFlight("RemoveZones"), ended: ["remove_replicas", "failed"] },
    { reason: Reason.DagOperationRefused, previous: inFlight("AddZones"), ended: ["add_replicas", "failed"] },
    { reason: Reason.DagCancelled, previous: inFlight("RemoveZones"), ended: ["remove_replicas", "failed"] },
    // A status not read (none, or not a tenant set's): the removal, the kind's older operation.
    { reason: Reason.DagSucceeded, previous: undefined, ended: ["remove_replicas", "succeeded"] },
    { reason: Reason.DagFailed, previous: { operation: 3 }, ended: ["remove_replicas", "failed"] },
    { reason: Reason.DagRunning, previous: inFlight("AddZones"), ended: undefined },
    { reason: Reason.NothingToRemove, previous: inFlight("RemoveZones"), ended: undefined },
  ])("a set taking $reason ends the operation as $ended", ({ reason, previous, ended }) => {
    const got = kind.operations.endedBy?.(reason, previous);
    expect(got ? [got.operation, got.outcome] : undefined).toEqual(ended);
  });

  const removal = step("RemoveZones", { zones: ["z2", "z3"] });
  it.each([
    { what: "refused before any DAG", result: step("DeleteRefused"), refunded: 2 },
    {
      what: "nothing to remove",
      result: step("EndOperation", { reason: Reason.NothingToRemove }),
      refunded: 2,
    },
    { what: "ended otherwise", result: step("EndOperation", { reason: Reason.DagSucceeded }), refunded: 0 },
    { what: "a DAG started", result: step("DagStarted"), refunded: 0 },
    { what: "an unknown outcome", result: step("OutcomeUnknown"), refunded: 0 },
  ])("a removal of 2 zones $what: $refunded given back to the budget", ({ result, refunded }) => {
    expect(kind.disruptions.of(removal)).toEqual({ unit: "zones", count: 2 });
    expect(kind.disruptions.refunded(removal, result)).toBe(refunded);
  });

  it("an add or a RETRY uses no budget and gets none back", () => {
    const adding = step("AddZones", { zones: ["z4"] });
    expect(kind.disruptions.of(adding)).toBeUndefined();
    expect(kind.disruptions.of(step("RetryDag"))).toBeUndefined();
    expect(kind.disruptions.refunded(adding, step("AddRefused"))).toBe(0);
  });

  it("without a fleet index: no namesake to record for, no peers", () => {
    const set = tenantSet();
    expect(kind.recordBeforeActing?.(set, id)).toBe(false);
    expect(kind.fleet(set, id, { endpoint: "x", identity: "obshell|x#1" })).toEqual({
      peers: [],
      unidentified: [],
    });
  });
});

describe("what a reconcile reads: a poll of a converged set asks for the tenant alone", () => {
  const UNFINISHED = /^\/api\/v1\/task\/dag\/(ob\/)?unfinish$/;
  const TENANT = /^\/api\/v1\/tenant\/t$/;
  /** The status a reconcile writes on finding the tenant converged, for `generation`. */
  const convergedAt = (generation: number, o: { reason?: string; conditionGeneration?: number } = {}) => ({
    phase: "Ready",
    observedGeneration: generation,
    conditions: [
      {
        type: "Ready" as const,
        status: "True" as const,
        reason: o.reason ?? Reason.Converged,
        message: "",
        lastTransitionTime: "2026-12-05T10:00:00Z",
        observedGeneration: o.conditionGeneration ?? generation,
      },
    ],
  });
  const observe = (client: ObshellClient, set: ReturnType<typeof tenantSet>) =>
    kindWith().observe(client, set, id, new Date());
  /** What decide is given for `set` and `observed`, the fleet empty. */
  const decideInput = (set: ReturnType<typeof tenantSet>, observed: TenantObserved) => ({
    set,
    status: set.status,
    observed,
    fleet: { peers: [] },
    remote: { endpoint: sim?.url ?? "", identity: "obshell|east#7" },
    id,
    now: new Date(),
  });
  /** Which of the two reads each request of `s` was, in the order they arrived. */
  const reads = (s: ObshellSimulator) =>
    s.log.flatMap((e) => (TENANT.test(e.path) ? ["tenant"] : UNFINISHED.test(e.path) ? ["unfinished"] : []));

  it.each([
    { what: "never reconciled", status: undefined, generation: 2 },
    { what: "a new spec (generation 3) since it was found converged", status: convergedAt(2), generation: 3 },
    {
      what: "its last outcome another reason",
      status: convergedAt(2, { reason: Reason.TenantBusy }),
      generation: 2,
    },
    {
      what: "a Ready condition left from an older generation",
      status: convergedAt(2, { conditionGeneration: 1 }),
      generation: 2,
    },
  ])("$what: the tenant and its unfinished DAGs, asked at once", async ({ status, generation }) => {
    const { sim: s, client } = await agent();
    const set = tenantSet({
      tenant: "t",
      zones: ["z1", "z2", "z3"],
      generation,
      ...(status ? { status } : {}),
    });
    const seen = await observe(client, set);
    expect(seen).toMatchObject({ kind: "tenant", unfinished: [] });
    expect(reads(s).sort()).toEqual(["tenant", "unfinished"]);
  });

  it("found converged at this generation and still converged: the tenant alone; the DAGs left unread", async () => {
    const { sim: s, client } = await agent();
    s.cluster.holdDags.add("t");
    // A person's DAG runs on the tenant and has changed nothing yet: while the tenant is converged nothing decides on it.
    s.cluster.addReplicas("t", [{ name: "z4", unit_config_name: "t_unit", unit_num: 1 }]);
    const set = tenantSet({ tenant: "t", zones: ["z1", "z2", "z3"], status: convergedAt(2) });
    const seen = await observe(client, set);
    expect(seen).toMatchObject({ kind: "tenant", unfinished: undefined });
    expect(reads(s)).toEqual(["tenant"]);
    expect(kindWith().decide(decideInput(set, seen))).toMatchObject({ kind: "Ready", reason: "Converged" });
  });

  it("found converged, and the tenant has moved since: the tenant, then its unfinished DAGs, before any decision", async () => {
    const { sim: s, client } = await agent();
    s.cluster.holdDags.add("t");
    const human = s.cluster.addReplicas("t", [{ name: "z4", unit_config_name: "t_unit", unit_num: 1 }]);
    // The spec no longer keeps z3: a removal to plan, which must see the person's DAG first.
    const set = tenantSet({ tenant: "t", zones: ["z1", "z2"], status: convergedAt(2) });
    const seen = await observe(client, set);
    expect(reads(s)).toEqual(["tenant", "unfinished"]);
    const [tenantRead, dagRead] = s.log.filter((e) => TENANT.test(e.path) || UNFINISHED.test(e.path));
    expect(dagRead?.monotonicAt).toBeGreaterThanOrEqual(
      tenantRead?.monotonicRepliedAt ?? Number.POSITIVE_INFINITY,
    );
    expect(seen).toMatchObject({ kind: "tenant", unfinished: [{ id: `1${human.dagId}` }] });
    expect(kindWith().decide(decideInput(set, seen))).toMatchObject({
      kind: "Wait",
      reason: Reason.TenantBusy,
    });
  });
});

describe("the tenant kind's calls to obshell and what their answers become", () => {
  it("a DELETE that starts a DAG: the DAG, its stage, and an event naming the zones", async () => {
    const { client } = await agent();
    const step = await act(client, remove("wide", ["z2", "z3"]));
    if (step.kind !== "DagStarted") throw new Error(`got ${step.kind}: ${step.message}`);
    expect(step).toMatchObject({ reason: Reason.DagRunning, requeueAfterMs: 50 });
    expect(step.message).toBe(
      `DAG ${step.dag.id} removing z2, z3 from tenant wide: stage ${step.dag.stage}/${step.dag.max_stage}`,
    );
    expect(step.event).toEqual({
      type: "Normal",
      reason: Reason.DagStarted,
      message: `obshell DAG ${step.dag.id} removes z2, z3 from tenant wide`,
    });
  });

  it("a DELETE answered 204 (no listed zone holds a replica): the operation ends, naming tenant and zones", async () => {
    const { client } = await agent();
    expect(await act(client, remove("t", ["z4", "z5"]))).toEqual({
      kind: "EndOperation",
      reason: Reason.NothingToRemove,
      message: "obshell reports no replica of tenant t in z4, z5",
    });
  });

  it.each([
    { what: "DELETE", step: () => remove("t", ["z3"]), method: "DELETE" },
    { what: "POST (add)", step: () => add("t", [replica("z4")]), method: "POST" },
  ])(
    "a $what refused with 401: an AuthError for the engine (credential health), not a refusal or an unknown outcome",
    async ({ step, method }) => {
      const { sim: s, client } = await agent();
      s.addFault({ method, path: /\/replicas$/, kind: "status", status: 401 });
      await expect(act(client, step())).rejects.toBeInstanceOf(AuthError);
    },
  );

  it.each([
    {
      what: "DELETE",
      step: () => remove("t", ["z3"]),
      method: "DELETE",
      reason: Reason.DeleteOutcomeUnknown,
      tail: "; looking for the DAG before anything else",
    },
    {
      what: "POST (add)",
      step: () => add("t", [replica("z4")]),
      method: "POST",
      reason: Reason.AddOutcomeUnknown,
      tail: "; looking for the add's DAG before anything is sent again",
    },
  ])(
    "a $what the agent ran, answered 500: outcome unknown, the intent kept, the DAG looked up next",
    async ({ step, method, reason, tail }) => {
      const { sim: s, client } = await agent();
      s.addFault({ method, path: /\/replicas$/, kind: "status", status: 500, phase: "after" });
      const got = await act(client, step());
      expect(got).toMatchObject({ kind: "OutcomeUnknown", reason, requeueAfterMs: 50 });
      expect(got.message).toMatch(new RegExp(`^obshell ${method} /api/v1/tenant/t/replicas: 500 .*${tail}$`));
      // What makes it unknown: the agent did start the DAG.
      expect(s.cluster.dags).toHaveLength(1);
    },
  );

  it.each([
    { what: "DELETE", step: () => remove("t", ["z3"]), reason: Reason.DeleteOutcomeUnknown },
    { what: "POST (add)", step: () => add("t", [replica("z4")]), reason: Reason.AddOutcomeUnknown },
  ])(
    "a $what that fails in the client with a plain error (the Secret's value unreadable): outcome unknown, not thrown",
    async ({ step, reason }) => {
      const { sim: s, client } = await agent(() => {
        throw new Error("the Secret's key is gone");
      });
      const got = await act(client, step());
      expect(got).toMatchObject({ kind: "OutcomeUnknown", reason });
      expect(got.message).toMatch(/^the Secret's key is gone; looking for the/);
      expect(sent(s, "DELETE", /replicas/).concat(sent(s, "POST", /replicas/))).toEqual([]);
    },
  );

  it("a DELETE while a DAG holds the tenant: refused before any DAG, Reconciling, asked again after the busy delay", async () => {
    const { sim: s, client } = await agent();
    s.cluster.holdDags.add("t");
    s.cluster.removeReplicas("t", ["z3"]);
    expect(await act(client, remove("t", ["z2"]))).toMatchObject({
      kind: "DeleteRefused",
      reason: Reason.TenantBusy,
      phase: "Reconciling",
      requeueAfterMs: 700,
    });
    s.cluster.holdDags.delete("t");
  });

  it("an add sends each replica's type as the set says it (READONLY stays READONLY), zones in the messages", async () => {
    const { sim: s, client } = await agent();
    const step = await act(client, add("t", [replica("z4"), replica("z5", { type: "READONLY" })]));
    if (step.kind !== "DagStarted") throw new Error(`got ${step.kind}: ${step.message}`);
    const [post] = sent(s, "POST", /\/tenant\/t\/replicas$/);
    expect(post?.body).toEqual({
      zone_list: [
        { name: "z4", unit_config_name: "t_unit", unit_num: 1, replica_type: "FULL" },
        { name: "z5", unit_config_name: "t_unit", unit_num: 1, replica_type: "READONLY" },
      ],
    });
    expect(step.message).toBe(
      `DAG ${step.dag.id} adding z4, z5 to tenant t: stage ${step.dag.stage}/${step.dag.max_stage}`,
    );
    expect(step.event).toEqual({
      type: "Normal",
      reason: Reason.DagStarted,
      message: `obshell DAG ${step.dag.id} adds z4, z5 to tenant t`,
    });
  });

  it("a refused add names every replica as it was asked for", async () => {
    const { client } = await agent();
    const step = await act(
      client,
      add("t", [replica("z9"), replica("z5", { type: "READONLY", unitNum: 1 })]),
    );
    expect(step.kind).toBe("AddRefused");
    expect(step.message).toMatch(
      /^obshell refused to add z9 \(unit config t_unit x1, FULL\), z5 \(unit config t_unit x1, READONLY\) to tenant t: /,
    );
  });

  it("a step that is not an action is refused, naming the set and the step", async () => {
    const { client } = await agent();
    await expect(
      act(client, { kind: "Wait", reason: "R", message: "", requeueAfterMs: 1 } as unknown as TenantStep),
    ).rejects.toThrow("orders: Wait is not an action");
  });
});

describe("RETRY and ROLLBACK of a failed DAG", () => {
  /** A removal DAG on t that failed at its first stage; its generic id. */
  async function failed() {
    const a = await agent();
    a.sim.cluster.failNextDag.set("t", 1);
    a.sim.cluster.removeReplicas("t", ["z3"]);
    await until(() => a.sim.cluster.dags[0]?.state === "FAILED");
    return { ...a, dagId: `1${a.sim.cluster.dags[0]?.dagId}` };
  }
  const retry = (dagId: string): TenantStep => ({
    kind: "RetryDag",
    reason: Reason.DagRetried,
    message: "the DAG failed; RETRY 1/3",
    dagId,
    attempt: 1,
  });
  const rollback = (dagId: string): TenantStep => ({
    kind: "RollbackDag",
    reason: Reason.DagRollingBack,
    message: "the DAG failed; ROLLBACK requested",
    dagId,
  });

  it.each([
    { operator: "RETRY", step: retry },
    { operator: "ROLLBACK", step: rollback },
  ])(
    "$operator is sent for that DAG; the set waits a DAG poll with a Warning event",
    async ({ operator, step }) => {
      const { sim: s, client, dagId } = await failed();
      const asked = step(dagId);
      expect(await act(client, asked)).toEqual({
        kind: "Wait",
        reason: asked.reason,
        message: asked.message,
        requeueAfterMs: 50,
        event: { type: "Warning", reason: asked.reason, message: asked.message },
      });
      expect(sent(s, "POST", /^\/api\/v1\/task\/dag\//).map((r) => [r.path, r.body])).toEqual([
        [`/api/v1/task/dag/${dagId}`, { operator }],
      ]);
    },
  );

  it("refused for good (the DAG is not failed): recorded with the agent's code, Stalled, never asked again", async () => {
    const { sim: s, client } = await agent();
    s.cluster.removeReplicas("t", ["z3"]);
    await until(() => s.cluster.dags[0]?.state === "SUCCEED");
    const dagId = `1${s.cluster.dags[0]?.dagId}`;
    const got = await act(client, retry(dagId));
    expect(got).toMatchObject({
      kind: "DagOperationRefused",
      reason: Reason.DagOperationRefused,
      phase: "Stalled",
      dagId,
      operator: "RETRY",
      code: "Task.Dag.Operator.RetryNotFailedDag",
    });
    expect(got.message).toMatch(
      new RegExp(
        `^RETRY of DAG ${dagId} refused for good: .*; it is not asked again: operate the DAG yourself \\(PASS releases it\\) or change the spec$`,
      ),
    );
  });

  it("while the cluster is held by another DAG: waits the busy delay, naming the operator and DAG", async () => {
    const { sim: s, client, dagId } = await failed();
    s.cluster.clusterMaintenanceDag = "upgrade";
    const got = await act(client, rollback(dagId));
    expect(got).toMatchObject({ kind: "Wait", reason: Reason.TenantBusy, requeueAfterMs: 700 });
    expect(got.message).toMatch(new RegExp(`^ROLLBACK of DAG ${dagId} waits: .*under maintenance`));
  });

  it("a 5xx: thrown to the engine, which observes again", async () => {
    const { sim: s, client, dagId } = await failed();
    s.addFault({ method: "POST", path: /\/task\/dag\//, kind: "status", status: 503 });
    await expect(act(client, retry(dagId))).rejects.toBeInstanceOf(ServerError);
  });
});

describe("the connection an operation in flight is followed through", () => {
  it("an operation started inline, the set since moved to a connectionRef: the operation's endpoint and Secret (key password when unrecorded)", async () => {
    const { sim: s } = await agent();
    const w = world();
    addObshellConnection(w, "prod", "elsewhere", { endpoint: "http://127.0.0.1:9", secret: "other" });
    const kind = kindWith({ w, secrets: { "prod/started": { password: PASSWORD } } });
    const { credentialsSecretKey: _, ...started } = operation({
      tenant: "t",
      endpoint: s.url,
      credentialsSecretName: "started",
    });
    const set = tenantReplicaSet.parse(
      refTenantManifest({ connection: { name: "elsewhere" }, tenant: "t", status: { operation: started } }),
    );
    const connection = await kind.connect(set, id);
    if (!connection.ok) throw new Error(connection.step.message);
    expect(connection.endpoint).toBe(s.url);
    // The password read from the operation's Secret is the one the agent takes.
    await connection.client.operateDag("1999", "RETRY").catch((e: unknown) => e);
    expect(sent(s, "POST", /\/task\/dag\/1999$/).map((r) => r.status)).toEqual([404]);
  });

  it.each([
    {
      op: { kind: "AddZones" as const, zones: ["z4", "z5"], dagId: "1042" },
      message:
        "the addition of z4, z5 started on http://127.0.0.1:1; its connection now leads to http://127.0.0.1:2, where it is not followed: finish or operate the DAG 1042 there, then clear status.operation",
    },
    {
      op: { kind: "RemoveZones" as const, zones: ["z2", "z3"] },
      message:
        "the removal of z2, z3 started on http://127.0.0.1:1; its connection now leads to http://127.0.0.1:2, where it is not followed: finish or operate the DAG there, then clear status.operation",
    },
  ])(
    "a repointed connection mid-$op.kind: OperationTargetMoved, naming what runs where",
    async ({ op, message }) => {
      const w = world();
      addObshellConnection(w, "prod", "ob", { endpoint: "http://127.0.0.1:2" });
      const kind = kindWith({ w });
      const set = tenantReplicaSet.parse(
        refTenantManifest({
          connection: { name: "ob" },
          status: {
            operation: operation({
              ...op,
              endpoint: "http://127.0.0.1:1",
              connectionRef: { kind: "DatabaseConnection", name: "ob" },
            }),
          },
        }),
      );
      expect(await kind.connect(set, id)).toEqual({
        ok: false,
        step: { kind: "Stall", reason: Reason.OperationTargetMoved, message },
      });
    },
  );

  it("a deleted set's client is closed when the pool releases it", async () => {
    const { sim: s } = await agent();
    const kind = kindWith();
    const connection = await kind.connect(tenantSet({ endpoint: s.url, tenant: "t" }), id);
    expect(connection.ok).toBe(true);
    expect(pool?.size).toBe(1);
    pool?.release(`${id.namespace}/${id.name}`);
    expect(pool?.size).toBe(0);
  });

  it("credential health is per cluster once known: two URLs of one recorded cluster share it, an unrecorded URL does not", async () => {
    const { sim: s } = await agent();
    const kind = kindWith();
    // Another URL of the same cluster (not contacted: connecting only resolves).
    const other = "http://127.0.0.1:1";
    const recorded = (endpoint: string) =>
      tenantSet({
        endpoint,
        tenant: "t",
        status: {
          remote: { identity: "obshell|east#7", endpoint, observedAt: new Date().toISOString() },
        } as never,
      });
    const credential = async (set: ReturnType<typeof tenantSet>) => {
      const c = await kind.connect(set, id);
      if (!c.ok) throw new Error(c.step.message);
      return c.credential;
    };
    const a = await credential(recorded(s.url));
    expect(await credential(recorded(other))).toBe(a);
    expect(await credential(tenantSet({ endpoint: other, tenant: "t" }))).not.toBe(a);
  });
});

describe("the cluster an operation runs on, and the one a DELETE goes to", () => {
  async function connected(clusters = new ClusterIdentities()) {
    const a = await agent();
    const kind = kindWith({ clusters });
    const set = tenantSet({ endpoint: a.sim.url, tenant: "t" });
    const connection = await kind.connect(set, id);
    if (!connection.ok) throw new Error(connection.step.message);
    return { ...a, kind, set, connection: connection as Connected<ObshellClient> };
  }

  it.each([
    {
      dagId: "1042",
      tail: "finish or operate the DAG 1042 on cluster east (id 7), then clear status.operation",
    },
    {
      dagId: undefined,
      tail: "finish or operate the DAG on cluster east (id 7), then clear status.operation",
    },
  ])(
    "while an operation runs the agent is asked afresh (not the cache): another cluster now -> OperationTargetMoved ($dagId)",
    async ({ dagId, tail }) => {
      const { sim: s, kind, set, connection, client } = await connected();
      // Learned (and cached) with no operation in flight.
      expect(await kind.identify?.(client, set, connection)).toEqual({
        identity: "obshell|east#7",
        learned: true,
      });
      s.clusterIdentity = { name: "west", id: 9 };
      const inFlight = tenantSet({
        endpoint: s.url,
        tenant: "t",
        status: {
          operation: operation({
            tenant: "t",
            zones: ["z2", "z3"],
            endpoint: s.url,
            remote: "obshell|east#7",
            ...(dagId ? { dagId } : {}),
          }),
        } as never,
      });
      expect(await kind.identify?.(client, inFlight, connection)).toEqual({
        step: {
          kind: "Stall",
          reason: Reason.OperationTargetMoved,
          message: `the removal of z2, z3 started on cluster east (id 7) (through ${s.url}); ${s.url} now leads to cluster west (id 9), where it is not followed: ${tail}`,
        },
      });
    },
  );

  it("just before a DELETE the agent is asked again: another cluster -> nothing sent, RemoteIdentityChanged", async () => {
    const { sim: s, kind, set, client } = await connected();
    const remote: Remote = { endpoint: s.url, identity: "obshell|east#7" };
    const step = remove("t", ["z2", "z3"]);
    expect(await kind.prepare?.(client, set, step, id, new Date(), remote)).toBe(step);
    s.clusterIdentity = { name: "west", id: 9 };
    expect(await kind.prepare?.(client, set, step, id, new Date(), remote)).toEqual({
      kind: "Wait",
      reason: Reason.RemoteIdentityChanged,
      message: `${s.url} reported cluster east (id 7) when the removal of z2, z3 was planned and now reports cluster west (id 9): nothing was sent; deciding again`,
      requeueAfterMs: 1000,
    });
    expect(sent(s, "DELETE", /replicas/)).toEqual([]);
  });
});
