// Plans must be stable before they run (issue 28), on the real API server with both simulators, judged by
// what the simulators were actually sent. Sets reach the remotes through admin-owned connections; the
// operator runs as deploy/'s identity and refuses inline connections.
//   a. a set applied, then corrected within the settle time: the first plan never runs (both kinds);
//   b. two conflicting sets in one `kubectl apply`, other objects between them: nothing is deleted;
//   c. an operator restart in the middle of the settle window neither resets nor skips it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { PlanExit } from "../../src/cli/plan-flags.js";
import type { Operator } from "../../src/operator.js";
import {
  connectionRef,
  dcsConnection,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { kubectlOk, toYaml } from "../harness/kubectl.js";
import { type CapturedLog, captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "settle-root-password";
const AK = "AKSETTLE000000000001";
const SK = "SKsettle000000000000000000000000000000000";
const PROJECT = "5e771e5e771e5e771e5e771e5e771e5e";
let ns = "";
let dir = "";
let obshell: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator | undefined;
const logs: CapturedLog[] = [];
/** DCS instance id -> name, as seeded (a deleted instance leaves the listing). */
const nameOf = new Map<string, string>();

type Status = {
  conditions?: { type: string; status: string; reason: string; message: string }[] | undefined;
};
type SetObject<S> = RawObject & { status?: S };
const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

function tenantSet(name: string, tenant: string, zones: string[], policy: Record<string, unknown> = {}) {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace: ns },
    // approvalThreshold: these stories are about settling; approvals have their own.
    spec: { ...connectionRef("obshell"), tenant, zones, policy: { approvalThreshold: 5, ...policy } },
  };
}

function redisSet(
  name: string,
  namePrefix: string,
  instances: string[],
  policy: Record<string, unknown> = {},
) {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef("dcs"),
      selector: { namePrefix },
      instances,
      policy: { approvalThreshold: 5, ...policy },
    },
  };
}

function startOperator(): Operator {
  const log = captureLog("debug");
  logs.push(log);
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}

