// Issue 25, L5: a DCS endpoint whose path starts with // sent requests to the host in its path, not the
// one shown (and checked). The client now joins paths to the endpoint's origin.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DcsClient } from "../../src/providers/dcs/client.js";

const servers: Server[] = [];
const seen: Record<"shown" | "other", string[]> = { shown: [], other: [] };

async function listen(name: "shown" | "other"): Promise<number> {
  const server = createServer((req, res) => {
    seen[name].push(req.url ?? "");
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error_code":"DCS.3022","error_msg":"not found"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

let shown = 0;
let other = 0;
beforeAll(async () => {
  shown = await listen("shown");
  other = await listen("other");
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

describe("a DCS endpoint whose path starts with //", () => {
  it("is reached at the host it shows, never at the one in its path", async () => {
    const client = new DcsClient({
      endpoint: `http://127.0.0.1:${shown}//127.0.0.1:${other}/x`,
      projectId: "p1",
      auth: { kind: "aksk", credentials: () => ({ accessKey: "AK", secretKey: "SK" }) },
      retry: { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} },
    });
    await client.getInstance("i-1").catch(() => undefined);
    await client.close();
    expect(seen.other).toEqual([]);
    expect(seen.shown).toEqual([`//127.0.0.1:${other}/x/v2/p1/instances/i-1`]);
  });
});
