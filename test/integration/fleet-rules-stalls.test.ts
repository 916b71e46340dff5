// The Redis rules that end in a person or in nothing (issue 22), on the real API server with the DCS simulator
// over real HTTP: a deletion refused three times or with a code that needs a person stalls and is not sent
// again; an accepted deletion still listed after 15 minutes stalls and is not sent again; a plan goes at most
// maxDeletionsPerOperation instances per operation; a deleted set deletes nothing. Sets reach DCS through
// admin-owned DatabaseConnections (one arriving after its set, as a GitOps tool may apply them) and the
// operator runs as deploy/'s identity, two replicas with leader election; each story is judged by the
// simulator's request log (what was actually sent). The operator's clock is moved, never slept on: backoffs
// of 30 s doubling and the 15 minutes pass in an instant.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { Operator } from "../../src/operator.js";
import { conditionTrue } from "../harness/conditions.js";
import { connectionRef, dcsConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, testLeaderElection } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const AK = "AKSTALLS000000000001";
const SK = "SKstalls0000000000000000000000000000000";
const WAIT_MS = 40_000;
let ns = "";
let dcs: DcsSimulator;
/** Two replicas, as deploy/ runs them: one leads and acts, the other stands by. */
let replicas: Operator[] = [];
const log = captureLog();
/** How far the operator's clock is ahead of real time. */
let aheadMs = 0;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & {
  metadata: { deletionTimestamp?: string };
  status?: RedisInstanceSetStatus & { conditions?: Condition[] | undefined };
};

