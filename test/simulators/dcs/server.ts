// The DCS v2 simulator: signed or token auth, paged listing, asynchronous batch deletes, throttling, faults.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { computeSignature, parseAuthorization } from "../../../src/providers/dcs/signer.js";
import {
  type FaultRule,
  type Handled,
  type LoggedRequest,
  SimHttpServer,
  type SimReply,
} from "../http-sim.js";
import { makeInstance, type SimInstance, type SimInstanceInput } from "./instances.js";

export interface DcsSimOptions {
  credentials: { accessKey: string; secretKey: string }[];
  tokens?: string[];
  projects?: Record<string, SimInstanceInput[]>;
  /** How long an accepted delete takes before the instance leaves the list. */
  deleteDelayMs?: number;
  batchLimit?: number;
  /** Token bucket per project. */
  rateLimit?: { perSecond: number; burst: number };
  clockSkewMs?: number;
  randomSeed?: number;
  now?: () => number;
}

class DcsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const UNDELETABLE_STATUS = new Set([
  "CREATING",
  "RESTARTING",
  "EXTENDING",
  "RESTORING",
  "FLUSHING",
  "FROZEN",
  "FREEZING",
  "MIGRATING",
  "UPGRADING",
  "DELETING",
]);
const DEFAULT_PAGE = 10;
const MAX_PAGE = 1000;

function parseSdkDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export class DcsSimulator {
  readonly http: SimHttpServer;
  readonly projects = new Map<string, Map<string, SimInstance>>();
  /** Why each failed delete failed: the reply carries no reason, this log does. */
  readonly deleteFailures: { instance: string; reason: string }[] = [];
  readonly recycled: string[] = [];
  readonly deleted: SimInstance[] = [];
  /** Pages left to shift: before serving a page at offset > 0, a new instance is inserted at the front. */
  shiftPages = 0;
  deleteDelayMs: number;
  url = "";
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly signatureFailures = new Map<string, { count: number; lockedUntil: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private shiftCounter = 0;

  constructor(private readonly options: DcsSimOptions) {
    this.deleteDelayMs = options.deleteDelayMs ?? 100;
    this.now = options.now ?? Date.now;
    for (const [projectId, inputs] of Object.entries(options.projects ?? {})) {
      for (const input of inputs) this.addInstance(projectId, input);
    }
    this.http = new SimHttpServer((req, body, url) => this.handle(req, body, url), {
      ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
      errorBody: (status, message) => ({
        error_code: status === 429 ? "APIGW.0308" : "DCS.5000",
        error_msg: message,
        error_ext_msg: null,
      }),
    });
  }

  get log(): LoggedRequest[] {
    return this.http.log;
  }

  addFault(rule: FaultRule): void {
    this.http.addFault(rule);
  }

  addInstance(projectId: string, input: SimInstanceInput): SimInstance {
    const instance = makeInstance(input, projectId);
    let project = this.projects.get(projectId);
    if (!project) {
      project = new Map();
      this.projects.set(projectId, project);
    }
    project.set(instance.instance_id, instance);
    return instance;
  }

  instances(projectId: string): SimInstance[] {
    return [...(this.projects.get(projectId)?.values() ?? [])];
  }

  async start(port = 0): Promise<string> {
    this.url = await this.http.listen(port);
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.http.close();
  }

  private handle(req: IncomingMessage, rawBody: Buffer, url: URL): Handled {
    const requestId = randomBytes(16).toString("hex");
    let logged: unknown;
    try {
      this.authenticate(req, rawBody, url);
      const match = /^\/v2\/([^/]+)\/instances(?:\/([^/]+))?\/?$/.exec(url.pathname);
      if (!match)
        throw new DcsError(
          404,
          "APIGW.0101",
          "The API does not exist or has not been published in the environment.",
        );
      const projectId = decodeURIComponent(match[1] ?? "");
      const instanceId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
      this.throttle(projectId);
      if (rawBody.length > 0) {
        try {
          logged = JSON.parse(rawBody.toString("utf8"));
        } catch {
          throw new DcsError(400, "DCS.4800", "Invalid request body: not JSON.");
        }
      }
      const reply = this.route(req.method ?? "GET", projectId, instanceId, url, logged);
      reply.headers = { ...reply.headers, "X-Request-Id": requestId };
      return logged === undefined ? { reply } : { reply, body: logged };
    } catch (error) {
      if (!(error instanceof DcsError)) throw error;
      const reply: SimReply = {
        status: error.status,
        headers: { "X-Request-Id": requestId },
        body: {
          error_code: error.code,
          error_msg: error.message,
          error_ext_msg: null,
          ...(error.code.startsWith("APIGW") ? { request_id: requestId } : {}),
        },
      };
      return logged === undefined ? { reply } : { reply, body: logged };
    }
  }

  private authenticate(req: IncomingMessage, rawBody: Buffer, url: URL): void {
    const token = req.headers["x-auth-token"];
    if (typeof token === "string") {
      if ((this.options.tokens ?? []).includes(token)) return;
      throw new DcsError(401, "APIGW.0301", "Incorrect IAM authentication information: token is invalid.");
    }
    const header = req.headers.authorization;
    const parsed = typeof header === "string" ? parseAuthorization(header) : undefined;
    if (!parsed)
      throw new DcsError(
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: Authorization header is missing or malformed.",
      );
    const lock = this.signatureFailures.get(parsed.accessKey);
    if (lock && lock.lockedUntil > this.now())
      throw new DcsError(
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: the AK/SK is locked for 5 minutes after repeated failures.",
      );
    const fail: (why: string) => never = (why) => {
      const entry = this.signatureFailures.get(parsed.accessKey) ?? { count: 0, lockedUntil: 0 };
      entry.count++;
      if (entry.count >= 5) {
        entry.lockedUntil = this.now() + 5 * 60_000;
        entry.count = 0;
      }
      this.signatureFailures.set(parsed.accessKey, entry);
      throw new DcsError(401, "APIGW.0301", `Incorrect IAM authentication information: ${why}.`);
    };
    const credentials = this.options.credentials.find((c) => c.accessKey === parsed.accessKey);
    if (!credentials) fail("the access key does not exist");
    const date = req.headers["x-sdk-date"];
    const at = typeof date === "string" ? parseSdkDate(date) : undefined;
    if (at === undefined) fail("X-Sdk-Date is missing or malformed");
    if (Math.abs(this.now() - at) > (this.options.clockSkewMs ?? 15 * 60_000))
      fail("the request date is more than 15 minutes off");
    // Verify over exactly the headers the client named, as the gateway does.
    const headers: Record<string, string> = {};
    for (const name of parsed.signedHeaders) {
      const value = req.headers[name];
      if (value === undefined) fail(`signed header ${name} is missing`);
      headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    const signedUrl = new URL(req.url ?? "/", url.origin);
    const expected = computeSignature(
      { method: req.method ?? "GET", url: signedUrl, headers, body: rawBody },
      credentials.secretKey,
      date as string,
    );
    if (expected.signature !== parsed.signature) fail("verify aksk signature fail");
    this.signatureFailures.delete(parsed.accessKey);
  }

  private throttle(projectId: string): void {
    const limit = this.options.rateLimit;
    if (!limit) return;
    const now = this.now();
    const bucket = this.buckets.get(projectId) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    this.buckets.set(projectId, bucket);
    if (bucket.tokens < 1)
      throw new DcsError(
        429,
        "APIGW.0308",
        "The throttling threshold has been reached: policy user over ratelimit.",
      );
    bucket.tokens -= 1;
  }

  private route(
    method: string,
    projectId: string,
    instanceId: string | undefined,
    url: URL,
    body: unknown,
  ): SimReply {
    const project = this.projects.get(projectId) ?? new Map<string, SimInstance>();
    if (method === "GET" && instanceId === undefined) return this.list(projectId, project, url.searchParams);
    if (method === "GET" && instanceId !== undefined) {
      const instance = project.get(instanceId);
      if (!instance) throw new DcsError(404, "DCS.3022", "The instance does not exist.");
      return { status: 200, body: instance };
    }
    if (method === "DELETE" && instanceId === undefined)
      return this.batchDelete(projectId, project, url.searchParams, body);
    if (method === "DELETE" && instanceId !== undefined) {
      const instance = project.get(instanceId);
      if (!instance) throw new DcsError(404, "DCS.3022", "The instance does not exist.");
      const reason = this.undeletable(instance);
      if (reason) throw new DcsError(400, "DCS.4099", `Cannot delete the instance: ${reason}.`);
      this.beginDelete(projectId, instance, false);
      return { status: 204 };
    }
    throw new DcsError(405, "DCS.4800", `${method} is not allowed here.`);
  }

  private list(projectId: string, project: Map<string, SimInstance>, q: URLSearchParams): SimReply {
    const offset = Number(q.get("offset") ?? "0");
    const limit = Number(q.get("limit") ?? String(DEFAULT_PAGE));
    if (!Number.isInteger(offset) || offset < 0) throw new DcsError(400, "DCS.4800", "Invalid offset.");
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new DcsError(400, "DCS.4800", "Invalid limit.");
    if (offset > 0 && this.shiftPages > 0) {
      this.shiftPages--;
      const shifted = makeInstance({ name: `sim-shift-${++this.shiftCounter}` }, projectId);
      const reordered = new Map([[shifted.instance_id, shifted], ...project]);
      project.clear();
      for (const [k, v] of reordered) project.set(k, v);
      this.projects.set(projectId, project);
    }
    const name = q.get("name");
    const nameEqual = q.get("name_equal") === "true";
    const tags = (q.get("tags") ?? "")
      .split(",")
      .filter((t) => t !== "")
      .map((t) => t.split("=") as [string, string?]);
    const matching = [...project.values()].filter((i) => {
      if (i.status === "CREATEFAILED" && q.get("include_failure") !== "true") return false;
      if (name !== null && (nameEqual ? i.name !== name : !i.name.includes(name))) return false;
      if (q.has("status") && i.status !== q.get("status")) return false;
      if (q.has("instance_id") && i.instance_id !== q.get("instance_id")) return false;
      if (q.has("ip") && i.ip !== q.get("ip")) return false;
      return tags.every(([k, v]) => i.tags?.some((t) => t.key === k && (v === undefined || t.value === v)));
    });
    const all =
      q.get("include_delete") === "true"
        ? [...matching, ...this.deleted.filter((d) => d.project_id === projectId)]
        : matching;
    return { status: 200, body: { instances: all.slice(offset, offset + limit), instance_num: all.length } };
  }

  private undeletable(instance: SimInstance): string | undefined {
    if (instance.charging_mode === 1) return "yearly/monthly instances must be unsubscribed";
    if (UNDELETABLE_STATUS.has(instance.status)) return `status is ${instance.status}`;
    if (instance.task !== null && instance.task !== undefined)
      return `an operation is in progress (${String(instance.task)})`;
    return undefined;
  }

  private batchDelete(
    projectId: string,
    project: Map<string, SimInstance>,
    q: URLSearchParams,
    body: unknown,
  ): SimReply {
    if (q.get("all_failure") === "true") {
      // Faithful to the API: every CREATEFAILED instance of the project, whatever the body lists.
      const failed = [...project.values()].filter((i) => i.status === "CREATEFAILED");
      for (const i of failed) this.beginDelete(projectId, i, false);
      return {
        status: 200,
        body: { results: failed.map((i) => ({ result: "success", instance: i.instance_id })) },
      };
    }
    const ids = (body as { instances?: unknown } | undefined)?.instances;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string"))
      throw new DcsError(400, "DCS.4800", "Invalid request: instances is required.");
    const limit = this.options.batchLimit ?? 50;
    if (ids.length > limit)
      throw new DcsError(400, "DCS.4800", `Invalid request: at most ${limit} instances per batch.`);
    const recycle = (body as { is_recycle?: unknown }).is_recycle === true;
    const results = ids.map((id: string) => {
      const instance = project.get(id);
      const reason = instance ? this.undeletable(instance) : "the instance does not exist";
      if (!instance || reason) {
        this.deleteFailures.push({ instance: id, reason: reason ?? "unknown" });
        return { result: "failed", instance: id };
      }
      this.beginDelete(projectId, instance, recycle);
      return { result: "success", instance: id };
    });
    return { status: 200, body: { results } };
  }

  private beginDelete(projectId: string, instance: SimInstance, recycle: boolean): void {
    instance.status = "DELETING";
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.projects.get(projectId)?.delete(instance.instance_id);
      this.deleted.push({ ...instance, status: "DELETED" });
      if (recycle && Number.parseFloat(String(instance.engine_version)) >= 4)
        this.recycled.push(instance.instance_id);
    }, this.deleteDelayMs);
    this.timers.add(timer);
  }
}

export async function startDcsSimulator(options: DcsSimOptions & { port?: number }): Promise<DcsSimulator> {
  const sim = new DcsSimulator(options);
  await sim.start(options.port ?? 0);
  return sim;
}
