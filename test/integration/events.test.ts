// Events about one object are aggregated (a repeat bumps the count) and rate-limited like client-go's
// EventSourceObjectSpamFilter: 25 at once, then one per five minutes; a repeat that gets through
// carries every occurrence, the dropped ones included.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EventRecorder, SPAM_BURST, SPAM_REFILL_MS } from "../../src/controller/events.js";
import { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { kubeConfigVia, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi } from "../harness/raw-api.js";

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

async function configMap(name: string): Promise<KubeObject> {
  const created = await raw.call<KubeObject>("POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
  });
  return { ...created, apiVersion: "v1", kind: "ConfigMap" };
}

async function eventsAbout(name: string): Promise<{ reason: string; message: string; count: number }[]> {
  const list = await raw.call<{ items: { reason: string; message: string; count: number }[] }>(
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
