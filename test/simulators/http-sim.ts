// What both simulators share: an HTTP server on loopback, a request log, and fault knobs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface SimReply {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless already a string; undefined = no body. */
  body?: unknown;
}

export type FaultKind =
  | "latency"
  | "status"
  | "reset"
  | "truncate"
  | "malformed"
  | "html"
  | "throttle"
  | "oversize";

/**
 * How deep an "oversize" reply nests: past every route's depth budget (src/providers/obshell/budgets.ts and
 * dcs/budgets.ts, 16 at most), so the client refuses it while it streams in, before anything is parsed.
 */
export const OVERSIZE_DEPTH = 64;

export interface FaultRule {
  /** e.g. "DELETE"; any method when absent. */
  method?: string;
  /** Matched against the path (no query); any path when absent. */
  path?: RegExp;
  kind: FaultKind;
  /** How many matching requests it hits; unlimited when absent. */
  times?: number;
  /** Chance per matching request, from the simulator's seeded random; 1 when absent. */
  probability?: number;
  latencyMs?: number;
  /** For "status" and "throttle". */
  status?: number;
  /** For "status": the provider's error code in the body (e.g. DCS.4107), instead of its generic one. */
  code?: string;
  /** Extra reply headers for "status" and "throttle" (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** "before": the request is not executed; "after": executed, then the reply is spoiled. Default before. */
  phase?: "before" | "after";
  /** For "status": the error message repeats what the remote received, as a careless remote does (issue 25, L3). */
  echo?: boolean;
}

/**
 * Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. An epoch time built from
 * `performance.timeOrigin` is not comparable across processes to the millisecond: each process fixes its
 * origin once at start, off by a millisecond or two, and a bench once saw 35 ms between two processes.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface LoggedRequest {
  /** Arrival, in epoch ms with sub-ms precision (performance.timeOrigin + now): for this process's clock. */
  at: number;
  /** When the reply was written, same clock. */
  repliedAt?: number;
  /** Arrival on the machine's monotonic clock (monotonicMs): what a timing across processes compares. */
  monotonicAt: number;
  /** When the reply was written, on the monotonic clock. */
  monotonicRepliedAt?: number;
  method: string;
  path: string;
  query: string;
  status: number | "reset";
  /** The decoded request body (decrypted for obshell). */
  body?: unknown;
  /** Exactly what arrived, for conformance tests that decode it themselves. */
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  fault?: FaultKind;
  /** Whether the handler ran (a "before" fault stops it). */
  executed: boolean;
  /** What the handler answered, before any "after" fault spoiled it: what the remote actually did. */
  handled?: { status: number; body?: unknown };
}

/** A small seeded PRNG (mulberry32) so a failing fault run replays with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Handled {
  reply: SimReply;
  /** What to log as the request body. */
  body?: unknown;
}

export interface SimServerOptions {
  seed?: number;
  /** The provider's own error body for an injected status fault. */
  errorBody: (status: number, message: string, code?: string) => unknown;
  /** What the remote read from a request (its credentials included), for a fault that echoes it. */
  received?: (req: IncomingMessage, rawBody: Buffer) => string;
}