async function condition<S extends Status>(path: string, type: string, reason: string) {
  let last: SetObject<S> | undefined;
  await eventually(`${path} ${type} (${reason})`, async () => {
    last = await raw.call<SetObject<S>>("GET", path);
    return (last.status?.conditions ?? []).some(
      (c) => c.type === type && c.status === "True" && c.reason === reason,
    );
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; last status: ${JSON.stringify(last?.status)}`);
  });
  if (!last) throw new Error("unreachable");
  return last;
}

const zoneDeletes = (tenant: string) =>
  obshell.log.filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`);
const dcsDeletes = () => dcs.log.filter((e) => e.method === "DELETE");
const deletedNames = () =>
  dcsDeletes().flatMap((e) =>
    ((e.body as { instances?: string[] }).instances ?? []).map((id) => nameOf.get(id)),
  );

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "settle");
  dir = mkdtempSync(join(tmpdir(), "dbfleet-settle-"));
  const zones = ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" }));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones,
      tenants: ["t_fix", "t_dup", "t_restart"].map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
    },
  });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: {
      [PROJECT]: ["fix-1", "fix-2", "fix-3", "dup-1", "dup-2", "dup-3"].map((name) => ({ name })),
    },
    deleteDelayMs: 50,
  });
  await dcs.start();
  for (const i of dcs.instances(PROJECT)) nameOf.set(i.instance_id, i.name);
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: AK, secretKey: SK });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, PROJECT));
  operator = startOperator();
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await dcs?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a destructive plan runs only after it has settled", () => {
  it("a. a set applied, then corrected within the settle time: the first plan never runs", async () => {
    // Long enough that the correction lands inside the window however slow the machine.
    const policy = { settleTime: "20s" };
    const wrongTrs = tenantSet("fix", "t_fix", ["z1", "z3"], policy); // would remove z2
    const wrongRis = redisSet("fix", "fix-", ["fix-1", "fix-3"], policy); // would delete fix-2

    // plan, before anything is applied, says when the plans would run: after the settle time.
    const file = join(dir, "wrong.yaml");
    writeFileSync(file, [wrongTrs, wrongRis].map((d) => dump(d)).join("---\n"));
    let out = "";
    const code = await plan(
      ["-f", file, "-o", "json", "--kubeconfig", kubeconfig, "--allowed-endpoints", "127.0.0.1"],
      (t) => (out += t),
    );
    const rows = JSON.parse(out) as PlanRow[];
    expect(code).toBe(PlanExit.Changes);
    expect(rows.map((r) => [r.kind, r.step, r.reason, r.wouldDelete])).toEqual([
      ["TenantReplicaSet", "Wait", "PlanSettling", ["z2"]],
      ["RedisInstanceSet", "Wait", "PlanSettling", ["fix-2"]],
    ]);
    for (const r of rows) expect(r.message).toContain("runs after settle time 20s");

    await raw.apply(wrongTrs);
    await raw.apply(wrongRis);
    const trs = await condition<TenantReplicaSetStatus>(trsPath("fix"), "Reconciling", "PlanSettling");
    const ris = await condition<RedisInstanceSetStatus>(risPath("fix"), "Reconciling", "PlanSettling");
    expect(trs.status?.pendingPlan?.targets).toEqual(["z2"]);
    expect(ris.status?.pendingPlan?.targets).toEqual(["fix-2"]);
    // The person sees the plan in status and corrects the lists.
    await raw.apply(tenantSet("fix", "t_fix", ["z1", "z2"], policy));
    await raw.apply(redisSet("fix", "fix-", ["fix-1", "fix-2"], policy));
    await condition(trsPath("fix"), "Ready", "Converged");
    await condition(risPath("fix"), "Ready", "Converged");
    expect(zoneDeletes("t_fix").map((e) => e.body)).toEqual([{ zones: ["z3"] }]);
    expect(deletedNames()).toEqual(["fix-3"]);
  });

  it("b. two conflicting sets in one kubectl apply: nothing is deleted", async () => {
    // Each set alone would remove something. 30s rather than the default 10s: a loaded machine may take
    // seconds to create the objects between them, and the story is about the gap, not the default.
    const policy = { settleTime: "30s" };
    // As in a large commit: kubectl creates one object after another, so other objects between the two
    // sets give the first one a moment alone, in which it would act without the settle time.
    const between = Array.from({ length: 150 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `between-${i}`, namespace: ns },
      data: { i: String(i) },
    }));
    const docs = [
      tenantSet("dup-a", "t_dup", ["z1", "z2"], policy),
      redisSet("dup-a", "dup-", ["dup-1", "dup-2"], policy),
      ...between,
      tenantSet("dup-b", "t_dup", ["z1", "z3"], policy),
      redisSet("dup-b", "dup-", ["dup-2", "dup-3"], policy),
    ];
    const before = dcsDeletes().length;
    await kubectlOk(["--kubeconfig", kubeconfig, "apply", "-f", "-"], { stdin: toYaml(docs as RawObject[]) });
    for (const name of ["dup-a", "dup-b"]) {
      await condition(trsPath(name), "Stalled", "OwnershipConflict");
      await condition(risPath(name), "Stalled", "OwnershipConflict");
    }
    expect(zoneDeletes("t_dup")).toEqual([]);
    expect(dcsDeletes().slice(before)).toEqual([]);
    expect(dcs.instances(PROJECT).map((i) => i.name)).toEqual(
      expect.arrayContaining(["dup-1", "dup-2", "dup-3"]),
    );
  });

  it("c. an operator restart in the middle of the settle window neither resets nor skips it", async () => {
    const settleMs = 30_000;
    await raw.apply(tenantSet("restart", "t_restart", ["z1", "z2"], { settleTime: "30s" }));
    const settling = await condition<TenantReplicaSetStatus>(
      trsPath("restart"),
      "Reconciling",
      "PlanSettling",
    );
    const first = settling.status?.pendingPlan?.firstObservedAt ?? "";
    expect(first).not.toBe("");
    await operator?.stop(2000);
    // The story's premise: the first operator stopped inside the window, before anything was sent.
    expect(zoneDeletes("t_restart")).toEqual([]);
    const before = logs.length;
    operator = startOperator();
    await condition(trsPath("restart"), "Ready", "Converged");
    const sent = zoneDeletes("t_restart");
    expect(sent.map((e) => e.body)).toEqual([{ zones: ["z3"] }]);
    // Not skipped: the DELETE arrived no earlier than the settle time after the first observation.
    expect(sent[0]?.at).toBeGreaterThanOrEqual(Date.parse(first) + settleMs);
    // Not reset: every time the new operator held the plan, it counted from the first observation.
    const held = (logs[before]?.lines ?? [])
      .map((l) => JSON.parse(l) as { reason?: string; msg?: string })
      .filter((l) => l.reason === "PlanSettling" && l.msg?.includes("t_restart"));
    expect(held.length).toBeGreaterThan(0);
    for (const l of held) expect(l.msg).toContain(`first observed ${first}`);
  });
});
