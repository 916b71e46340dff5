// Events about one object are aggregated (a repeat bumps the count) and rate-limited like client-go's
// EventSourceObjectSpamFilter: 25 at once, then one per five minutes; a repeat that gets through
// carries every occurrence, the dropped ones included. The operator raises events on change only, so a
// standing warning never uses up the budget of a new Stalled reason (issue 21).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EventRecorder, SPAM_BURST, SPAM_REFILL_MS } from "../../src/controller/events.js";
import { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import { createOperator, type Operator } from "../../src/operator.js";
import { eventually, kubeConfigVia, loopbackConnections, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi } from "../harness/raw-api.js";
import { operatorKubeAccess } from "../harness/recommended-operator.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const http = new KubeHttp(kubeConfigVia(kubeconfig));
let ns = "";

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "events");
});
afterAll(async () => {
  await http.close();
  await raw.close();
});

interface CoreEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
}

async function configMap(name: string): Promise<KubeObject> {
  const created = await raw.call<KubeObject>("POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
  });
  return { ...created, apiVersion: "v1", kind: "ConfigMap" };
}

async function eventsAbout(name: string): Promise<CoreEvent[]> {
  const list = await raw.call<{ items: CoreEvent[] }>(
    "GET",
    `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`,
  );
  return list.items;
}

describe("event recorder", () => {
  it("writes the first 25 events about an object, drops the rest, and lets one through every five minutes", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const recorder = new EventRecorder(http, "dbfleet-test", quietLogger, () => new Date(now));
    const object = await configMap("noisy");
    const quiet = await configMap("quiet");
    const written: boolean[] = [];
    for (let i = 0; i < SPAM_BURST + 5; i++)
      written.push(await recorder.write(object, "Warning", "Failed", `attempt ${i}`));
    expect(written.filter(Boolean)).toHaveLength(SPAM_BURST);
    expect(written.slice(SPAM_BURST)).toEqual([false, false, false, false, false]);
    // Another object has its own bucket.
    expect(await recorder.write(quiet, "Normal", "Converged", "ok")).toBe(true);
    // A repeat of the first event: dropped now, counted, and written with its full count later.
    expect(await recorder.write(object, "Warning", "Failed", "attempt 0")).toBe(false);
    now += SPAM_REFILL_MS;
    expect(await recorder.write(object, "Warning", "Failed", "attempt 0")).toBe(true);
    expect(await recorder.write(object, "Warning", "Failed", "attempt 0")).toBe(false);
    const events = await eventsAbout("noisy");
    expect(events).toHaveLength(SPAM_BURST);
    expect(events.find((e) => e.message === "attempt 0")?.count).toBe(3);
    expect(events.some((e) => e.message === `attempt ${SPAM_BURST}`)).toBe(false);
    expect(recorder.dropped).toBe(5 + 2);
  });
});

describe("a set whose connection allows plain HTTP", () => {
  const PASSWORD = "events-root-password";
  let obshell: ObshellSimulator;
  let operator: Operator | undefined;
  const path = () => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/warned`;
  /** One per reconcile: every pass of a set without an operation reads its tenant. */
  const observes = () =>
    obshell.log.filter((e) => e.method === "GET" && e.path === "/api/v1/tenant/t_events").length;
  const patch = (body: unknown) => raw.call("PATCH", path(), body, "application/merge-patch+json");

  beforeAll(async () => {
    obshell = new ObshellSimulator({
      password: PASSWORD,
      seed: {
        zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
        tenants: [{ name: "t_events", zones: ["z1", "z2", "z3"], primaryZone: "z1" }],
      },
    });
    await obshell.start();
    // As an admin sets it up: the Secret and the connection, then the operator, then the set.
    await raw.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "obshell", namespace: ns },
      stringData: { password: PASSWORD },
    });
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "DatabaseConnection",
      metadata: { name: "obshell", namespace: ns },
      spec: {
        obshell: {
          endpoint: obshell.url,
          credentialsSecretRef: { name: "obshell" },
          allowInsecureHTTP: true,
        },
      },
    });
    operator = createOperator({
      endpointPolicy: loopbackConnections.endpointPolicy,
      kubeConfig: operatorKubeAccess(kubeconfig),
      logger: quietLogger,
      metrics: new OperatorMetrics({ defaultMetrics: false }),
      namespaces: [ns],
    });
    void operator.manager.start();
  }, 60_000);
  afterAll(async () => {
    await operator?.stop(2000);
    await obshell?.stop();
  });

  it("warns once in 30 reconciles, and a new Stalled reason raises its Warning in the reconcile that finds it", async () => {
    // Polls only when the test says so (an annotation change), so every reconcile is counted.
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name: "warned", namespace: ns },
      spec: {
        connectionRef: { name: "obshell" },
        tenant: "t_events",
        zones: ["z1", "z2", "z3"],
        pollInterval: "1h",
      },
    });
    await eventually("warned Ready", async () => {
      const set = await raw.call<{ status?: { phase?: string } }>("GET", path());
      return set.status?.phase === "Ready";
    });
    for (let tick = 1; observes() < 30; tick++) {
      const before = observes();
      await patch({ metadata: { annotations: { "test.dbfleet.io/tick": String(tick) } } });
      await eventually(`reconcile after tick ${tick}`, () => observes() > before);
    }
    const insecure = () =>
      eventsAbout("warned").then((all) => all.filter((e) => e.reason === "InsecureConnection"));
    await eventually("the InsecureConnection warning", async () => (await insecure()).length > 0);
    // Raised once, not bumped per reconcile (each would also have spent a token of the Warnings' budget).
    expect((await insecure()).map((e) => [e.type, e.count])).toEqual([["Warning", 1]]);

    const before = observes();
    await patch({ spec: { zones: ["z1", "z2", "z9"] } });
    await eventually("the DesiredZoneMissing Warning", async () =>
      (await eventsAbout("warned")).some((e) => e.type === "Warning" && e.reason === "DesiredZoneMissing"),
    );
    // Raised by the one reconcile the spec change caused: nothing else has polled since.
    expect(observes()).toBe(before + 1);
    const set = await raw.call<{ status?: { phase?: string; conditions?: { reason: string }[] } }>(
      "GET",
      path(),
    );
    expect(set.status?.phase).toBe("Stalled");
    expect(set.status?.conditions?.[0]?.reason).toBe("DesiredZoneMissing");
    expect((await insecure()).map((e) => e.count)).toEqual([1]);
  }, 120_000);
});
