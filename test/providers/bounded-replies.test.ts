// Remotes that answer too much, list too long, present a strange key or say too much in an error.
import { createHash } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { AuthError, ProtocolError, RemoteError, ServerError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import { ReplyTooLargeError } from "../../src/providers/transport.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const AK = "AKTESTDCS000000000001";
const SK = "SKtestSecretKey0000000000000000000000abcd";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const PASSWORD = "p@ss-Root-9f2";
const noRetry = { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} };
const MiB = 1024 * 1024;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw HTTP server answering every request with `answer`; returns its URL. */
async function fakeRemote(answer: (res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

function dcsClient(endpoint: string, extra: Partial<ConstructorParameters<typeof DcsClient>[0]> = {}) {
  const client = new DcsClient({
    endpoint,
    projectId: PROJECT,
    auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: SK }) },
    timeoutMs: 20_000,
    retry: noRetry,
    ...extra,
  });
  cleanups.push(() => client.close());
  return client;
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RemoteError)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

describe("reply bodies are capped while streaming", () => {
  it("a remote answering 100 MiB (no Content-Length) fails the call clearly and leaves RSS bounded", async () => {
    let sent = 0;
    const chunk = Buffer.alloc(MiB, "x");
    const url = await fakeRemote((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const pump = () => {
        while (sent < 100 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => (sent = Math.min(sent, 100 * MiB)));
      pump();
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const error = await failure(dcsClient(url).listInstances());
    clearInterval(sampler);
    const growthMiB = (peak - before) / MiB;
    console.log(
      `100 MiB reply: RSS grew ${growthMiB.toFixed(1)} MiB at peak; the remote wrote ${(sent / MiB).toFixed(0)} MiB before the cut`,
    );
    expect(error).toBeInstanceOf(ReplyTooLargeError);
    // The listing page's own byte budget (issue 25), under the 8 MiB ceiling of every reply.
    expect(error.message).toContain("over the 4194304-byte limit");
    // 4 MiB of chunks plus socket buffers; reading it whole took the process past 300 MiB.
    expect(growthMiB).toBeLessThan(64);
    expect(sent).toBeLessThan(100 * MiB);
  });

  it("a declared Content-Length over the cap is refused before reading the body", async () => {
    const url = await fakeRemote((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(64 * MiB) });
      res.write("{");
    });
    const error = await failure(dcsClient(url, { maxReplyBytes: MiB }).listInstances());
    expect(error).toBeInstanceOf(ReplyTooLargeError);
    expect(error.message).toContain(`declares ${64 * MiB} bytes`);
  });

  it("obshell replies are capped too", async () => {
    const url = await fakeRemote((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ successful: true, pad: "y".repeat(2 * MiB) }));
    });
    const client = new ObshellClient({
      endpoint: url,
      password: () => PASSWORD,
      retry: noRetry,
      maxReplyBytes: MiB,
    });
    cleanups.push(() => client.close());
    expect(await failure(client.info())).toBeInstanceOf(ReplyTooLargeError);
  });
});

describe("a reply nested past its route's budget (the simulators' oversize fault)", () => {
  it("obshell: a read fails unparsed, and a DELETE whose reply is refused is sent once", async () => {
    const sim = new ObshellSimulator({ password: PASSWORD, stageMs: 10 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
    cleanups.push(() => client.close());
    sim.addFault({ method: "GET", path: /^\/api\/v1\/tenant\/orders$/, kind: "oversize" });
    expect(await failure(client.getTenant("orders"))).toBeInstanceOf(ReplyTooLargeError);
    sim.http.clearFaults();

    sim.addFault({ method: "DELETE", kind: "oversize", phase: "after" });
    expect(await failure(client.deleteReplicas("orders", ["z3"]))).toBeInstanceOf(ReplyTooLargeError);
    const deletes = sim.log.filter((e) => e.method === "DELETE");
    expect(deletes.map((e) => e.executed)).toEqual([true]);
  });

  it("DCS: a listing fails unparsed, and a batch delete whose reply is refused is sent once", async () => {
    const sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: SK }],
      projects: { [PROJECT]: [{ name: "cache-0" }] },
    });
    await sim.start();
    cleanups.push(() => sim.stop());
    const client = dcsClient(sim.url);
    const [instance] = (await client.listInstances()).instances;
    if (!instance) throw new Error("the simulator lists no instance");
    sim.addFault({ method: "GET", kind: "oversize" });
    expect(await failure(client.listInstances())).toBeInstanceOf(ReplyTooLargeError);
    sim.http.clearFaults();

    sim.addFault({ method: "DELETE", kind: "oversize", phase: "after" });
    expect(await failure(client.batchDelete([instance.instance_id]))).toBeInstanceOf(ReplyTooLargeError);
    const deletes = sim.log.filter((e) => e.method === "DELETE");
    expect(deletes.map((e) => e.executed)).toEqual([true]);
  });
});

