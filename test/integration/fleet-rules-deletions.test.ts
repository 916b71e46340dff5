// The Redis deletion rules on the real API server with the DCS simulator over real HTTP (issue 22): batches of
// at most 50, the re-read of each victim just before the delete, and a 403 that stops only the set it refused.
// Sets reach DCS through admin-owned DatabaseConnections, as users run them; each story is judged by the
// simulator's request log (what was actually sent), and a hold ends by lifting it to show the call would go.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Operator } from "../../src/operator.js";
import { conditionTrue } from "../harness/conditions.js";
import { connectionRef, dcsConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import type { SimInstance } from "../simulators/dcs/instances.js";
import { DcsSimulator, RUNNING_TASK_STATUS } from "../simulators/dcs/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const AK = "AKDELETIONS000000001";
const SK = "SKdeletions0000000000000000000000000000";
const WAIT_MS = 40_000;
let ns = "";
let dcs: DcsSimulator;
let operator: Operator;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: { conditions?: Condition[] } };

/** A DCS project id of its own per story (32 hex digits), so no story's listing is another's. */
const projectOf = (n: number) => `${String(n).padStart(4, "0")}${"ab".repeat(14)}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

/** A project of these instances, and the admin-owned connection `dcs-<n>` to it; their ids by name. */
async function project(n: number, names: string[]): Promise<Map<string, string>> {
  const ids = new Map(names.map((name) => [name, dcs.addInstance(projectOf(n), { name }).instance_id]));
  await raw.apply(dcsConnection({ namespace: ns, name: `dcs-${n}` }, dcs.url, projectOf(n)));
  return ids;
}

function redisSet(
  name: string,
  n: number,
  selector: Record<string, unknown>,
  instances: string[],
  policy: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef(`dcs-${n}`),
      selector,
      instances,
      pollInterval: "1s",
      // These stories are about what is sent: each plan runs as soon as it is made (settling: settle-time.test.ts)
      // and without an approval (approvals: operator-e2e.test.ts).
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

/** The id lists of every batch DELETE DCS received for project n, in order. */
const batchesSent = (n: number) =>
  dcs.log
    .filter((e) => e.method === "DELETE" && e.path === `/v2/${projectOf(n)}/instances`)
    .map((e) => (JSON.parse(e.rawBody) as { instances: string[] }).instances);
/** How many DELETEs (batch or single) named this instance. */
const timesSent = (n: number, id: string) =>
  dcs.log.filter(
    (e) =>
      e.method === "DELETE" &&
      e.path.startsWith(`/v2/${projectOf(n)}/instances`) &&
      (e.path.endsWith(`/${id}`) || e.rawBody.includes(id)),
  ).length;
const listings = (n: number) =>
  dcs.log.filter((e) => e.method === "GET" && e.path === `/v2/${projectOf(n)}/instances`).length;

/** A few more listings of project n: the set has looked again (and decided again) since. */
async function threeMoreListings(n: number): Promise<void> {
  const seen = listings(n);
  await eventually(`three more listings of ${projectOf(n)}`, () => listings(n) >= seen + 3, WAIT_MS);
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "deletions");
  dcs = new DcsSimulator({ credentials: [{ accessKey: AK, secretKey: SK }], deleteDelayMs: 50 });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: "unused", accessKey: AK, secretKey: SK });
  operator = startRecommendedOperator(kubeconfig, {
    logger: quietLogger,
    namespaces: [ns],
    redis: { deletePollMs: 100 },
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await dcs?.stop();
  await raw.close();
});

describe("batches of at most 50", () => {
  it("a plan of 120 deletions reaches DCS in batches of at most 50, every instance once, no kept one", async () => {
    const keep = Array.from({ length: 10 }, (_, i) => `bulk-keep-${i}`);
    const gone = Array.from({ length: 120 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`);
    const ids = await project(1, [...keep, ...gone]);
    // One operation takes all 120 without an approval: the batching is what is judged.
    await raw.apply(
      redisSet("bulk", 1, { namePrefix: "bulk-" }, keep, {
        maxDeletionsPerOperation: 120,
        approvalThreshold: 120,
      }),
    );
    await condition("bulk", "Ready", "Converged", () => batchesSent(1).some((b) => b.length > 50));
    const sent = batchesSent(1);
    expect(sent.map((b) => b.length).filter((size) => size > 50)).toEqual([]);
    expect(sent.flat().sort()).toEqual(gone.map((name) => ids.get(name)).sort());
    expect(dcs.instances(projectOf(1)).map((i) => i.name)).toEqual(keep);
    // Nothing went one by one past the batch path.
    expect(
      dcs.log.filter((e) => e.method === "DELETE" && e.path.startsWith(`/v2/${projectOf(1)}/instances/`)),
    ).toEqual([]);
  });
});

