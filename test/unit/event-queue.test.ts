// Recorded events are queued and written by a few writers, as client-go's broadcaster does (one sink
// goroutine, at most 1000 queued): a thousand sets starting at once must not open a thousand connections.
import { describe, expect, it } from "vitest";
import { EventRecorder, MAX_QUEUED_EVENTS } from "../../src/controller/events.js";
import type { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { createLogger } from "../../src/observability/logger.js";

/** An API server that answers only when told to, counting the writes it holds at once. */
function slowApi() {
  const held: Array<() => void> = [];
  const api = { written: 0, inFlight: 0, mostInFlight: 0 };
  const http = {
    json: async () => {
      api.inFlight++;
      api.mostInFlight = Math.max(api.mostInFlight, api.inFlight);
      await new Promise<void>((resolve) => held.push(resolve));
      api.inFlight--;
      api.written++;
      return {};
    },
  } as unknown as KubeHttp;
  const release = async () => {
    while (held.length > 0) {
      for (const answer of held.splice(0)) answer();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { api, http, release };
}

const set = (i: number): KubeObject => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "RedisInstanceSet",
  metadata: { name: `s${i}`, namespace: "prod", uid: `uid-${i}` },
});

describe("EventRecorder queue", () => {
  const logger = createLogger({ level: "silent" });

  it("a burst from many sets is written by at most two writers at once, every event in the end", async () => {
    const { api, http, release } = slowApi();
    const recorder = new EventRecorder(http, "dbfleet-operator", logger);
    for (let i = 0; i < 300; i++) recorder.record(set(i), "Normal", "RemoteIdentified", "cluster c#1");
    await new Promise((r) => setImmediate(r));
    expect(api.inFlight).toBe(2);
    const flushed = recorder.flushed();
    await release();
    await flushed;
    expect(api.written).toBe(300);
    expect(api.mostInFlight).toBe(2);
    expect(recorder.dropped).toBe(0);
  });

  it(`past ${MAX_QUEUED_EVENTS} waiting, events are dropped and counted, never held without bound`, async () => {
    const { api, http, release } = slowApi();
    const recorder = new EventRecorder(http, "dbfleet-operator", logger);
    const burst = MAX_QUEUED_EVENTS + 2 + 50;
    for (let i = 0; i < burst; i++) recorder.record(set(i), "Normal", "RemoteIdentified", "cluster c#1");
    // Two taken by the writers at once, a thousand waiting, the rest dropped.
    expect(recorder.dropped).toBe(50);
    const flushed = recorder.flushed();
    await release();
    await flushed;
    expect(api.written).toBe(MAX_QUEUED_EVENTS + 2);
  });
});
