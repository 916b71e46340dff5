// `dbfleet-operator plan` prints the Step the controller then takes: for a paused, a dry-run, a busy, an
// approval-pending and an approved set, plan runs first (read-only), then the operator, and both sides are
// compared — the controller's conditions, and for the approved plan what the simulator was actually sent.

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import type { Operator } from "../../src/operator.js";
import {
  connectionRef,
  dcsConnection,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { demoDcsSeed } from "../simulators/seed.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
// Projects of this file's own: plan judges ownership against every namespace's sets (issue 26).
const DEMO_PROJECT = randomBytes(16).toString("hex");
const OTHER_PROJECT = randomBytes(16).toString("hex");
const PASSWORD = "plan-root-password";
const AK = "AKPLANMATCH000000001";
const SK = "SKplanmatch0000000000000000000000000000";
let ns = "";
let obshell: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator | undefined;
let dir = "";
const log = captureLog();

type SetObject<S> = RawObject & { metadata: { generation: number }; status?: S };
const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

function tenantSet(
  name: string,
  tenant: string,
  zones: string[],
  extra: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef("obshell"),
      tenant,
      zones,
      // settleTime 0s: plan and controller on approvals (settling: settle-time.test.ts).
      policy: { settleTime: "0s" },
      pollInterval: "1s",
      ...extra,
    },
  };
}

function redisSet(
  name: string,
  instances: string[],
  policy: Record<string, unknown> = {},
  project = OTHER_PROJECT,
  namePrefix = "analytics-",
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef(`dcs-${project}`),
      selector: { namePrefix },
      instances,
      policy: { settleTime: "0s", ...policy },
      pollInterval: "1s",
    },
  };
}

/** The operators below allow inline connections (loopbackConnections): plan is given the same flag. */
const INLINE = ["--allow-inline-connections=true"];

/** plan -f on the live objects (read back from the cluster, so annotations are as the controller sees them). */
async function planOf(paths: string[]): Promise<PlanRow[]> {
  const docs = await Promise.all(paths.map((p) => raw.call<RawObject>("GET", p)));
  const file = join(dir, `plan-${Date.now()}.yaml`);
  writeFileSync(
    file,
    docs
      .map((d) => {
        const { status: _, ...rest } = d as RawObject & { status?: unknown };
        return dump(rest);
      })
      .join("---\n"),
  );
  let out = "";
  await plan(
    ["-f", file, "-o", "json", "--kubeconfig", kubeconfig, "--allowed-endpoints", "127.0.0.1", ...INLINE],
    (t) => (out += t),
  );
  return JSON.parse(out) as PlanRow[];
}

interface WithConditions {
  conditions?: { type: string; status: string; reason: string }[] | undefined;
}

