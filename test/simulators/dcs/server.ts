// The DCS v2 simulator: signed or token auth, paged listing, asynchronous batch deletes, throttling, faults.
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  type FaultRule,
  type Handled,
  type LoggedRequest,
  SimHttpServer,
  type SimReply,
  seededRandom,
} from "../http-sim.js";
import { makeInstance, type SimInstance, type SimInstanceInput } from "./instances.js";
import { expectedSignature, readAuthorization } from "./verify-signature.js";

/**
 * Knobs that make the simulator as unkind as DCS may be (specs: "after a delete is accepted an instance may
 * still be listed for a while (status unchanged or DELETING)"). All off by default; the chaos suite turns them
 * on with UNKIND_DCS_KNOBS.
 */
export interface DcsUnkindKnobs {
  /**
   * For this long after a delete is accepted the instance is listed (and answered by GET) exactly as before:
   * its old status and idle task fields. Only then does it turn DELETING, with task_status and service_task_id
   * set, until `deleteDelayMs` later it disappears. A second delete accepted meanwhile answers success again
   * (and shows in the request log) but does not delete twice.
   */
  acceptedListingLagMs: number;
  /**
   * A GET of an instance that an earlier listing returned finds it changed, with this chance per GET (once per
   * instance): "busy" starts an operation on it (task_status, service_task_id) for `busyMs`; "retag" replaces its
   * tags, so it leaves every selector's scope. Each drift is recorded in `drifts`.
   */
  driftOnGet: { probability: number; kind: "busy" | "retag"; busyMs: number };
}

export const KIND_DCS_KNOBS: DcsUnkindKnobs = {
  acceptedListingLagMs: 0,
  driftOnGet: { probability: 0, kind: "busy", busyMs: 0 },
};

/**
 * What the chaos suite runs with: an accepted delete stays invisible for 8 s, longer than the operator's 5 s
 * delete poll (so a planner that trusts the listing re-sends it); one GET in five finds the instance busy.
 */
export const UNKIND_DCS_KNOBS: DcsUnkindKnobs = {
  acceptedListingLagMs: 8_000,
  driftOnGet: { probability: 0.2, kind: "busy", busyMs: 500 },
};

/**
 * The shape of error bodies: DCS's own `{error_code, error_msg}` by default; the others are shapes the official
 * SDKs also read (huaweicloud-sdk-core ExceptionUtil, SignerUtil.getErr), for client tests.
 */
export type DcsErrorShape = "error_code" | "errorCode" | "code" | "nested" | "nested-error_code";

export function dcsErrorBody(shape: DcsErrorShape, code: string, message: string, requestId?: string) {
  const extra = requestId === undefined ? {} : { request_id: requestId };
  switch (shape) {
    case "errorCode":
      return { errorCode: code, errorMsg: message, ...extra };
    case "code":
      return { code, message, ...extra };
    case "nested":
      return { error: { code, message, ...extra } };
    case "nested-error_code":
      return { error: { error_code: code, error_msg: message, ...extra } };
    default:
      return { error_code: code, error_msg: message, error_ext_msg: null, ...extra };
  }
}

