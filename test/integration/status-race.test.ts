// A spec change racing a status write: the reconcile decided for the old spec, the spec moved, the
// status PUT got 409 and was retried on the fresh object. The status it writes was computed for the old
// spec, so it must carry the old generation: the real `kubectl wait --for=condition=Ready` must not
// accept it for the new spec.
import { execFile } from "node:child_process";
import { Watch } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OperatorMetrics } from "../../src/observability/metrics.js";
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
const PASSWORD = "race-root-password";
const TENANT = "t_race";
let ns = "";
let obshell: ObshellSimulator;
let operator: Operator;
const metrics = new OperatorMetrics({ defaultMetrics: false });
const log = captureLog();

type Condition = { type: string; status: string; reason: string; observedGeneration?: number };
type SetObject = RawObject & {
  metadata: { generation: number; resourceVersion: string };
  status?: { phase?: string; observedGeneration?: number; conditions?: Condition[] };
};

const path = () => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/race`;
const get = () => raw.call<SetObject>("GET", path());
const ready = (o: SetObject) => o.status?.conditions?.find((c) => c.type === "Ready");
const conditionIs = (o: SetObject, type: string, reason: string) =>
  o.status?.conditions?.some(
    (c) =>
      c.type === type &&
      c.status === "True" &&
      c.reason === reason &&
      c.observedGeneration === o.metadata.generation,
  ) ?? false;

/** The real kubectl against the harness API server; resolves with its exit code and output. */
function kubectlWaitReady(timeoutSeconds: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "kubectl",
      [
        "--kubeconfig",
        kubeconfig,
        "--context",
        "admin",
        "-n",
        ns,
        "wait",
        "--for=condition=Ready",
        `--timeout=${timeoutSeconds}s`,
        "tenantreplicaset/race",
      ],
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "race");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: [{ name: TENANT, zones: ["z1", "z2"] }],
    },
  });
  await obshell.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: "unused", secretKey: "unused" });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  operator = startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    metrics,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await raw.close();
});

describe("a spec change racing a status write", () => {
  it("never lets kubectl wait accept a Ready computed for the older spec", async () => {
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name: "race", namespace: ns },
      spec: {
        ...connectionRef("obshell"),
        tenant: TENANT,
        zones: ["z1", "z2"],
        pollInterval: "1s",
      },
    });
    await eventually("Ready for generation 1", async () => conditionIs(await get(), "Ready", "Converged"));
    // The tenant leaves NORMAL: generation 1 stalls, so a later Ready for it is a real status change.
    const tenant = obshell.cluster.tenants.get(TENANT);
    if (!tenant) throw new Error("seeded tenant missing");
    tenant.status = "LOCKED";
    await eventually("Stalled (TenantNotNormal)", async () =>
      conditionIs(await get(), "Stalled", "TenantNotNormal"),
    );

    // The next poll's read of the tenant is held at the simulator, so the reconcile of generation 1 is
    // in flight while the spec changes. It will see the tenant NORMAL again and decide Ready.
    const writesBefore = (await metrics.statusWrites.get()).values;
    const conflictsBefore = writesBefore.find((v) => v.labels.outcome === "conflict")?.value ?? 0;
    const heldAt = obshell.log.length;
    obshell.addFault({
      method: "GET",
      path: new RegExp(`/tenants?/${TENANT}$`),
      kind: "latency",
      latencyMs: 2000,
      times: 1,
    });
    await eventually(
      "the held tenant read arriving",
      () => obshell.log.slice(heldAt).some((e) => e.method === "GET" && e.path.endsWith(`/${TENANT}`)),
      10_000,
    );
    tenant.status = "NORMAL";

    // Every version of the object from here on, as a watch sees it (kubectl wait watches too).
    const seen: SetObject[] = [];
    const watch = await new Watch(kubeConfigFor(kubeconfig)).watch(
      `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`,
      { fieldSelector: "metadata.name=race" },
      (_type, object: SetObject) => void seen.push(object),
      () => {},
    );
    // Generation 2 asks for a zone the tenant has no replica in: it can never be Ready.
    const patched = await raw.call<SetObject>(
      "PATCH",
      path(),
      { spec: { zones: ["z1", "z2", "z3"] } },
      "application/merge-patch+json",
    );
    expect(patched.metadata.generation).toBe(2);
    const waited = kubectlWaitReady(6);

    await eventually(
      "generation 2 Stalled (DesiredZoneMissing)",
      async () => conditionIs(await get(), "Stalled", "DesiredZoneMissing"),
      15_000,
    );
    const result = await waited;
    watch.abort();

    // kubectl never accepted a Ready: it timed out.
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toContain("timed out");
    // The race happened: a status write conflicted, and the Ready decided for generation 1 was written
    // onto the object whose generation is 2, labelled with generation 1.
    const conflicts =
      (await metrics.statusWrites.get()).values.find((v) => v.labels.outcome === "conflict")?.value ?? 0;
    expect(conflicts).toBeGreaterThan(conflictsBefore);
    const staleReady = seen.filter((o) => o.metadata.generation === 2 && ready(o)?.status === "True");
    expect(staleReady.length).toBeGreaterThan(0);
    for (const o of staleReady) {
      expect(ready(o)?.observedGeneration).toBe(1);
      expect(o.status?.observedGeneration).toBe(1);
    }
  });

  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
