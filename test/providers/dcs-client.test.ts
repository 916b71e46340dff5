import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DcsClient, type ListFilters } from "../../src/providers/dcs/client.js";
import { computeSignature, sdkDate } from "../../src/providers/dcs/signer.js";
import {
  AuthError,
  BadRequestError,
  InconsistentListingError,
  NotFoundError,
  ProtocolError,
  RemoteError,
  ServerError,
  ThrottledError,
} from "../../src/providers/errors.js";
import { eventually } from "../harness/engine.js";
import type { SimInstanceInput } from "../simulators/dcs/instances.js";
import { DcsSimulator } from "../simulators/dcs/server.js";

const AK = "AKTESTDCS000000000001";
const SK = "SKtestSecretKey0000000000000000000000abcd";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

let sim: DcsSimulator;
let sleeps: number[];
const clients: DcsClient[] = [];

function fleet(n: number): SimInstanceInput[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `cache-eu-${i + 1}`,
    tags: { team: i % 2 ? "checkout" : "search" },
  }));
}

function client(overrides: Partial<ConstructorParameters<typeof DcsClient>[0]> = {}): DcsClient {
  const c = new DcsClient({
    endpoint: sim.url,
    projectId: PROJECT,
    auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: SK }) },
    pageSize: 10,
    timeoutMs: 2000,
    retry: {
      attempts: 3,
      baseMs: 100,
      maxMs: 1000,
      random: () => 1,
      sleep: async (ms) => void sleeps.push(ms),
    },
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function caught(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RemoteError)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

beforeEach(async () => {
  sleeps = [];
  sim = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    tokens: ["iam-token-abc"],
    projects: {
      [PROJECT]: [
        ...fleet(23),
        { name: "cache-eu-frozen", status: "FROZEN" },
        { name: "cache-eu-yearly", chargingMode: 1 },
        { name: "cache-eu-broken", status: "CREATEFAILED" },
      ],
    },
    // Long enough that the GET right after the DELETE still sees DELETING on a loaded machine; the
    // test then waits for the instance to leave rather than sleeping past this delay.
    deleteDelayMs: 500,
  });
  await sim.start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await sim.stop();
});