/** What happens to an instance between the listing a plan was made from and the re-read just before the delete. */
const changes: {
  what: string;
  n: number;
  change: (i: SimInstance) => void;
  lift: (i: SimInstance) => void;
}[] = [
  {
    what: "an operation started on it (busy)",
    n: 11,
    change: (i) => {
      i.task_status = RUNNING_TASK_STATUS;
      i.service_task_id = "3f0c1d2e-0000-4000-8000-000000000011";
    },
    lift: (i) => {
      i.task_status = null;
      i.service_task_id = "";
    },
  },
  {
    what: "frozen for an unpaid bill",
    n: 12,
    change: (i) => {
      i.status = "FROZEN";
    },
    lift: (i) => {
      i.status = "RUNNING";
    },
  },
  {
    what: "turned yearly/monthly (prepaid)",
    n: 13,
    change: (i) => {
      i.charging_mode = 1;
    },
    lift: (i) => {
      i.charging_mode = 0;
    },
  },
  {
    what: "retagged into a peer set's scope",
    n: 14,
    change: (i) => {
      i.tags = [{ key: "team", value: "peer" }];
    },
    lift: (i) => {
      i.tags = null;
    },
  },
];

describe("the victim re-read just before the delete", () => {
  it.each(changes)(
    "a victim $what after the plan is not sent; the other victim goes",
    async ({ n, change, lift }) => {
      const prefix = `rr${n}`;
      const ids = await project(n, [`${prefix}-keep`, `${prefix}-moved`, `${prefix}-idle`]);
      const moved = ids.get(`${prefix}-moved`) ?? "";
      const idle = ids.get(`${prefix}-idle`) ?? "";
      const instance = dcs.projects.get(projectOf(n))?.get(moved);
      if (!instance) throw new Error("unreachable");
      if (n === 14) {
        // A peer set on the same project, reconciled first, owns whatever carries team=peer.
        dcs.addInstance(projectOf(n), { name: "peer-anchor", tags: { team: "peer" } });
        await raw.apply(redisSet(`${prefix}-peer`, n, { tags: { team: "peer" } }, ["peer-anchor"]));
        await condition(`${prefix}-peer`, "Ready", "Converged");
      }
      // Listed as it was; its re-read by id (only a plan to delete it reads it so) finds it changed.
      dcs.changeOnGet.set(moved, change);
      await raw.apply(redisSet(prefix, n, { namePrefix: `${prefix}-` }, [`${prefix}-keep`]));

      await eventually(
        `${prefix}-idle deleted`,
        () => !dcs.instances(projectOf(n)).some((i) => i.instance_id === idle),
        WAIT_MS,
      );
      expect(dcs.changeOnGet.has(moved), "the changed victim was re-read").toBe(false);
      expect(timesSent(n, moved)).toBe(0);
      // The set looks again (the listing shows the change now): still not sent.
      await threeMoreListings(n);
      expect(timesSent(n, moved)).toBe(0);
      expect(batchesSent(n)).toEqual([[idle]]);

      // The change undone: the same instance goes, so the story would see it sent.
      lift(instance);
      await condition(prefix, "Ready", "Converged");
      expect(timesSent(n, moved)).toBe(1);
    },
  );

  it("a victim whose re-read fails (DCS answers 500 on its GET): nothing is sent until it reads", async () => {
    const n = 15;
    const ids = await project(n, ["rr15-keep", "rr15-unread", "rr15-idle"]);
    const unread = ids.get("rr15-unread") ?? "";
    dcs.addFault({ method: "GET", path: new RegExp(`/instances/${unread}$`), kind: "status", status: 500 });
    const failedReads = () =>
      dcs.log.filter((e) => e.method === "GET" && e.path.endsWith(`/${unread}`) && e.fault).length;
    await raw.apply(redisSet("rr15", n, { namePrefix: "rr15-" }, ["rr15-keep"]));
    await eventually("a failed re-read", () => failedReads() >= 1, WAIT_MS);
    // Listed again by the only set on the project: the reconcile that failed to re-read has ended (the client
    // may retry the GET first), and the next ones failed too.
    await threeMoreListings(n);
    expect(failedReads()).toBeGreaterThan(1);
    // Not the failed one, nor the one read fine beside it: the batch is not sent on a failed re-read.
    expect(batchesSent(n)).toEqual([]);

    dcs.http.clearFaults();
    await condition("rr15", "Ready", "Converged");
    expect(batchesSent(n).flat().sort()).toEqual([unread, ids.get("rr15-idle")].sort());
  });
});

