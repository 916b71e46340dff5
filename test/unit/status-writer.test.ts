// The status writer over real HTTP against a one-object stand-in for the status subresource that keeps
// resourceVersion like the API server does (PUT with a stale one gets 409). The integration project
// checks the same writer against the real API server; this one runs fast enough for mutation testing.
import { createServer, type Server } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeApiError, KubeHttp } from "../../src/controller/kube-http.js";
import type { ResourceType } from "../../src/controller/resource.js";
import { StatusWriter } from "../../src/controller/status-writer.js";

const TYPE: ResourceType = {
  group: "dbfleet.io",
  version: "v1alpha1",
  plural: "tenantreplicasets",
  kind: "TenantReplicaSet",
  namespaced: true,
};
const PATH = "/apis/dbfleet.io/v1alpha1/namespaces/prod/tenantreplicasets/orders";

type Obj = {
  metadata: { name: string; namespace: string; resourceVersion: string; generation: number };
  spec: { zones: string[] };
  status?: { phase?: string; zones?: string[] };
};

let server: Server;
let stored: Obj;
let requests: { method: string; url: string; body?: Obj }[];
/** Answer the next N status PUTs with this code (or cut the connection) whatever they carry. */
let forced: { status: number | "reset"; times: number };
let http: KubeHttp;

beforeEach(async () => {
  stored = {
    metadata: { name: "orders", namespace: "prod", resourceVersion: "1", generation: 1 },
    spec: { zones: ["z1"] },
  };
  requests = [];
  forced = { status: 0, times: 0 };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? (JSON.parse(text) as Obj) : undefined;
      requests.push({ method: req.method ?? "", url: req.url ?? "", ...(body ? { body } : {}) });
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method === "GET" && req.url === PATH) return reply(200, stored);
      if (req.method === "PUT" && req.url === `${PATH}/status` && body) {
        if (forced.times > 0) {
          forced.times--;
          if (forced.status === "reset") return void req.socket.destroy();
          return reply(forced.status, { kind: "Status", reason: "Forced", message: "forced reply" });
        }
        if (body.metadata.resourceVersion !== stored.metadata.resourceVersion)
          return reply(409, { kind: "Status", reason: "Conflict", message: "the object has been modified" });
        // Like the API server: the status subresource ignores everything but status.
        stored = {
          ...stored,
          metadata: {
            ...stored.metadata,
            resourceVersion: String(Number(stored.metadata.resourceVersion) + 1),
          },
          ...(body.status === undefined ? {} : { status: body.status }),
        };
        return reply(200, stored);
      }
      reply(404, { kind: "Status", reason: "NotFound", message: `${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  http = new KubeHttp({
    server: `http://127.0.0.1:${address.port}`,
    headers: async () => ({}),
    dispatcher: async () => undefined,
    close: async () => {},
  });
});

afterEach(async () => {
  await http.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Someone else changes the object: its resourceVersion moves (a spec edit, another writer). */
function changeBehindOurBack(patch: Partial<Obj>): void {
  stored = {
    ...stored,
    ...patch,
    metadata: { ...stored.metadata, resourceVersion: String(Number(stored.metadata.resourceVersion) + 1) },
  };
}

function recorder() {
  const outcomes: string[] = [];
  return { outcomes, observer: { onStatusWrite: (_r: string, o: string) => void outcomes.push(o) } };
}

describe("status writer", () => {
  it("writes only the status subresource, once, and returns the object as stored", async () => {
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    const copy = structuredClone(stored);
    const result = await writer.update(TYPE, copy, () => ({ phase: "Ready" }));
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`PUT ${PATH}/status`]);
    expect(requests[0]?.body).toEqual({ ...copy, status: { phase: "Ready" } });
    expect(result).toEqual(stored);
    expect(result.metadata.resourceVersion).toBe("2");
    expect(outcomes).toEqual(["written"]);
  });

  it("sends nothing when the computed status equals the stored one", async () => {
    stored.status = { phase: "Ready", zones: ["z1"] };
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    const copy = structuredClone(stored);
    const result = await writer.update(TYPE, copy, () => ({ phase: "Ready", zones: ["z1"] }));
    expect(result).toBe(copy);
    expect(requests).toEqual([]);
    expect(outcomes).toEqual(["unchanged"]);
  });

  it("after a 409 reads the object again and recomputes the status from the fresh copy", async () => {
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    const stale = structuredClone(stored);
    changeBehindOurBack({ spec: { zones: ["z1", "z2"] }, status: { phase: "Other" } });
    const seen: Obj[] = [];
    const result = await writer.update(TYPE, stale, (current) => {
      seen.push(current);
      return { ...current.status, zones: current.spec.zones };
    });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `PUT ${PATH}/status`,
      `GET ${PATH}`,
      `PUT ${PATH}/status`,
    ]);
    expect(seen.map((o) => o.metadata.resourceVersion)).toEqual(["1", "2"]);
    expect(requests[2]?.body?.metadata.resourceVersion).toBe("2");
    expect(result.status).toEqual({ phase: "Other", zones: ["z1", "z2"] });
    expect(outcomes).toEqual(["conflict", "written"]);
  });

  it("stops after the fresh copy already carries the status", async () => {
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    const stale = structuredClone(stored);
    changeBehindOurBack({ status: { phase: "Ready" } });
    const result = await writer.update(TYPE, stale, () => ({ phase: "Ready" }));
    expect(requests.map((r) => r.method)).toEqual(["PUT", "GET"]);
    expect(result).toEqual(stored);
    expect(outcomes).toEqual(["conflict", "unchanged"]);
  });

  it("gives up after the given number of conflicting attempts with the API server's error", async () => {
    const writer = new StatusWriter(http);
    forced = { status: 409, times: 100 };
    const error = await writer
      .update(TYPE, structuredClone(stored), () => ({ phase: "Ready" }), 3)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(409);
    expect(requests.filter((r) => r.method === "PUT").length).toBe(3);
    expect(requests.filter((r) => r.method === "GET").length).toBe(2);
  });

  it("tries five times by default", async () => {
    const writer = new StatusWriter(http);
    forced = { status: 409, times: 100 };
    await expect(writer.update(TYPE, structuredClone(stored), () => ({ phase: "Ready" }))).rejects.toThrow(
      KubeApiError,
    );
    expect(requests.filter((r) => r.method === "PUT").length).toBe(5);
  });

  it("does not retry an error other than a conflict", async () => {
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    forced = { status: 422, times: 1 };
    const error = await writer
      .update(TYPE, structuredClone(stored), () => ({ phase: "Ready" }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as KubeApiError).status).toBe(422);
    expect(requests.length).toBe(1);
    expect(outcomes).toEqual([]);
  });

  it("does not retry a failure that is not an answer from the API server", async () => {
    const { outcomes, observer } = recorder();
    const writer = new StatusWriter(http, observer);
    forced = { status: "reset", times: 1 };
    const error = await writer
      .update(TYPE, structuredClone(stored), () => ({ phase: "Ready" }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(KubeApiError);
    expect(requests.map((r) => r.method)).toEqual(["PUT"]);
    expect(outcomes).toEqual([]);
  });
});