describe("DCS client listing", () => {
  it("reads every page with offset += items received, signed", async () => {
    const listing = await client().listInstances();
    expect(listing.instances.length).toBe(25);
    expect(listing.pages).toBe(3);
    const lists = sim.log.filter((e) => e.method === "GET");
    expect(lists.map((e) => new URLSearchParams(e.query).get("offset"))).toEqual(["0", "10", "20"]);
    expect(
      lists.every((e) => String(e.headers.authorization).startsWith("SDK-HMAC-SHA256 Access=AKTESTDCS")),
    ).toBe(true);
    expect(lists.every((e) => e.headers["x-project-id"] === PROJECT)).toBe(true);
  });

  it("passes the spec's filters", async () => {
    const listing = await client().listInstances({ tags: { team: "checkout" }, name: "cache-eu-1" });
    expect(listing.instances.map((i) => i.name).sort()).toEqual([
      "cache-eu-10",
      "cache-eu-12",
      "cache-eu-14",
      "cache-eu-16",
      "cache-eu-18",
    ]);
    expect(new URLSearchParams(sim.log[0]?.query).get("tags")).toBe("team=checkout");
  });

  // Each filter under the name DCS documents: a misspelt parameter is ignored by DCS, and the listing
  // silently widens to instances the caller meant to leave out.
  it.each<[string, (all: { name: string; instance_id: string; ip?: unknown }[]) => ListFilters, string[]]>([
    ["name_equal", () => ({ name: "cache-eu-1", nameEqual: true }), ["cache-eu-1"]],
    ["status", () => ({ status: "FROZEN" }), ["cache-eu-frozen"]],
    [
      "instance_id",
      (all) => ({ instanceId: all.find((i) => i.name === "cache-eu-7")?.instance_id ?? "" }),
      ["cache-eu-7"],
    ],
    ["ip", (all) => ({ ip: String(all.find((i) => i.name === "cache-eu-12")?.ip) }), ["cache-eu-12"]],
    ["include_failure", () => ({ name: "cache-eu-b", includeFailure: true }), ["cache-eu-broken"]],
    ["two tags", () => ({ tags: { team: "checkout", missing: "x" } }), []],
  ])("passes %s under DCS's name", async (_, filters, want) => {
    const listing = await client().listInstances(filters(sim.instances(PROJECT)));
    expect(listing.instances.map((i) => i.name).sort()).toEqual(want);
  });

  it("without include_failure an instance that failed to be created is not listed; include_delete lists the deleted", async () => {
    const c = client();
    expect((await c.listInstances({ name: "cache-eu-b" })).instances).toEqual([]);
    const [gone] = (await c.listInstances({ name: "cache-eu-3", nameEqual: true })).instances;
    await c.batchDelete([gone?.instance_id ?? ""]);
    await eventually(
      "the deleted instance leaves the list",
      async () => !(await c.listInstances()).instances.some((i) => i.instance_id === gone?.instance_id),
      5_000,
    );
    const withDeleted = await c.listInstances({ name: "cache-eu-3", nameEqual: true, includeDelete: true });
    expect(withDeleted.instances.map((i) => [i.name, i.status])).toEqual([["cache-eu-3", "DELETED"]]);
  });

  it("lists again when a page shifts, and accepts two consecutive listings with the same ids", async () => {
    sim.shiftPages = 1;
    const listing = await client().listInstances();
    expect(listing.instances.length).toBe(26);
    expect(new Set(listing.instances.map((i) => i.instance_id)).size).toBe(26);
    // One shifted listing, then two that agree.
    expect(sim.log.filter((e) => e.query.includes("offset=0&")).length).toBe(3);
  });

  it("reports a listing that never settles as inconsistent, never as a partial list", async () => {
    sim.shiftPages = 1000;
    const error = await caught(client().listInstances());
    expect(error).toBeInstanceOf(InconsistentListingError);
    expect(error.retryable).toBe(true);
  });

  it.each<[string, (s: DcsSimulator) => void, string]>([
    // A new instance pushed onto the first page while later pages are read: the last of a page comes again.
    [
      "a page shifts on every listing",
      (s) => {
        s.shiftPages = 1000;
      },
      "instance(s) appeared on two pages",
    ],
    // DCS dropped one item of a full page: the read stops early, short of what instance_num says.
    [
      "every first page is one short",
      (s) => {
        s.shortPages = 1000;
      },
      "instance_num 25 but 9 collected",
    ],
  ])("a listing that never settles (%s) says why in its error", async (_, fault, why) => {
    fault(sim);
    const error = await caught(client().listInstances());
    expect(error).toBeInstanceOf(InconsistentListingError);
    expect(error.message).toContain(`did not settle after 4 listings (`);
    expect(error.message).toContain(why);
  });

  it("a short page with an unchanged instance_num once, then two agreeing listings: accepted whole", async () => {
    sim.shortPages = 1;
    const listing = await client().listInstances();
    expect(listing.instances.length).toBe(25);
    expect(sim.log.filter((e) => e.method === "GET" && e.query.includes("offset=0&")).length).toBe(3);
  });

  it("asks for at most 1000 a page, whatever pageSize it was given", async () => {
    await client({ pageSize: 5000 }).listInstances();
    expect(new URLSearchParams(sim.log[0]?.query).get("limit")).toBe("1000");
  });

  it.each([
    [19, false],
    [20, true],
  ])("maxListItems %i over 25 instances in pages of 10: read whole %s", async (maxListItems, whole) => {
    const read = client({ maxListItems }).listInstances();
    if (whole) expect((await read).instances).toHaveLength(25);
    else expect((await caught(read)).message).toContain(`${maxListItems} instances`);
  });

  it("never reads 'no instances' from a broken reply", async () => {
    sim.addFault({ method: "GET", kind: "malformed" });
    expect(await caught(client().listInstances())).toBeInstanceOf(ProtocolError);
    sim.http.clearFaults();
    sim.addFault({ method: "GET", kind: "html", status: 502 });
    expect(await caught(client().listInstances())).toBeInstanceOf(ServerError);
    sim.http.clearFaults();
    sim.addFault({ method: "GET", kind: "truncate" });
    expect((await caught(client().listInstances())).kind).toBe("transport");
  });

  it("refuses a 200 of an unexpected shape with the field named", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req-123" });
      res.end(JSON.stringify({ instances: [{ name: "x" }], instance_num: 1 }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const address = server.address();
    const odd = client({
      endpoint: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    });
    const error = await caught(odd.listInstances());
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("instances[0].instance_id");
    expect(error.message).toContain("request req-123");
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe("DCS client deletes", () => {
  it("returns each instance's outcome of a partial batch; deleted instances leave the list later", async () => {
    const c = client();
    const all = (await c.listInstances()).instances;
    const byName = (n: string) => all.find((i) => i.name === n)?.instance_id ?? "";
    const ids = [byName("cache-eu-1"), byName("cache-eu-frozen"), byName("cache-eu-yearly"), "no-such-id"];
    const results = await c.batchDelete(ids, { recycle: true });
    expect(results).toEqual([
      { result: "success", instance: ids[0] },
      { result: "failed", instance: ids[1] },
      { result: "failed", instance: ids[2] },
      { result: "failed", instance: "no-such-id" },
    ]);
    const body = sim.log.find((e) => e.method === "DELETE")?.body;
    expect(body).toEqual({ instances: ids, is_recycle: true });
    expect((await c.getInstance(ids[0] ?? "")).status).toBe("DELETING");
    await eventually(
      "the deleted instance leaves the list",
      async () => !(await c.listInstances()).instances.some((i) => i.instance_id === ids[0]),
      5_000,
    );
    expect(await caught(c.getInstance(ids[0] ?? ""))).toBeInstanceOf(NotFoundError);
    expect(sim.recycled).toEqual([ids[0]]);
  });

  it("never sends all_failure, and keeps batches within 50", async () => {
    const c = client();
    await expect(c.batchDelete(Array.from({ length: 51 }, (_, i) => `id-${i}`))).rejects.toThrow(RangeError);
    await c.batchDelete(["id-1"]);
    expect(sim.log.filter((e) => e.method === "DELETE").every((e) => !e.query.includes("all_failure"))).toBe(
      true,
    );
    expect(sim.instances(PROJECT).some((i) => i.name === "cache-eu-broken")).toBe(true);
  });

  it("gets the simulator's 400 when a batch is over its limit", async () => {
    await sim.stop();
    sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: SK }],
      projects: { [PROJECT]: fleet(5) },
      batchLimit: 2,
    });
    await sim.start();
    const error = await caught(client().batchDelete(["a", "b", "c"]));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.remoteCode).toBe("DCS.4800");
  });

  it("does not retry a batch delete that failed on the server", async () => {
    sim.addFault({ method: "DELETE", kind: "status", status: 500 });
    expect(await caught(client().batchDelete(["x"]))).toBeInstanceOf(ServerError);
    expect(sim.log.filter((e) => e.method === "DELETE").length).toBe(1);
  });
});