async function conditionOf<S extends WithConditions>(
  path: string,
  type: string,
  reason: string,
  status: "True" | "False" = "True",
): Promise<SetObject<S>> {
  let last: SetObject<S> | undefined;
  await eventually(`${path} ${type}=${status} (${reason})`, async () => {
    last = await raw.call<SetObject<S>>("GET", path);
    return (last.status?.conditions ?? []).some(
      (c) => c.type === type && c.status === status && c.reason === reason,
    );
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; last status: ${JSON.stringify(last?.status)}`);
  });
  if (!last) throw new Error("unreachable");
  return last;
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "planmatch");
  dir = mkdtempSync(join(tmpdir(), "dbfleet-planmatch-"));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3", "z4"].map((name) => ({ name, region: "hz" })),
      tenants: ["t_paused", "t_busy"].map((name) => ({ name, zones: ["z1", "z2", "z3", "z4"] })),
    },
  });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: demoDcsSeed({ demo: DEMO_PROJECT, other: OTHER_PROJECT }),
    deleteDelayMs: 50,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: AK, secretKey: SK });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  for (const project of [DEMO_PROJECT, OTHER_PROJECT])
    await raw.apply(dcsConnection({ namespace: ns, name: `dcs-${project}` }, dcs.url, project));
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await dcs?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("plan and the controller take the same Step", () => {
  it("paused, dry-run, busy and approval-pending sets", async () => {
    await raw.apply(tenantSet("paused", "t_paused", ["z1", "z2", "z3"], { paused: true }));
    await raw.apply(tenantSet("busy", "t_busy", ["z1", "z2", "z3"]));
    await raw.apply(
      redisSet(
        "dry",
        ["search-eu-1", "search-eu-2", "search-eu-3", "search-eu-4", "search-eu-5", "search-eu-6"],
        { dryRun: true },
        DEMO_PROJECT,
        "search-eu-",
      ),
    );
    // A person's slow DAG on t_busy: the set must wait for it, never start a second one.
    obshell.stageMs = 60_000;
    obshell.cluster.removeReplicas("t_busy", ["z4"]);

    const rows = await planOf([trsPath("paused"), trsPath("busy"), risPath("dry")]);
    const row = (name: string) => rows.find((r) => r.name === name);
    expect(row("paused")).toMatchObject({ step: "Paused", reason: "Paused" });
    expect(row("busy")).toMatchObject({ step: "Wait", reason: "TenantBusy" });
    expect(row("dry")).toMatchObject({ step: "DryRun", reason: "DryRun" });
    expect(obshell.log.some((e) => e.method !== "GET")).toBe(false);
    expect(dcs.log.some((e) => e.method !== "GET")).toBe(false);

    operator = startRecommendedOperator(kubeconfig, {
      logger: log.logger,
      namespaces: [ns],
      tenant: { dagPollMs: 100 },
      redis: { deletePollMs: 100 },
    });
    await conditionOf<TenantReplicaSetStatus>(trsPath("paused"), "Ready", "Paused", "False");
    await conditionOf<TenantReplicaSetStatus>(trsPath("busy"), "Reconciling", "TenantBusy");
    await conditionOf<RedisInstanceSetStatus>(risPath("dry"), "Ready", "DryRun", "False");
    expect(obshell.log.filter((e) => e.method === "DELETE").length).toBe(0);
    expect(dcs.log.filter((e) => e.method === "DELETE").length).toBe(0);
  });

  it("an approval-pending plan, then the approved one: plan names the targets the controller deletes", async () => {
    await operator?.stop(2000);
    operator = undefined;
    await raw.apply(redisSet("big", ["analytics-1"]));
    const [pending] = await planOf([risPath("big")]);
    expect(pending).toMatchObject({ step: "AwaitApproval", reason: "ApprovalRequired" });
    expect(pending?.wouldDelete.length).toBe(5);
    const hash = pending?.planHash ?? "";
    expect(hash).toMatch(/^[0-9a-f]{16}$/);

    await raw.call(
      "PATCH",
      risPath("big"),
      { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } },
      "application/merge-patch+json",
    );
    const [approved] = await planOf([risPath("big")]);
    expect(approved).toMatchObject({ step: "DeleteInstances", reason: "Deleting" });
    const planned = [...(approved?.wouldDelete ?? [])].sort();
    expect(planned).toEqual(["analytics-2", "analytics-3", "analytics-4", "analytics-5", "analytics-6"]);
    expect(dcs.log.some((e) => e.method !== "GET")).toBe(false);

    operator = startRecommendedOperator(kubeconfig, {
      logger: log.logger,
      namespaces: [ns],
      redis: { deletePollMs: 100 },
    });
    await conditionOf<RedisInstanceSetStatus>(risPath("big"), "Ready", "Converged");
    const nameOf = new Map(
      [...dcs.instances(OTHER_PROJECT), ...dcs.deleted].map((i) => [i.instance_id, i.name]),
    );
    const sent = dcs.log
      .filter((e) => e.method === "DELETE")
      .flatMap((e) => (e.body as { instances?: string[] }).instances ?? [])
      .map((id) => nameOf.get(id))
      .sort();
    expect(sent).toEqual(planned);
    const status = (await raw.call<SetObject<RedisInstanceSetStatus>>("GET", risPath("big"))).status;
    expect(status?.usedApprovals?.map((u) => u.hash)).toEqual([hash]);
  });

  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
