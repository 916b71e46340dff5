// A RETRY or ROLLBACK that obshell refuses for good is asked once, then the set is Stalled with the reason and
// the DAG is held for a person: judged by what the obshell simulator received. The refusals are the agent's
// (oceanbase/obshell 4.5.0.0, ob/agent/): Task.Expired once a newer DAG took the tenant's lock
// (service/task/status_maintainer.go UpdateMaintenanceTask), Task.Dag.Operator.RollbackNotAllowed for a removal
// that failed at "Drop resource pools" (service/task/dag.go getNodesCanRollback; executor/tenant/scale_in_replicas.go).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Operator } from "../../src/operator.js";
import { connectionRef, obshellConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "refused-root-password";
let ns = "";
let obshell: ObshellSimulator;
let operator: Operator;
const log = captureLog();

type Condition = {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
};
type SetObject = RawObject & {
  metadata: { generation: number };
  status?: {
    conditions?: Condition[];
    dag?: { id: string; state: string; operator: string };
    operation?: { dagId?: string; refused?: { dagId: string; operator: string; code: string; at: string } };
  };
};

const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;
const get = (path: string) => raw.call<SetObject>("GET", path);

async function stalledWith(name: string, reason: string): Promise<SetObject> {
  let last: SetObject | undefined;
  await eventually(`${name} Stalled (${reason})`, async () => {
    last = await get(trsPath(name));
    const c = last.status?.conditions?.find((x) => x.type === "Stalled");
    return c?.status === "True" && c.reason === reason && c.observedGeneration === last.metadata.generation;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; last status: ${JSON.stringify(last?.status)}`);
  });
  return last as SetObject;
}

function tenantSet(
  name: string,
  tenant: string,
  zones: string[],
  policy: Record<string, unknown>,
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace: ns },
    spec: { ...connectionRef("obshell"), tenant, zones, policy, pollInterval: "1s" },
  };
}

/** POST /api/v1/task/dag/:id as the simulator received them: what was asked of each DAG. */
const operations = (dagId: string) =>
  obshell.log.filter((e) => e.method === "POST" && e.path === `/api/v1/task/dag/${dagId}`);
const polls = (dagId: string) =>
  obshell.log.filter((e) => e.method === "GET" && e.path === `/api/v1/task/dag/${dagId}`).length;

/** The set goes on being reconciled (its DAG read `more` times again) and still nothing more is asked. */
async function heldWithoutAsking(dagId: string, more: number): Promise<void> {
  const seen = polls(dagId);
  await eventually(`${more} more reads of DAG ${dagId}`, () => polls(dagId) >= seen + more);
}

type CoreEvent = { reason: string; type: string; involvedObject: { name: string } };
async function eventsOf(name: string, reason: string): Promise<CoreEvent[]> {
  const list = await raw.call<{ items: CoreEvent[] }>("GET", `/api/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "refused");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3", "z4"].map((name) => ({ name, region: "hz" })),
      tenants: ["t_expired", "t_norollback"].map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
    },
  });
  await obshell.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: "AKUNUSED", secretKey: "SKUNUSED" });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  operator = startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await raw.close();
});

describe("a DAG operation obshell refuses for good", () => {
  it("Task.Expired: RETRY is sent once, then the set is Stalled (DagOperationRefused) and asks no more", async () => {
    // Our removal fails and is held (policy Hold) ...
    obshell.cluster.failNextDag.set("t_expired", 1);
    await raw.apply(tenantSet("expired", "t_expired", ["z1", "z2"], { onDagFailure: "Hold" }));
    const held = await stalledWith("expired", "DagFailed");
    const ours = held.status?.operation?.dagId ?? "";
    expect(ours).not.toBe("");
    // ... a person's own DAG then runs on the tenant and ends: it took the tenant's lock after ours.
    const theirs = obshell.cluster.addReplicas("t_expired", [
      { name: "z4", unit_config_name: "t_expired_unit", unit_num: 1 },
    ]);
    await eventually("the person's DAG succeeded", () => theirs.state === "SUCCEED");
    // Now the policy allows RETRY: the agent answers Task.Expired.
    await raw.apply(
      tenantSet("expired", "t_expired", ["z1", "z2"], { onDagFailure: "Retry", maxDagRetries: 3 }),
    );
    const stalled = await stalledWith("expired", "DagOperationRefused");
    expect(stalled.status?.operation?.refused).toMatchObject({
      dagId: ours,
      operator: "RETRY",
      code: "Task.Expired",
    });
    expect(stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message).toMatch(
      /Task\.Expired.*PASS/,
    );
    await heldWithoutAsking(ours, 3);
    const asked = operations(ours);
    expect(asked.map((e) => [e.body, e.status])).toEqual([[{ operator: "RETRY" }, 500]]);
    expect(asked[0]?.handled?.body).toMatchObject({ error: { errCode: "Task.Expired" } });
    expect(await eventsOf("expired", "DagOperationRefused")).toHaveLength(1);
  });

  it("ROLLBACK of a removal that failed at 'Drop resource pools' is sent once, then Stalled and held", async () => {
    obshell.cluster.failNextDag.set("t_norollback", 2);
    await raw.apply(tenantSet("norollback", "t_norollback", ["z1", "z2"], { onDagFailure: "Rollback" }));
    const stalled = await stalledWith("norollback", "DagOperationRefused");
    const ours = stalled.status?.operation?.dagId ?? "";
    expect(stalled.status?.operation?.refused).toMatchObject({
      dagId: ours,
      operator: "ROLLBACK",
      code: "Task.Dag.Operator.RollbackNotAllowed",
    });
    await heldWithoutAsking(ours, 3);
    expect(operations(ours).map((e) => [e.body, e.status])).toEqual([[{ operator: "ROLLBACK" }, 400]]);
    // The DAG is untouched: still FAILED at its pool node, for a person to operate.
    expect(obshell.cluster.dagDto(obshell.cluster.findDag(ours), false)).toMatchObject({
      state: "FAILED",
      operator: "RUN",
      stage: 2,
    });
  });
});
