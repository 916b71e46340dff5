// A control port for a simulator running in its own process (`npm run sim -- ... --control-port N`), so a
// benchmark or a chaos run can read the request log and turn knobs without sharing the simulator's event
// loop. Loopback only; not part of either remote protocol.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { DcsSimulator, DcsUnkindKnobs } from "./dcs/server.js";
import type { LoggedRequest } from "./http-sim.js";
import type { ObshellSimulator } from "./obshell/server.js";

/** A log entry as the control port serves it: no headers, no raw body (they may carry credentials). */
export interface ControlLogEntry {
  at: number;
  repliedAt?: number | undefined;
  monotonicAt: number;
  monotonicRepliedAt?: number | undefined;
  method: string;
  path: string;
  query: string;
  status: number | "reset";
  executed: boolean;
  body?: unknown;
  handled?: { status: number; body?: unknown } | undefined;
}

function entry(e: LoggedRequest): ControlLogEntry {
  return {
    at: e.at,
    repliedAt: e.repliedAt,
    monotonicAt: e.monotonicAt,
    monotonicRepliedAt: e.monotonicRepliedAt,
    method: e.method,
    path: e.path,
    query: e.query,
    status: e.status,
    executed: e.executed,
    ...(e.body === undefined ? {} : { body: e.body }),
    handled: e.handled,
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

export async function startControl(
  sim: { kind: "obshell"; sim: ObshellSimulator } | { kind: "dcs"; sim: DcsSimulator },
  port: number,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    (async () => {
      const url = new URL(req.url ?? "/", "http://control.local");
      const method = req.method ?? "GET";
      if (method === "GET" && url.pathname === "/log") {
        // Entries from `from` up to the first still in flight, so a reader never keeps a half-written entry;
        // with `wait=MS`, held until at least one is complete (long poll: no busy polling of the simulator).
        const from = Number(url.searchParams.get("from") ?? "0");
        const waitMs = Math.min(Number(url.searchParams.get("wait") ?? "0"), 30_000);
        const complete = () => {
          const log = sim.sim.log;
          let end = from;
          while (end < log.length && log[end]?.repliedAt !== undefined) end++;
          return log.slice(from, end);
        };
        let ready = complete();
        if (ready.length === 0 && waitMs > 0) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              sim.sim.http.onComplete.delete(done);
              resolve();
            };
            const timer = setTimeout(done, waitMs);
            sim.sim.http.onComplete.add(done);
          });
          ready = complete();
        }
        return reply(200, { next: from + ready.length, entries: ready.map(entry) });
      }
      if (sim.kind === "obshell") {
        const tenant = /^\/obshell\/tenants\/([^/]+)$/.exec(url.pathname);
        const replicas = /^\/obshell\/tenants\/([^/]+)\/replicas$/.exec(url.pathname);
        if (method === "GET" && tenant) {
          const name = decodeURIComponent(tenant[1] ?? "");
          const t = sim.sim.cluster.tenants.get(name);
          if (!t) return reply(404, { error: "no such tenant" });
          const unfinished = sim.sim.cluster.unfinished().filter((d) => d.tenant === name).length;
          return reply(200, { replicas: t.replicas, unfinished });
        }
        if (method === "POST" && replicas) {
          const name = decodeURIComponent(replicas[1] ?? "");
          const t = sim.sim.cluster.tenants.get(name);
          const body = (await readJson(req)) as { zone?: unknown; type?: unknown } | undefined;
          if (!t || typeof body?.zone !== "string") return reply(400, { error: "tenant and zone required" });
          if (!t.replicas.some((r) => r.zone === body.zone))
            t.replicas.push({ zone: body.zone, type: typeof body.type === "string" ? body.type : "FULL" });
          return reply(200, { replicas: t.replicas });
        }
        if (method === "POST" && url.pathname === "/obshell/stage-ms") {
          // How long each DAG stage takes from now on (the bench shortens it where a DAG is only a wait).
          const body = (await readJson(req)) as { ms?: unknown } | undefined;
          if (typeof body?.ms !== "number" || !Number.isInteger(body.ms) || body.ms < 1)
            return reply(400, { error: "ms: a whole number of milliseconds, at least 1" });
          sim.sim.stageMs = body.ms;
          return reply(200, { ms: sim.sim.stageMs });
        }
      } else if (method === "POST" && url.pathname === "/dcs/knobs") {
        sim.sim.setKnobs(((await readJson(req)) ?? {}) as Partial<DcsUnkindKnobs>);
        return reply(200, sim.sim.knobs);
      }
      return reply(404, { error: `${method} ${url.pathname} is not a control route` });
    })().catch((error: unknown) => reply(500, { error: String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return { url: `http://127.0.0.1:${address.port}`, server };
}