describe("remote error text", () => {
  it("is a short printable excerpt in the message, whatever the remote says", async () => {
    const url = await fakeRemote((res) => {
      res.writeHead(500, { "content-type": "application/json", "x-request-id": `req-${"r".repeat(2000)}` });
      res.end(
        JSON.stringify({
          error_code: "DCS.5000",
          error_msg: `boom\u0000\u001b[2J\r\nInjected: line${"A".repeat(50_000)}`,
        }),
      );
    });
    const error = await failure(dcsClient(url).getInstance("i-1"));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message.length).toBeLessThanOrEqual(1024);
    expect(error.remoteMessage?.length).toBeLessThanOrEqual(200);
    expect(error.message).toContain("boom [2J Injected: line");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});

describe("DCS listings are capped", () => {
  it("a listing longer than maxListPages fails whole instead of being read for ever", async () => {
    const sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: SK }],
      projects: { [PROJECT]: Array.from({ length: 40 }, (_, i) => ({ name: `cache-${i}` })) },
    });
    await sim.start();
    cleanups.push(() => sim.stop());
    const capped = dcsClient(sim.url, { pageSize: 10, maxListPages: 3 });
    const error = await failure(capped.listInstances());
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain("passed 3 pages");
    expect(sim.log.filter((r) => r.method === "GET").length).toBe(3);
    expect(
      (await dcsClient(sim.url, { pageSize: 10, maxListPages: 5 }).listInstances()).instances,
    ).toHaveLength(40);
    const items = await failure(dcsClient(sim.url, { pageSize: 10, maxListItems: 15 }).listInstances());
    expect(items.message).toContain("15 instances");
  });
});

describe("obshell agent key pinning", () => {
  async function agent() {
    const sim = new ObshellSimulator({ password: PASSWORD, stageMs: 10 });
    await sim.start();
    cleanups.push(() => sim.stop());
    return sim;
  }
  const pinOf = (base64: string) => createHash("sha256").update(Buffer.from(base64, "base64")).digest("hex");

  it("sends no password to an agent whose key is not the pinned one", async () => {
    const sim = await agent();
    const client = new ObshellClient({
      endpoint: sim.url,
      password: () => PASSWORD,
      retry: noRetry,
      pinnedKeySha256: "0".repeat(64),
    });
    cleanups.push(() => client.close());
    const error = await failure(client.getTenant("audit"));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain(`agent public key sha256 ${pinOf(sim.keyPair.publicKeyBase64)}`);
    expect(sim.log.map((r) => r.path)).toEqual(["/api/v1/secret"]);
    expect(sim.log.some((r) => r.headers["x-ocs-header"] !== undefined)).toBe(false);
  });

  it("works with the right pin, in any letter case", async () => {
    const sim = await agent();
    const client = new ObshellClient({
      endpoint: sim.url,
      password: () => PASSWORD,
      retry: noRetry,
      pinnedKeySha256: pinOf(sim.keyPair.publicKeyBase64).toUpperCase(),
    });
    cleanups.push(() => client.close());
    expect((await client.getTenant("audit")).info.tenant_name).toBe("audit");
  });
});