describe("DCS client throttling and auth", () => {
  it("backs off on 429 and honours Retry-After", async () => {
    sim.addFault({ method: "GET", kind: "throttle", times: 1, headers: { "Retry-After": "3" } });
    sim.addFault({ method: "GET", kind: "throttle", times: 1 });
    expect((await client().listInstances()).instances.length).toBe(25);
    expect(sleeps).toEqual([3000, 200]);
  });

  it("retries a throttled batch delete (the gateway refused it before DCS acted)", async () => {
    sim.addFault({ method: "DELETE", kind: "throttle", times: 1 });
    const id = sim.instances(PROJECT)[0]?.instance_id ?? "";
    expect(await client().batchDelete([id])).toEqual([{ result: "success", instance: id }]);
    expect(sim.log.filter((e) => e.method === "DELETE").map((e) => e.status)).toEqual([429, 200]);
  });

  it("throttles by a token bucket per project", async () => {
    await sim.stop();
    sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: SK }],
      projects: { [PROJECT]: fleet(3) },
      rateLimit: { perSecond: 0.001, burst: 2 },
    });
    await sim.start();
    const c = client({ retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
    await c.getInstance(sim.instances(PROJECT)[0]?.instance_id ?? "");
    await c.getInstance(sim.instances(PROJECT)[0]?.instance_id ?? "");
    const error = await caught(c.getInstance(sim.instances(PROJECT)[0]?.instance_id ?? ""));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.remoteCode).toBe("APIGW.0308");
  });

  it("fails a bad signature once, without retrying, and never shows the secret key", async () => {
    const wrong = client({
      auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: "SKwrong-secret-value-123" }) },
    });
    const error = await caught(wrong.listInstances());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.remoteCode).toBe("APIGW.0301");
    expect(sim.log.length).toBe(1);
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toMatch(/SKwrong|SKtest/);
  });

  it("locks the AK after five failed signatures in a row", async () => {
    const wrong = client({
      auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: "bad" }) },
    });
    for (let i = 0; i < 5; i++) await caught(wrong.getInstance("x"));
    const locked = await caught(client().getInstance("x"));
    expect(locked).toBeInstanceOf(AuthError);
    expect(locked.remoteMessage).toContain("locked");
  });

  it("refuses a request dated outside the 15-minute window", async () => {
    const skewed = client({ now: () => new Date(Date.now() - 20 * 60_000) });
    expect(await caught(skewed.listInstances())).toBeInstanceOf(AuthError);
  });

  it("accepts an IAM token instead of a signature", async () => {
    const listing = await client({ auth: { kind: "token", token: () => "iam-token-abc" } }).listInstances();
    expect(listing.instances.length).toBe(25);
    expect(
      await caught(client({ auth: { kind: "token", token: () => "stale" } }).listInstances()),
    ).toBeInstanceOf(AuthError);
  });

  it("verifies over the headers named in SignedHeaders (the Go SDK signs fewer)", async () => {
    // The Go SDK signs neither host nor content-type, and adds X-Project-Id after signing.
    const url = new URL(`${sim.url}/v2/${PROJECT}/instances?limit=5&offset=0`);
    const date = sdkDate(new Date());
    const parts = computeSignature({ method: "GET", url, headers: { "x-sdk-date": date } }, SK, date);
    const res = await fetch(url, {
      headers: {
        "X-Sdk-Date": date,
        "X-Project-Id": PROJECT,
        Authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${parts.signedHeaders}, Signature=${parts.signature}`,
      },
    });
    expect(parts.signedHeaders).toBe("x-sdk-date");
    expect(res.status).toBe(200);
  });
});

/** A one-route HTTP server answering every request with `answer`; the paths it was asked, in order. */
async function stub(
  answer: (res: import("node:http").ServerResponse) => void,
): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("DCS client: what a person and the metrics read of each call", () => {
  it("honours Retry-After given as an HTTP date: the wait until then, none when it is past", async () => {
    // Whole seconds (an HTTP date has no finer unit), near the real clock (the signature's window).
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const c = client({ now: () => at });
    sim.addFault({
      method: "GET",
      kind: "throttle",
      times: 1,
      headers: { "Retry-After": new Date(at.getTime() + 3000).toUTCString() },
    });
    sim.addFault({
      method: "GET",
      kind: "throttle",
      times: 1,
      headers: { "Retry-After": new Date(at.getTime() - 60_000).toUTCString() },
    });
    expect((await c.listInstances()).instances.length).toBe(25);
    expect(sleeps).toEqual([3000, 0]);
  });

  it("a Retry-After that is neither seconds nor a date is ignored: the usual backoff", async () => {
    sim.addFault({ method: "GET", kind: "throttle", times: 1, headers: { "Retry-After": "soon" } });
    expect((await client().listInstances()).instances.length).toBe(25);
    expect(sleeps).toEqual([100]);
  });

  it("reports every request to onRequest: provider, operation, HTTP status, or error when none came", async () => {
    const seen: { provider: string; operation: string; status: number | "error" }[] = [];
    const c = client({
      onRequest: ({ provider, operation, status }) => seen.push({ provider, operation, status }),
    });
    await c.listInstances();
    await caught(c.getInstance("no-such-id"));
    // The connection reset before any reply: no status to report.
    sim.addFault({ method: "GET", kind: "reset", times: 3 });
    await caught(c.getInstance("no-such-id"));
    const list = `GET /v2/${PROJECT}/instances`;
    const get = `GET /v2/${PROJECT}/instances/no-such-id`;
    expect(seen).toEqual([
      { provider: "dcs", operation: list, status: 200 },
      { provider: "dcs", operation: list, status: 200 },
      { provider: "dcs", operation: list, status: 200 },
      { provider: "dcs", operation: get, status: 404 },
      { provider: "dcs", operation: get, status: "error" },
      { provider: "dcs", operation: get, status: "error" },
      { provider: "dcs", operation: get, status: "error" },
    ]);
  });

  it.each<[string, string, string]>([
    ["a JSON body of an unknown shape", JSON.stringify({ oops: true }), "error body of an unknown shape"],
    ["a body that is not JSON", "<html>bad gateway</html>", "non-JSON error body (24 bytes)"],
    [
      "a DCS error body carrying the request id",
      JSON.stringify({ error_code: "DCS.4800", error_msg: "bad", request_id: "req-77" }),
      "DCS.4800 refused: bad (request req-77)",
    ],
  ])("an error answered with %s says so", async (_, body, said) => {
    const server = await stub((res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(body);
    });
    try {
      const error = await caught(client({ endpoint: server.url }).batchDelete(["x"]));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toContain(said);
    } finally {
      await server.close();
    }
  });

  it("keeps the endpoint's path as a prefix (a gateway in front of DCS), once, without a doubled slash", async () => {
    const server = await stub((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ instances: [], instance_num: 0 }));
    });
    try {
      await client({ endpoint: `${server.url}/dcs-gw/` }).listInstances();
      await client({ endpoint: `${server.url}/dcs-gw` }).listInstances();
      expect(server.paths.map((p) => p.split("?")[0])).toEqual([
        `/dcs-gw/v2/${PROJECT}/instances`,
        `/dcs-gw/v2/${PROJECT}/instances`,
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("DCS client: what is retried, and what a delete never assumes", () => {
  it.each<[string, Parameters<DcsSimulator["addFault"]>[0]]>([
    ["a malformed reply", { method: "GET", kind: "malformed", times: 1 }],
    ["a gateway's 502 page", { method: "GET", kind: "html", status: 502, times: 1 }],
    ["a connection reset", { method: "GET", kind: "reset", times: 1 }],
    ["a throttle", { method: "GET", kind: "throttle", times: 1 }],
  ])("a listing read again after %s", async (_, fault) => {
    sim.addFault(fault);
    expect((await client().listInstances()).instances).toHaveLength(25);
  });

  it("a batch DELETE whose connection reset is not sent again: the outcome is unknown, not refused", async () => {
    const [victim] = (await client().listInstances({ name: "cache-eu-2", nameEqual: true })).instances;
    sim.addFault({ method: "DELETE", kind: "reset", times: 1 });
    expect((await caught(client().batchDelete([victim?.instance_id ?? ""]))).kind).toBe("transport");
    expect(sim.log.filter((e) => e.method === "DELETE")).toHaveLength(1);
  });

  it("a single DELETE throttled by the gateway is sent again", async () => {
    const [victim] = (await client().listInstances({ name: "cache-eu-4", nameEqual: true })).instances;
    sim.addFault({ method: "DELETE", kind: "throttle", times: 1 });
    await client().deleteInstance(victim?.instance_id ?? "");
    expect(sim.log.filter((e) => e.method === "DELETE")).toHaveLength(2);
    expect((await client().getInstance(victim?.instance_id ?? "")).status).toBe("DELETING");
  });

  it("a batch DELETE answered 204 (no results) is a protocol error, never taken as every instance deleted", async () => {
    const server = await stub((res) => {
      res.writeHead(204);
      res.end();
    });
    try {
      const error = await caught(client({ endpoint: server.url }).batchDelete(["a", "b"]));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.message).toContain("batch delete answered with no body");
      const read = await caught(client({ endpoint: server.url }).getInstance("a"));
      expect(read).toBeInstanceOf(ProtocolError);
      expect(read.message).toContain("answered with no body");
    } finally {
      await server.close();
    }
  });

  it("a body is declared JSON; the request id of the reply's header wins over the body's", async () => {
    await client().batchDelete(["no-such-id"]);
    const [del] = sim.log.filter((e) => e.method === "DELETE");
    expect(del?.headers["content-type"]).toBe("application/json");
    expect(sim.log.find((e) => e.method === "GET")).toBeUndefined();
    await client().listInstances();
    expect(sim.log.find((e) => e.method === "GET")?.headers["content-type"]).toBeUndefined();
    const server = await stub((res) => {
      res.writeHead(400, { "content-type": "application/json", "x-request-id": "hdr-1" });
      res.end(JSON.stringify({ error_code: "DCS.4800", error_msg: "bad", request_id: "body-1" }));
    });
    try {
      expect((await caught(client({ endpoint: server.url }).batchDelete(["x"]))).requestId).toBe("hdr-1");
    } finally {
      await server.close();
    }
  });

  it("closing a client that was given a shared pool leaves the pool open for the other clients", async () => {
    const { Agent } = await import("undici");
    const shared = new Agent();
    try {
      const a = client({ dispatcher: shared });
      const b = client({ dispatcher: shared });
      await a.listInstances();
      await a.close();
      expect((await b.listInstances()).instances).toHaveLength(25);
    } finally {
      await shared.close();
    }
  });
});