describe("a 403 stops only the set it refused", () => {
  it("a listing refused with 403 in one project: that set Stalls PermissionDenied and sends nothing; the other project's set, same access key, deletes", async () => {
    await project(21, ["pl-keep", "pl-extra"]);
    const b = await project(22, ["pm-keep", "pm-extra"]);
    dcs.addFault({
      method: "GET",
      path: new RegExp(`^/v2/${projectOf(21)}/`),
      kind: "status",
      status: 403,
      code: "DCS.2007",
    });
    await raw.apply(redisSet("perm-list", 21, { namePrefix: "pl-" }, ["pl-keep"]));
    await raw.apply(redisSet("perm-list-other", 22, { namePrefix: "pm-" }, ["pm-keep"]));
    await condition("perm-list", "Stalled", "PermissionDenied");
    await condition("perm-list-other", "Ready", "Converged");
    expect(batchesSent(22)).toEqual([[b.get("pm-extra")]]);
    await threeMoreListings(21);
    expect(dcs.log.filter((e) => e.method === "DELETE" && e.path.includes(projectOf(21)))).toEqual([]);
  });

  it("a DELETE refused with 403 (DCS.2007) in one project: that set Stalls naming the code and the batch is not sent again; the other project's set, same access key, deletes", async () => {
    const a = await project(23, ["pa-keep", "pa-extra"]);
    const b = await project(24, ["pb-keep", "pb-extra"]);
    dcs.addFault({
      method: "DELETE",
      path: new RegExp(`^/v2/${projectOf(23)}/`),
      kind: "status",
      status: 403,
      code: "DCS.2007",
    });
    await raw.apply(redisSet("perm-a", 23, { namePrefix: "pa-" }, ["pa-keep"]));
    await raw.apply(redisSet("perm-b", 24, { namePrefix: "pb-" }, ["pb-keep"]));
    const refused = a.get("pa-extra") ?? "";
    // IAM refused the deletion itself: a person must change the policy, so the set asks one.
    const stalled = await condition(
      "perm-a",
      "Stalled",
      "DeletionNeedsHuman",
      () => timesSent(23, refused) > 1,
    );
    expect(messageOf(stalled, "Stalled")).toMatch(/pa-extra.*refused with DCS\.2007/);
    expect(batchesSent(23)).toEqual([[refused]]);
    await threeMoreListings(23);
    expect(batchesSent(23)).toEqual([[refused]]);

    await condition("perm-b", "Ready", "Converged");
    expect(batchesSent(24)).toEqual([[b.get("pb-extra")]]);
  });
});