/** The value task_status takes while the simulator runs an operation (DCS documents none: any non-null). */
export const RUNNING_TASK_STATUS = "RUNNING";

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
  errorShape?: DcsErrorShape;
  /** See DcsUnkindKnobs; KIND_DCS_KNOBS when absent. */
  unkind?: Partial<DcsUnkindKnobs>;
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
  /** Pages left to shorten: the next listing pages are served one instance short, instance_num unchanged. */
  shortPages = 0;
  deleteDelayMs: number;
  errorShape: DcsErrorShape;
  /** See DcsUnkindKnobs; change at any time with setKnobs. */
  knobs: DcsUnkindKnobs;
  /** Instances changed between a listing and a GET (driftOnGet). */
  readonly drifts: { project: string; instance: string; kind: "busy" | "retag"; at: number }[] = [];
  /**
   * Instances whose list and GET replies carry none of task, task_status, service_task_id (a reply shape that
   * says nothing about an operation); the instance itself is idle and a delete of it is accepted.
   */
  readonly hideBusyFields = new Set<string>();
  /**
   * A change the next GET of an instance by id applies before it answers, once: the instance changed after the
   * listing a plan was made from and before the re-read just ahead of the delete (a story's exact timing).
   */
  readonly changeOnGet = new Map<string, (instance: SimInstance) => void>();
  url = "";
  /** Ids returned by a listing and not yet drifted. */
  private readonly listed = new Set<string>();
  /** Ids whose accepted delete is still running (lag included): a second accept does not delete twice. */
  private readonly deleting = new Set<string>();
  private readonly random: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly signatureFailures = new Map<string, { count: number; lockedUntil: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private shiftCounter = 0;

  constructor(private readonly options: DcsSimOptions) {
    this.deleteDelayMs = options.deleteDelayMs ?? 100;
    this.knobs = { ...KIND_DCS_KNOBS, ...options.unkind };
    this.errorShape = options.errorShape ?? "error_code";
    this.random = seededRandom((options.randomSeed ?? 1) ^ 0x5eed);
    this.now = options.now ?? Date.now;
    for (const [projectId, inputs] of Object.entries(options.projects ?? {})) {
      for (const input of inputs) this.addInstance(projectId, input);
    }
    this.http = new SimHttpServer((req, body, url) => this.handle(req, body, url), {
      ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
      errorBody: (status, message, code) =>
        dcsErrorBody(this.errorShape, code ?? (status === 429 ? "APIGW.0308" : "DCS.5000"), message),
      received: (req) => `Authorization ${String(req.headers.authorization)}`,
    });
  }

  get log(): LoggedRequest[] {
    return this.http.log;
  }

  addFault(rule: FaultRule): void {
    this.http.addFault(rule);
  }

  setKnobs(knobs: Partial<DcsUnkindKnobs>): void {
    this.knobs = { ...this.knobs, ...knobs };
  }

  /**
   * Runs an operation (a restart, a resize) on an instance for `ms`: task_status and service_task_id are set,
   * deletes are refused, then both return to idle.
   */
  startOperation(projectId: string, instanceId: string, ms: number): void {
    const instance = this.projects.get(projectId)?.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId} in ${projectId}`);
    instance.task_status = RUNNING_TASK_STATUS;
    instance.service_task_id = randomUUID();
    this.later(ms, () => {
      if (instance.status === "DELETING") return;
      instance.task_status = null;
      instance.service_task_id = "";
    });
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
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
      this.authenticate(req, rawBody);
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
        body: dcsErrorBody(
          this.errorShape,
          error.code,
          error.message,
          error.code.startsWith("APIGW") ? requestId : undefined,
        ),
      };
      return logged === undefined ? { reply } : { reply, body: logged };
    }
  }

  private authenticate(req: IncomingMessage, rawBody: Buffer): void {
    const token = req.headers["x-auth-token"];
    if (typeof token === "string") {
      if ((this.options.tokens ?? []).includes(token)) return;
      throw new DcsError(401, "APIGW.0301", "Incorrect IAM authentication information: token is invalid.");
    }
    const header = req.headers.authorization;
    const parsed = typeof header === "string" ? readAuthorization(header) : undefined;
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
    const expected = expectedSignature(
      { method: req.method ?? "GET", target: req.url ?? "/", headers, body: rawBody },
      credentials.secretKey,
      date as string,
    );
    if (expected !== parsed.signature) fail("verify aksk signature fail");
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
      const change = this.changeOnGet.get(instanceId);
      this.changeOnGet.delete(instanceId);
      change?.(instance);
      this.maybeDrift(projectId, instance);
      return { status: 200, body: this.served(instance) };
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
    let page = all.slice(offset, offset + limit);
    if (this.shortPages > 0 && page.length > 0) {
      this.shortPages--;
      page = page.slice(0, -1);
    }
    for (const i of page)
      if (!this.drifts.some((d) => d.instance === i.instance_id)) this.listed.add(i.instance_id);
    return { status: 200, body: { instances: page.map((i) => this.served(i)), instance_num: all.length } };
  }

  private served(instance: SimInstance): Record<string, unknown> {
    if (!this.hideBusyFields.has(instance.instance_id)) return instance;
    const { task: _t, task_status: _s, service_task_id: _i, ...rest } = instance;
    return rest;
  }

  private maybeDrift(projectId: string, instance: SimInstance): void {
    const drift = this.knobs.driftOnGet;
    if (drift.probability <= 0 || !this.listed.has(instance.instance_id)) return;
    if (this.random() >= drift.probability) return;
    this.listed.delete(instance.instance_id);
    this.drifts.push({
      project: projectId,
      instance: instance.instance_id,
      kind: drift.kind,
      at: this.now(),
    });
    if (drift.kind === "retag") instance.tags = [{ key: "dcs-sim-drift", value: "retagged" }];
    else if (instance.status !== "DELETING")
      this.startOperation(projectId, instance.instance_id, drift.busyMs);
  }

  private undeletable(instance: SimInstance): string | undefined {
    if (instance.charging_mode === 1) return "yearly/monthly instances must be unsubscribed";
    if (UNDELETABLE_STATUS.has(instance.status)) return `status is ${instance.status}`;
    if (instance.task !== null && instance.task !== undefined)
      return `an operation is in progress (${String(instance.task)})`;
    if (instance.task_status !== null || instance.service_task_id !== "")
      return `an operation is in progress (task ${instance.service_task_id})`;
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

  /** Accepts a delete: after the listing lag the instance turns DELETING with an operation running, then goes. */
  private beginDelete(projectId: string, instance: SimInstance, recycle: boolean): void {
    if (this.deleting.has(instance.instance_id)) return;
    this.deleting.add(instance.instance_id);
    const run = () => {
      instance.status = "DELETING";
      instance.task_status = RUNNING_TASK_STATUS;
      instance.service_task_id = randomUUID();
      this.later(this.deleteDelayMs, () => {
        this.deleting.delete(instance.instance_id);
        this.projects.get(projectId)?.delete(instance.instance_id);
        this.deleted.push({ ...instance, status: "DELETED", task_status: null, service_task_id: "" });
        if (recycle && Number.parseFloat(String(instance.engine_version)) >= 4)
          this.recycled.push(instance.instance_id);
      });
    };
    if (this.knobs.acceptedListingLagMs > 0) this.later(this.knobs.acceptedListingLagMs, run);
    else run();
  }
}

export async function startDcsSimulator(options: DcsSimOptions & { port?: number }): Promise<DcsSimulator> {
  const sim = new DcsSimulator(options);
  await sim.start(options.port ?? 0);
  return sim;
}
