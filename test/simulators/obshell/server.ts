// The obshell agent simulator: the routes of docs/protocols/obshell.md over real HTTP, strict auth v2, fault knobs.
import { createDecipheriv, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  type FaultRule,
  type Handled,
  type LoggedRequest,
  SimHttpServer,
  type SimReply,
} from "../http-sim.js";
import { demoObshellSeed } from "../seed.js";
import { AgentError, type ClusterSeed, SimCluster } from "./cluster.js";
import { type AgentKeyPair, generateAgentKeyPair } from "./rsa.js";

export interface ObshellSimOptions {
  password: string;
  seed?: ClusterSeed;
  /** How long one DAG node runs. */
  stageMs?: number;
  keyBits?: 512 | 1024;
  version?: string;
  randomSeed?: number;
  now?: () => number;
}

/** Without a seed, the demo fleet. */
export const defaultObshellSeed: ClusterSeed = demoObshellSeed;

const OPEN_ROUTES = new Set([
  "/api/v1/info",
  "/api/v1/secret",
  "/api/v1/time",
  "/api/v1/status",
  "/api/v1/git-info",
]);

function envelope(
  status: number,
  data: unknown,
  traceId: string,
  error?: { errCode: string; message: string },
): SimReply {
  const body: Record<string, unknown> = {
    successful: error === undefined,
    timestamp: new Date().toISOString().replace("Z", "000000Z"),
    duration: 1,
    status,
    traceId,
  };
  if (data !== undefined) body.data = data;
  if (error) body.error = { errCode: error.errCode, message: error.message };
  return { status, body };
}

function lowerKeys(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
}

interface Auth {
  keys?: { key: Buffer; iv: Buffer };
}