export class SimHttpServer {
  readonly log: LoggedRequest[] = [];
  /** Called once per request when its reply is written (or its connection spoiled); repliedAt is set then. */
  readonly onComplete = new Set<(entry: LoggedRequest) => void>();
  private readonly faults: (FaultRule & { hits: number })[] = [];
  private readonly random: () => number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handle: (req: IncomingMessage, rawBody: Buffer, url: URL) => Promise<Handled> | Handled,
    private readonly options: SimServerOptions,
  ) {
    this.random = seededRandom(options.seed ?? 1);
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule, hits: 0 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify(this.options.errorBody(500, `simulator error: ${String(error)}`)));
        }
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drop every open connection (keep-alive ones included), as a network blip would. */
  resetConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private pickFault(
    method: string,
    path: string,
    phase: "before" | "after",
  ): (FaultRule & { hits: number }) | undefined {
    for (const rule of this.faults) {
      if ((rule.phase ?? "before") !== phase && rule.kind !== "latency") continue;
      if (rule.kind === "latency" && phase === "after") continue;
      if (rule.method && rule.method !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.hits++;
      return rule;
    }
    return undefined;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://sim.local");
    const method = req.method ?? "GET";
    const entry: LoggedRequest = {
      at: performance.timeOrigin + performance.now(),
      monotonicAt: monotonicMs(),
      method,
      path: url.pathname,
      query: url.search,
      status: 0,
      executed: false,
      rawBody: Buffer.concat(chunks).toString("utf8"),
      headers: req.headers,
    };
    this.log.push(entry);

    const latency = this.faults.filter(
      (r) =>
        r.kind === "latency" && (!r.method || r.method === method) && (!r.path || r.path.test(url.pathname)),
    );
    for (const rule of latency) {
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      rule.hits++;
      await new Promise((r) => setTimeout(r, rule.latencyMs ?? 100));
    }

    const before = this.pickFault(method, url.pathname, "before");
    if (before && before.kind !== "latency") {
      entry.fault = before.kind;
      this.spoil(res, before, entry, undefined, this.echo(before, req, chunks));
      this.complete(entry);
      return;
    }
    const handled = await this.handle(req, Buffer.concat(chunks), url);
    entry.executed = true;
    entry.handled = {
      status: handled.reply.status,
      ...(handled.reply.body === undefined ? {} : { body: handled.reply.body }),
    };
    if (handled.body !== undefined) entry.body = handled.body;
    const after = this.pickFault(method, url.pathname, "after");
    if (after && after.kind !== "latency") {
      entry.fault = after.kind;
      this.spoil(res, after, entry, handled.reply, this.echo(after, req, chunks));
      this.complete(entry);
      return;
    }
    entry.status = handled.reply.status;
    this.write(res, handled.reply);
    this.complete(entry);
  }

  private echo(rule: FaultRule, req: IncomingMessage, chunks: Buffer[]): string {
    const received = rule.echo ? this.options.received : undefined;
    return received ? `injected fault; received ${received(req, Buffer.concat(chunks))}` : "injected fault";
  }

  private complete(entry: LoggedRequest): void {
    entry.repliedAt = performance.timeOrigin + performance.now();
    entry.monotonicRepliedAt = monotonicMs();
    for (const listener of this.onComplete) listener(entry);
  }

  private write(res: ServerResponse, reply: SimReply): void {
    const text =
      reply.body === undefined
        ? ""
        : typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(text === "" ? {} : { "content-type": "application/json" }),
      ...reply.headers,
    });
    res.end(text);
  }

  private spoil(
    res: ServerResponse,
    rule: FaultRule,
    entry: LoggedRequest,
    reply: SimReply | undefined,
    message: string,
  ): void {
    switch (rule.kind) {
      case "reset":
        entry.status = "reset";
        res.socket?.destroy();
        return;
      case "truncate": {
        const full = JSON.stringify(reply?.body ?? this.options.errorBody(200, "truncated"));
        entry.status = reply?.status ?? 200;
        res.writeHead(reply?.status ?? 200, {
          "content-type": "application/json",
          "content-length": String(full.length),
        });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        res.socket?.destroy();
        return;
      }
      case "malformed":
        entry.status = reply?.status ?? 200;
        res.writeHead(entry.status, { "content-type": "application/json" });
        res.end('{"successful": tru');
        return;
      case "oversize": {
        // The reply the remote meant (or an error's), with a field nested past its route's budget: what a
        // compromised or broken remote sends to exhaust the operator's heap (issue 25, M1).
        entry.status = reply?.status === undefined || reply.status === 204 ? 200 : reply.status;
        const meant = JSON.stringify(reply?.body ?? this.options.errorBody(200, "oversize"));
        const padding = `${"[".repeat(OVERSIZE_DEPTH)}${"]".repeat(OVERSIZE_DEPTH)}`;
        res.writeHead(entry.status, { "content-type": "application/json" });
        res.end(`{"padding":${padding},"reply":${meant}}`);
        return;
      }
      case "html":
        entry.status = rule.status ?? 502;
        res.writeHead(entry.status, { "content-type": "text/html" });
        res.end(
          "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        );
        return;
      case "status":
      case "throttle": {
        const status = rule.status ?? (rule.kind === "throttle" ? 429 : 500);
        entry.status = status;
        this.write(res, {
          status,
          body: this.options.errorBody(status, message, rule.code),
          ...(rule.headers ? { headers: rule.headers } : {}),
        });
        return;
      }
      default:
        return;
    }
  }
}
