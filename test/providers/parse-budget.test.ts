// Issue 25, M1: one remote could crash the operator for every namespace. A reply under the 8 MiB cap made
// of deeply nested or many tiny JSON values grew the process by 240-330 MiB inside JSON.parse. Each shape
// is now answered by a real HTTP server to a client in a fresh process, which must fail clearly with its
// RSS peak less than 32 MiB above where it started (the costliest reply the budget admits: less than 48).
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const CHILD = join(import.meta.dirname, "parse-budget-child.ts");
/** Just under the largest route's byte cap (a DCS listing page, 4 MiB). */
const CAP = 4 * MiB - 16;

/** `head`, then `item` and `sep` repeated while the whole stays under `size`, then `tail`. */
function filled(head: string, item: (i: number) => string, sep: string, tail: string, size = CAP): Buffer {
  const parts: string[] = [head];
  let length = head.length + tail.length;
  for (let i = 0; ; i++) {
    const next = (i === 0 ? "" : sep) + item(i);
    if (length + next.length > size) break;
    parts.push(next);
    length += next.length;
  }
  parts.push(tail);
  return Buffer.from(parts.join(""));
}

/** Counted by values and containers like the meter does, all under the DCS page budget. */
function worstAccepted(): Buffer {
  const empties = Array.from({ length: 19_000 }, () => "{}");
  const strings = Array.from({ length: 175_000 }, (_, i) => `"${i.toString(36)}"`);
  const body = `{"instance_num":0,"instances":[${[...empties, ...strings].join(",")}],"pad":"`;
  const tail = `"}`;
  return Buffer.from(body + "x".repeat(CAP - body.length - tail.length) + tail);
}

/** What a refused shape may cost: it is cut while streaming, before anything is parsed. */
const REFUSED_MIB = 32;
/**
 * What the costliest reply the page budget accepts may cost: its 4 MiB read (chunks, joined, as text), then
 * parsed into 194,000 values (~15 MiB) and checked. Measured 36-40 MiB, of which ~5 is the young
 * generation growing under any reply (a 64 KiB one costs 2-8 MiB).
 */
const ACCEPTED_MIB = 48;

const SHAPES: {
  reason: string;
  route: "dcs-list" | "obshell-info";
  body: () => Buffer;
  error: RegExp;
  boundMiB?: number;
}[] = [
  {
    reason: "arrays nested 4 million deep",
    route: "dcs-list",
    body: () => Buffer.from("[".repeat(CAP)),
    error: /nests deeper than 12 levels/,
  },
  {
    reason: "1.4 million empty objects",
    route: "dcs-list",
    body: () => filled("[", () => "{}", ",", "]"),
    error: /more than 20000 objects and arrays/,
  },
  {
    reason: "2 million zeros",
    route: "dcs-list",
    body: () => filled("[", () => "0", ",", "]"),
    error: /more than 200000 values/,
  },
  {
    reason: "half a million distinct keys in one object",
    route: "dcs-list",
    body: () => filled("{", (i) => `"${i.toString(36)}":0`, ",", "}"),
    error: /more than 200000 values/,
  },
  {
    reason: "every count just under the page budget, padded to 4 MiB with one string",
    route: "dcs-list",
    body: worstAccepted,
    error: /reply does not match/,
    boundMiB: ACCEPTED_MIB,
  },
  {
    reason: "obshell /info: 64 KiB of nesting-free tiny values (a route with a small budget)",
    route: "obshell-info",
    body: () => filled('{"successful":true,"data":{"a":[', () => "0", ",", "]}}", 64 * 1024 - 1),
    error: /more than 2000 values/,
  },
];

let server: Server;
let url = "";
let answer: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  server = createServer((req, res) => {
    // The warm-up asks for one instance: a 404 with a proper error body.
    if (req.url?.includes("warm-up")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error_code":"DCS.3022","error_msg":"not found"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("a reply under the byte cap cannot grow the operator past its parse budget", () => {
  it.each(SHAPES)("$reason", async ({ route, body, error, boundMiB = REFUSED_MIB }) => {
    answer = body();
    const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, url, route], {
      cwd: join(import.meta.dirname, "..", ".."),
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
      message: string;
      rssGrowthMiB: number;
      heapAfterMiB: number;
    };
    console.log(
      `${route}, ${(answer.length / MiB).toFixed(2)} MiB: RSS peak +${result.rssGrowthMiB.toFixed(1)} MiB; ${result.message.slice(0, 120)}`,
    );
    expect(result.message).toMatch(error);
    expect(result.rssGrowthMiB).toBeLessThan(boundMiB);
  });
});