export class ObshellSimulator {
  readonly cluster: SimCluster;
  readonly http: SimHttpServer;
  keyPair: AgentKeyPair;
  url = "";
  stageMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ObshellSimOptions) {
    this.stageMs = options.stageMs ?? 50;
    this.now = options.now ?? Date.now;
    this.cluster = new SimCluster(structuredClone(options.seed ?? defaultObshellSeed), () => this.stageMs);
    this.keyPair = generateAgentKeyPair(options.keyBits ?? 1024);
    this.http = new SimHttpServer((req, body, url) => this.handle(req, body, url), {
      ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
      errorBody: (status, message) =>
        envelope(status, undefined, randomBytes(8).toString("hex"), { errCode: "Common.Unexpected", message })
          .body,
    });
  }

  get log(): LoggedRequest[] {
    return this.http.log;
  }

  addFault(rule: FaultRule): void {
    this.http.addFault(rule);
  }

  /** A new agent key, as an agent upgrade regenerates it: clients holding the old one get DecryptFailed. */
  rotateKey(): void {
    this.keyPair = generateAgentKeyPair(this.options.keyBits ?? 1024);
  }

  async start(port = 0): Promise<string> {
    this.url = await this.http.listen(port);
    return this.url;
  }

  async stop(): Promise<void> {
    this.cluster.stop();
    await this.http.close();
  }

  private handle(req: IncomingMessage, rawBody: Buffer, url: URL): Handled {
    const headerTrace = req.headers["x-obshell-trace-id"];
    const traceId = typeof headerTrace === "string" ? headerTrace : randomBytes(8).toString("hex");
    const method = req.method ?? "GET";
    let loggedBody: unknown;
    try {
      let auth: Auth = {};
      if (!OPEN_ROUTES.has(url.pathname)) auth = this.authenticate(req);
      let body: unknown;
      if (rawBody.length > 0) {
        body = this.decodeBody(rawBody, auth);
        loggedBody = body;
      }
      const result = this.route(method, url, body);
      const reply = result === undefined ? { status: 204 } : envelope(200, result.data, traceId);
      return loggedBody === undefined ? { reply } : { reply, body: loggedBody };
    } catch (error) {
      if (error instanceof AgentError) {
        const reply = envelope(error.status, undefined, traceId, {
          errCode: error.errCode,
          message: error.message,
        });
        return loggedBody === undefined ? { reply } : { reply, body: loggedBody };
      }
      throw error;
    }
  }

  /** Auth v2, in the agent's order of checks. */
  private authenticate(req: IncomingMessage): Auth {
    const header = req.headers["x-ocs-header"];
    if (typeof header !== "string" || header === "")
      throw new AgentError(400, "Request.Header.NotFound", "Header 'X-OCS-Header' not found.");
    let fields: Record<string, unknown>;
    try {
      fields = lowerKeys(JSON.parse(this.keyPair.decrypt(Buffer.from(header, "base64")).toString("utf8")));
      if (typeof fields.ts !== "string" || typeof fields.auth !== "string" || typeof fields.uri !== "string")
        throw new Error("fields");
    } catch {
      throw new AgentError(401, "Security.Authentication.Header.DecryptFailed", "Decrypt header failed.");
    }
    const requestTarget = req.url ?? "";
    if (fields.uri !== requestTarget)
      throw new AgentError(
        401,
        "Security.Authentication.Header.UriMismatch",
        "The uri in header mismatches the request uri.",
      );
    if (!/^-?\d+$/.test(fields.ts))
      throw new AgentError(
        401,
        "Security.Authentication.Timestamp.Invalid",
        `Invalid timestamp '${fields.ts}'.`,
      );
    if (Number(fields.ts) < Math.floor(this.now() / 1000))
      throw new AgentError(401, "Security.Authentication.Expired", "Authentication has expired.");
    if (fields.auth !== this.options.password)
      throw new AgentError(
        401,
        "Security.Authentication.IncorrectOceanbasePassword",
        "Access denied for root@sys: incorrect password.",
      );
    let keys: Auth["keys"];
    if (typeof fields.keys === "string" && fields.keys !== "") {
      const raw = Buffer.from(fields.keys, "base64");
      if (raw.length !== 32)
        throw new AgentError(500, "Request.Body.Decrypt.AES.KeyAndIv.Invalid", "AES key and iv are invalid.");
      keys = { key: raw.subarray(0, 16), iv: raw.subarray(16) };
    }
    return keys ? { keys } : {};
  }

  private decodeBody(raw: Buffer, auth: Auth): unknown {
    let text = raw.toString("utf8");
    if (auth.keys) {
      try {
        const decipher = createDecipheriv("aes-128-cbc", auth.keys.key, auth.keys.iv);
        text = Buffer.concat([decipher.update(Buffer.from(text, "base64")), decipher.final()]).toString(
          "utf8",
        );
      } catch {
        throw new AgentError(400, "Common.BindJsonFailed", "Failed to decrypt the request body.");
      }
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new AgentError(400, "Common.BindJsonFailed", "Failed to bind the JSON body.");
    }
  }

  private route(method: string, url: URL, body: unknown): { data: unknown } | undefined {
    const path = url.pathname;
    const tenantReplicas = /^\/api\/v1\/tenant\/([^/]*)\/replicas$/.exec(path);
    const tenant = /^\/api\/v1\/tenant\/([^/]+)$/.exec(path);
    const dag = /^\/api\/v1\/task\/dag\/([^/]+)$/.exec(path);
    if (method === "GET" && path === "/api/v1/info")
      return {
        data: {
          identity: "CLUSTER AGENT",
          version: this.options.version ?? "4.5.0.0",
          supportedAuth: ["v2"],
          security: this.options.password !== "",
          ip: "127.0.0.1",
          port: 2886,
          zone: "z1",
          isObproxyAgent: false,
        },
      };
    if (method === "GET" && path === "/api/v1/secret")
      return { data: { ip: "127.0.0.1", port: 2886, public_key: this.keyPair.publicKeyBase64 } };
    if (method === "GET" && path === "/api/v1/tenants/overview")
      return { data: { contents: this.cluster.tenantsOverview() } };
    if (method === "GET" && tenant)
      return { data: this.cluster.tenantInfo(decodeURIComponent(tenant[1] ?? "")) };
    if (method === "DELETE" && tenantReplicas) {
      const name = decodeURIComponent(tenantReplicas[1] ?? "");
      const t = this.cluster.requireTenant(name);
      if (t.status !== "NORMAL")
        throw new AgentError(400, "OB.Tenant.StatusNotNormal", `Tenant '${name}' is not NORMAL.`);
      const zones = lowerKeys(body).zones;
      if (!Array.isArray(zones) || !zones.every((z) => typeof z === "string"))
        throw new AgentError(
          400,
          "Common.BindJsonFailed",
          "Key: 'zones' Error:Field validation for 'zones' failed on the 'required' tag",
        );
      const created = this.cluster.removeReplicas(name, zones);
      return created ? { data: this.cluster.dagDto(created, false) } : undefined;
    }
    if (method === "POST" && tenantReplicas) {
      const name = decodeURIComponent(tenantReplicas[1] ?? "");
      this.cluster.requireTenant(name);
      const zoneList = lowerKeys(body).zone_list;
      if (!Array.isArray(zoneList) || zoneList.length === 0)
        throw new AgentError(
          400,
          "Common.BindJsonFailed",
          "Key: 'zone_list' Error:Field validation failed on the 'required' tag",
        );
      return { data: this.cluster.dagDto(this.cluster.addReplicas(name, zoneList), false) };
    }
    if (method === "GET" && path === "/api/v1/task/dag/ob/unfinish")
      return { data: { contents: this.cluster.unfinished().map((d) => this.cluster.dagDto(d, false)) } };
    if (method === "GET" && dag) {
      const details = url.searchParams.get("show_details") !== "false";
      return { data: this.cluster.dagDto(this.cluster.findDag(decodeURIComponent(dag[1] ?? "")), details) };
    }
    if (method === "POST" && dag) {
      const operator = lowerKeys(body).operator;
      if (typeof operator !== "string")
        throw new AgentError(400, "Common.BindJsonFailed", "Key: 'operator' is required.");
      this.cluster.operate(decodeURIComponent(dag[1] ?? ""), operator.toUpperCase());
      return { data: undefined };
    }
    throw new AgentError(404, "Common.NotFound", `${method} ${path} not found`);
  }
}

export async function startObshellSimulator(
  options: ObshellSimOptions & { port?: number },
): Promise<ObshellSimulator> {
  const sim = new ObshellSimulator(options);
  await sim.start(options.port ?? 0);
  return sim;
}