/** A DCS project id of its own per story (32 hex digits), so no story's listing is another's. */
const projectOf = (n: number) => `${String(n).padStart(4, "0")}${"cd".repeat(14)}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

/**
 * A project of these instances, and the admin-owned connection `dcs-<n>` to it (unless `connection` is false:
 * the story applies it itself, with `connect(n)`); their ids by name.
 */
async function project(n: number, names: string[], connection = true): Promise<Map<string, string>> {
  const ids = new Map(names.map((name) => [name, dcs.addInstance(projectOf(n), { name }).instance_id]));
  if (connection) await connect(n);
  return ids;
}
const connect = (n: number) =>
  raw.apply(dcsConnection({ namespace: ns, name: `dcs-${n}` }, dcs.url, projectOf(n)));

function redisSet(
  name: string,
  n: number,
  prefix: string,
  instances: string[],
  policy: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns, ...metadata },
    spec: {
      ...connectionRef(`dcs-${n}`),
      selector: { namePrefix: prefix },
      instances,
      pollInterval: "1s",
      // These stories are about what is sent: each plan runs as soon as it is made (settling: settle-time.test.ts).
      policy: { settleTime: "0s", approvalThreshold: 10, ...policy },
    },
  };
}

/** Waits until the set's `type` condition is True for `reason`, or `unless` says the wrong call was sent. */
async function condition(
  name: string,
  type: string,
  reason: string,
  unless: () => boolean = () => false,
): Promise<SetObject> {
  return conditionTrue<SetObject>(raw, risPath(name), { reason, type }, WAIT_MS, unless);
}

const messageOf = (o: SetObject, type: string) =>
  o.status?.conditions?.find((c) => c.type === type)?.message ?? "";

async function mergePatch(name: string, body: unknown): Promise<SetObject> {
  return raw.call<SetObject>("PATCH", risPath(name), body, "application/merge-patch+json");
}

/** The id lists of every batch DELETE DCS received for project n, in order. */
const batchesSent = (n: number) =>
  dcs.log
    .filter((e) => e.method === "DELETE" && e.path === `/v2/${projectOf(n)}/instances`)
    .map((e) => (JSON.parse(e.rawBody) as { instances: string[] }).instances);
/** Every DELETE (batch or single) DCS received for project n. */
const deletesIn = (n: number) =>
  dcs.log.filter((e) => e.method === "DELETE" && e.path.startsWith(`/v2/${projectOf(n)}/instances`));
const listings = (n: number) =>
  dcs.log.filter((e) => e.method === "GET" && e.path === `/v2/${projectOf(n)}/instances`).length;

/** A few more listings of project n: its sets have looked again (and decided again) since. */
async function threeMoreListings(n: number): Promise<void> {
  const seen = listings(n);
  await eventually(`three more listings of ${projectOf(n)}`, () => listings(n) >= seen + 3, WAIT_MS);
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "stalls");
  dcs = new DcsSimulator({ credentials: [{ accessKey: AK, secretKey: SK }], deleteDelayMs: 50 });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: "unused", accessKey: AK, secretKey: SK });
  replicas = ["a", "b"].map((identity) => {
    return startRecommendedOperator(kubeconfig, {
      logger: log.logger,
      namespaces: [ns],
      redis: { deletePollMs: 100 },
      now: () => new Date(Date.now() + aheadMs),
      // The Lease keeps real time: only the reconcilers' clock is moved.
      leaderElection: testLeaderElection(`${ns}-stalls`, identity),
    });
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop(2000)));
  await dcs?.stop();
  await raw.close();
});

describe("stalls that call a human", () => {
  it("a deletion refused with a code that needs a person (DCS.4107, unpaid orders): one DELETE, Stalled naming the code, never sent again, an hour later and by a new leader included", async () => {
    const n = 1;
    const ids = await project(n, ["hu-keep", "hu-unpaid"]);
    dcs.addFault({
      method: "DELETE",
      path: new RegExp(`^/v2/${projectOf(n)}/`),
      kind: "status",
      status: 400,
      code: "DCS.4107",
    });
    // The refusal is held a second, and the hour passes while it is: a reply that comes later than a lost
    // one would be given up for must still be recorded as what it says, not as lost.
    dcs.addFault({
      method: "DELETE",
      path: new RegExp(`^/v2/${projectOf(n)}/`),
      kind: "latency",
      latencyMs: 1000,
    });
    await raw.apply(redisSet("human", n, "hu-", ["hu-keep"]));
    await eventually("the DELETE arrives", () => deletesIn(n).length >= 1, WAIT_MS);
    // Far past any backoff: a person's code does not heal by asking again.
    aheadMs += 3_600_000;
    const stalled = await condition("human", "Stalled", "DeletionNeedsHuman", () => deletesIn(n).length > 1);
    await threeMoreListings(n);
    expect(batchesSent(n)).toEqual([[ids.get("hu-unpaid")]]);
    expect(messageOf(stalled, "Stalled")).toMatch(/hu-unpaid.*refused with DCS\.4107/);
    // The leader stops (an upgrade, a node drained): the other replica reads the refusal from status, and
    // does not send it again either, an hour later included. The later stories run on that replica.
    const leader = replicas.find((r) => r.manager.isLeader);
    if (!leader) throw new Error("no replica leads");
    await leader.stop(2000);
    await eventually(
      "the other replica leads",
      () => replicas.some((r) => r !== leader && r.manager.isLeader),
      WAIT_MS,
    );
    aheadMs += 3_600_000;
    await threeMoreListings(n);
    await condition("human", "Stalled", "DeletionNeedsHuman", () => deletesIn(n).length > 1);
    expect(batchesSent(n)).toEqual([[ids.get("hu-unpaid")]]);
  });

  it("a deletion refused 3 times (DCS.4800, no person's code): sent again only after each backoff, then Stalled, never a fourth time", async () => {
    const n = 2;
    // The set arrives before its connection: it waits for it, then the rule holds as for any other.
    const ids = await project(n, ["rf-keep", "rf-refused"], false);
    const refused = ids.get("rf-refused") ?? "";
    dcs.addFault({
      method: "DELETE",
      path: new RegExp(`^/v2/${projectOf(n)}/`),
      kind: "status",
      status: 400,
      code: "DCS.4800",
    });
    await raw.apply(redisSet("refused", n, "rf-", ["rf-keep"]));
    await eventually(
      "the set names its missing connection",
      async () =>
        (await raw.call<SetObject>("GET", risPath("refused"))).status?.conditions?.some(
          (c) => c.reason === "ConnectionNotFound",
        ) ?? false,
      WAIT_MS,
    );
    expect(deletesIn(n)).toHaveLength(0);
    await connect(n);
    await eventually("the first refusal", () => deletesIn(n).length >= 1, WAIT_MS);
    // Within its backoff (30 s on the operator's clock): looked at again, not sent again.
    await threeMoreListings(n);
    expect(deletesIn(n)).toHaveLength(1);
    for (const attempt of [2, 3]) {
      // Past the backoff of the last refusal (30 s, then 60 s): sent once more.
      aheadMs += 120_000;
      await eventually(`refusal ${attempt}`, () => deletesIn(n).length >= attempt, WAIT_MS);
      await threeMoreListings(n);
      expect(deletesIn(n)).toHaveLength(attempt);
    }
    // Past the backoff a fourth attempt would have had: none comes.
    aheadMs += 600_000;
    const stalled = await condition(
      "refused",
      "Stalled",
      "DeletionNeedsHuman",
      () => deletesIn(n).length > 3,
    );
    await threeMoreListings(n);
    expect(deletesIn(n)).toHaveLength(3);
    expect(messageOf(stalled, "Stalled")).toMatch(/rf-refused.*refused 3 times/);
    aheadMs += 3_600_000;
    await threeMoreListings(n);
    await condition("refused", "Stalled", "DeletionNeedsHuman");
    expect(batchesSent(n)).toEqual([[refused], [refused], [refused]]);
  });

  it("an accepted deletion still listed after 15 minutes: Stalled, and the DELETE is never sent again", async () => {
    const n = 3;
    const ids = await project(n, ["ac-keep", "ac-slow"]);
    const slow = ids.get("ac-slow") ?? "";
    // DCS keeps listing an accepted instance, status unchanged, for as long as this story runs.
    dcs.setKnobs({ acceptedListingLagMs: 3_600_000 });
    try {
      await raw.apply(redisSet("accepted", n, "ac-", ["ac-keep"]));
      await condition("accepted", "Reconciling", "WaitingForDeletion", () => deletesIn(n).length > 1);
      expect(batchesSent(n)).toEqual([[slow]]);
      await threeMoreListings(n);
      expect(deletesIn(n)).toHaveLength(1);

      aheadMs += 16 * 60_000;
      const stalled = await condition(
        "accepted",
        "Stalled",
        "DeletionNeedsHuman",
        () => deletesIn(n).length > 1,
      );
      expect(deletesIn(n)).toHaveLength(1);
      expect(messageOf(stalled, "Stalled")).toMatch(/ac-slow.*accepted 1[67] min ago and still listed/);
      await threeMoreListings(n);
      expect(deletesIn(n)).toHaveLength(1);

      // It leaves at last: the set converges, having sent the one DELETE.
      dcs.projects.get(projectOf(n))?.delete(slow);
      await condition("accepted", "Ready", "Converged");
      expect(deletesIn(n)).toHaveLength(1);
    } finally {
      dcs.setKnobs({ acceptedListingLagMs: 0 });
    }
  });
});

describe("blast radius", () => {
  it("maxDeletionsPerOperation 3: seven instances go in operations of at most 3, each instance once, the kept one never", async () => {
    const n = 4;
    const gone = Array.from({ length: 7 }, (_, i) => `br-${i}`);
    const ids = await project(n, ["br-keep", ...gone]);
    await raw.apply(redisSet("radius", n, "br-", ["br-keep"], { maxDeletionsPerOperation: 3 }));
    await condition("radius", "Ready", "Converged", () => batchesSent(n).some((b) => b.length > 3));
    // One operation is one batch DELETE here (at most 50): the instances it names are the operation's.
    expect(batchesSent(n).map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batchesSent(n).flat().sort()).toEqual(gone.map((name) => ids.get(name)).sort());
    expect(dcs.instances(projectOf(n)).map((i) => i.name)).toEqual(["br-keep"]);
  });
});

describe("deleting a set", () => {
  it("a set deleted (held by another controller's finalizer) and then approved deletes nothing; its twin approved at the same moment deletes", async () => {
    const n = 5;
    const ids = await project(n, ["dl-keep", "dl-victim", "tw-keep", "tw-victim"]);
    const finalizer = "example.com/gitops-prune";
    // Both wait for an approval, so nothing is sent before the one is deleted.
    await raw.apply(
      redisSet("doomed", n, "dl-", ["dl-keep"], { approvalThreshold: 0 }, { finalizers: [finalizer] }),
    );
    await raw.apply(redisSet("twin", n, "tw-", ["tw-keep"], { approvalThreshold: 0 }));
    const doomed = await condition("doomed", "Stalled", "ApprovalRequired");
    const twin = await condition("twin", "Stalled", "ApprovalRequired");
    await raw.call("DELETE", risPath("doomed"));
    await eventually(
      "doomed being deleted",
      async () =>
        (await raw.call<SetObject>("GET", risPath("doomed"))).metadata.deletionTimestamp !== undefined,
      WAIT_MS,
    );
    const approve = (name: string, o: SetObject) =>
      mergePatch(name, {
        metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: o.status?.pendingApproval?.hash ?? "" } },
      });
    await approve("doomed", doomed);
    await approve("twin", twin);

    await condition("twin", "Ready", "Converged");
    await threeMoreListings(n);
    expect(batchesSent(n)).toEqual([[ids.get("tw-victim")]]);

    // The other controller lets go: the set is gone, and still nothing of its scope was sent.
    await mergePatch("doomed", { metadata: { finalizers: null } });
    await threeMoreListings(n);
    expect(batchesSent(n)).toEqual([[ids.get("tw-victim")]]);
    expect(dcs.instances(projectOf(n)).map((i) => i.name)).toEqual(["dl-keep", "dl-victim", "tw-keep"]);
  });
});

describe("the operator's identity", () => {
  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
