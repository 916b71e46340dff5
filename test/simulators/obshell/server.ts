// The obshell agent simulator: the routes of docs/protocols/obshell.md over real HTTP, strict auth v2, fault knobs.
import { createDecipheriv, randomBytes, randomInt } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  type FaultRule,
  type Handled,
  type LoggedRequest,
  SimHttpServer,
  type SimReply,
} from "../http-sim.js";
import { demoObshellSeed } from "../seed.js";
import {
  type AddZoneParam,
  AgentError,
  type ClusterSeed,
  legacyCodeOf,
  type ModifyZoneParam,
  SimCluster,
} from "./cluster.js";
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
  /** The cluster the agent reports (GET /api/v1/ob/info); by default "obcluster" with an id of its own. */
  cluster?: { name: string; id: number };
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
  error?: { errCode: string; message: string; legacyCode?: number | undefined },
): SimReply {
  const body: Record<string, unknown> = {
    successful: error === undefined,
    timestamp: new Date().toISOString().replace("Z", "000000Z"),
    duration: 1,
    status,
    traceId,
  };
  if (data !== undefined) body.data = data;
  // `code` (v1, deprecated) only when the error has one, as the agent's `json:"code,omitempty"`.
  if (error)
    body.error = {
      ...(error.legacyCode === undefined ? {} : { code: error.legacyCode }),
      errCode: error.errCode,
      message: error.message,
    };
  return { status, body };
}

function lowerKeys(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The decrypted X-OCS-Header, field names lower-cased (the agent's JSON binding ignores case). */
interface HeaderFields {
  ts: string;
  auth: string;
  uri: string;
  /** The session's AES key material, base64-decoded; undefined when absent. */
  keys?: Buffer;
}

/** The agent's AES key size (ob/agent/lib/crypto/aes.go aes_key_size = 16). */
const AES_KEY_SIZE = 16;

export class ObshellSimulator {
  readonly cluster: SimCluster;
  readonly http: SimHttpServer;
  keyPair: AgentKeyPair;
  url = "";
  stageMs: number;
  /**
   * The cluster this agent reports: its `cluster` and `cluster_id` parameters. A test changes it to stand
   * for a URL that now leads to another cluster's agent. Each simulator is its own cluster by default.
   */
  clusterIdentity: { name: string; id: number };
  private readonly now: () => number;

  constructor(private readonly options: ObshellSimOptions) {
    this.stageMs = options.stageMs ?? 50;
    this.now = options.now ?? Date.now;
    this.clusterIdentity = options.cluster ?? { name: "obcluster", id: randomInt(1, 2 ** 31 - 1) };
    this.cluster = new SimCluster(structuredClone(options.seed ?? defaultObshellSeed), () => this.stageMs);
    this.keyPair = generateAgentKeyPair(options.keyBits ?? 1024);
    this.http = new SimHttpServer((req, body, url) => this.handle(req, body, url), {
      ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
      errorBody: (status, message) =>
        envelope(status, undefined, randomBytes(8).toString("hex"), {
          errCode: "Common.Unexpected",
          message,
          legacyCode: legacyCodeOf("Common.Unexpected"),
        }).body,
      received: (req) => {
        try {
          const { ts, auth, uri } = this.decryptHeader(req);
          return `X-OCS-Header ${JSON.stringify({ auth, ts, uri })}`;
        } catch {
          return "an unreadable X-OCS-Header";
        }
      },
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

  /** `host`: another loopback address (127.0.0.2) stands for an endpoint outside an allowlist. */
  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    this.url = await this.http.listen(port, host);
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
      // The agent's middleware order (ob/agent/api/agent_route.go): HeaderDecrypt, BodyDecrypt, then the
      // route group's Verify (uri, timestamp, password); the handler binds the JSON last.
      let fields: HeaderFields | undefined;
      let plainBody: string | undefined;
      if (!OPEN_ROUTES.has(url.pathname)) {
        fields = this.decryptHeader(req);
        if (rawBody.length > 0) plainBody = this.decryptBody(rawBody, fields);
        this.verify(req, fields);
      } else if (rawBody.length > 0) plainBody = rawBody.toString("utf8");
      let body: unknown;
      if (plainBody !== undefined) {
        body = parseJson(plainBody);
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
          legacyCode: error.legacyCode,
        });
        return loggedBody === undefined ? { reply } : { reply, body: loggedBody };
      }
      throw error;
    }
  }

  /** HeaderDecrypt (ob/agent/api/common/middleware.go): any failure to read the header is DecryptFailed. */
  private decryptHeader(req: IncomingMessage): HeaderFields {
    const header = req.headers["x-ocs-header"];
    if (typeof header !== "string" || header === "")
      throw new AgentError(400, "Request.Header.NotFound", "Header 'X-OCS-Header' not found.");
    try {
      const fields = lowerKeys(
        JSON.parse(this.keyPair.decrypt(Buffer.from(header, "base64")).toString("utf8")),
      );
      const text = (v: unknown) => (v === undefined || v === null ? "" : v);
      const ts = text(fields.ts);
      const auth = text(fields.auth);
      const uri = text(fields.uri);
      // Go's json.Unmarshal refuses a number for a string field, and non-base64 for a []byte one.
      if (typeof ts !== "string" || typeof auth !== "string" || typeof uri !== "string")
        throw new Error("fields");
      const keys = fields.keys;
      if (keys !== undefined && keys !== null && (typeof keys !== "string" || !isBase64(keys)))
        throw new Error("keys");
      return {
        ts,
        auth,
        uri,
        ...(typeof keys === "string" && keys !== "" ? { keys: Buffer.from(keys, "base64") } : {}),
      };
    } catch {
      throw new AgentError(401, "Security.Authentication.Header.DecryptFailed", "Decrypt header failed.");
    }
  }

  /**
   * BodyDecrypt (middleware.go) -> secure/body.go bodyDecryptWithAes. transferKeys refuses key material
   * shorter than the key size (16) and takes the rest as the IV, so longer material passes that check;
   * AesDecryptAndReturnBytes refuses a ciphertext that is not whole blocks. The middleware wraps both with
   * WrapRetain(ErrCommonUnauthorized, err), which keeps the inner agent error's code (errors/wrap.go), so they
   * answer 500 with the inner code; only an error that is not an agent error becomes Common.Unauthorized.
   */
  private decryptBody(raw: Buffer, fields: HeaderFields): string {
    const keys = fields.keys ?? Buffer.alloc(0);
    if (keys.length < AES_KEY_SIZE)
      throw new AgentError(500, "Request.Body.Decrypt.AES.KeyAndIv.Invalid", "AES key and iv are invalid.");
    const key = keys.subarray(0, AES_KEY_SIZE);
    const iv = keys.subarray(AES_KEY_SIZE);
    const cipherText = Buffer.from(raw.toString("utf8"), "base64");
    // Go's cipher.NewCBCDecrypter panics on an IV that is not one block; the agent's gin recovery answers
    // its generic 500 (middleware.go recoveryResponse).
    if (iv.length !== 16) throw new AgentError(500, "Common.Unexpected", "Internal Server Error");
    if (cipherText.length % 16 !== 0)
      throw new AgentError(
        500,
        "Request.Body.Decrypt.AES.ContentLength.Invalid",
        "AES content length is invalid.",
      );
    const decipher = createDecipheriv("aes-128-cbc", key, iv);
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
    // pkcs5UnPadding trusts the last byte; past the start Go panics (recovered as above).
    const pad = plain.length === 0 ? 0 : (plain[plain.length - 1] ?? 0);
    if (pad > plain.length) throw new AgentError(500, "Common.Unexpected", "Internal Server Error");
    return plain.subarray(0, plain.length - pad).toString("utf8");
  }

  /**
   * Verify (middleware.go): uri first, then secure/auth.go VerifyAuth, which checks the timestamp only when
   * the password is not empty, then the password.
   */
  private verify(req: IncomingMessage, fields: HeaderFields): void {
    const requestTarget = req.url ?? "";
    if (fields.uri !== requestTarget)
      throw new AgentError(
        401,
        "Security.Authentication.Header.UriMismatch",
        "The uri in header mismatches the request uri.",
      );
    if (fields.auth !== "") {
      if (!/^[+-]?\d+$/.test(fields.ts))
        throw new AgentError(
          401,
          "Security.Authentication.Timestamp.Invalid",
          `Invalid timestamp '${fields.ts}'.`,
        );
      if (Number(fields.ts) < Math.floor(this.now() / 1000))
        throw new AgentError(401, "Security.Authentication.Expired", "Authentication has expired.");
    }
    if (fields.auth !== this.options.password)
      throw new AgentError(
        401,
        "Security.Authentication.IncorrectOceanbasePassword",
        "Access denied for root@sys: incorrect password.",
      );
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
    // api/obcluster_handler.go obInfoHandler -> executor/ob/info.go GetObInfo: a CLUSTER AGENT answers
    // param.ObInfoResp (ob/param/obcluster.go) with its agents and the cluster's `cluster`/`cluster_id`.
    if (method === "GET" && path === "/api/v1/ob/info")
      return {
        data: {
          agent_info: [
            {
              ip: "127.0.0.1",
              port: 2886,
              zone: "z1",
              identity: "CLUSTER AGENT",
              version: this.options.version ?? "4.5.0.0",
            },
          ],
          obcluster_info: {
            id: this.clusterIdentity.id,
            name: this.clusterIdentity.name,
            version: this.options.version ?? "4.5.0.0",
            topology: Object.fromEntries(
              [...this.cluster.zones.keys()].map((zone, i) => [
                zone,
                [
                  {
                    svr_ip: `10.0.0.${i + 1}`,
                    svr_port: 2882,
                    sql_port: 2881,
                    agent_port: 2886,
                    with_rootserver: i === 0 ? "true" : "false",
                    status: "ACTIVE",
                    build_version: "4.5.0.0",
                  },
                ],
              ]),
            ),
            is_shared_storage: false,
          },
        },
      };
    if (method === "GET" && path === "/api/v1/secret")
      return { data: { ip: "127.0.0.1", port: 2886, public_key: this.keyPair.publicKeyBase64 } };
    // api/unit_handler.go unitConfigListHandler: every DbaObUnitConfig, as an IterableData ({contents}).
    if (method === "GET" && path === "/api/v1/units/config")
      return {
        data: {
          contents: [...this.cluster.unitConfigs.values()].map((u, i) => ({
            unit_config_id: 1001 + i,
            name: u.name,
            max_cpu: u.maxCpu,
            min_cpu: u.minCpu,
            memory_size: u.memorySize,
            log_disk_size: u.logDiskSize,
          })),
        },
      };
    if (method === "GET" && path === "/api/v1/tenants/overview")
      return { data: { contents: this.cluster.tenantsOverview() } };
    if (method === "GET" && tenant)
      return { data: this.cluster.tenantInfo(decodeURIComponent(tenant[1] ?? "")) };
    if (tenantReplicas && (method === "DELETE" || method === "POST" || method === "PATCH")) {
      // api/tenant_handler.go wraps the three replica routes in tenantStatusHandlerWrapper (api/tenant_utils.go):
      // name, existence and NORMAL status are checked before the handler binds the body (c.BindJSON).
      const name = decodeURIComponent(tenantReplicas[1] ?? "");
      this.cluster.requireNormalTenant(name);
      if (method === "DELETE") {
        const created = this.cluster.removeReplicas(name, bindScaleIn(body));
        return created ? { data: this.cluster.dagDto(created, false) } : undefined;
      }
      if (method === "POST")
        return { data: this.cluster.dagDto(this.cluster.addReplicas(name, bindScaleOut(body)), false) };
      const modified = this.cluster.modifyReplicas(name, bindModify(body));
      return modified ? { data: this.cluster.dagDto(modified, false) } : undefined;
    }
    // api/task_handler.go: /dag/unfinish (all unfinished DAGs: cluster and this agent's local ones; the
    // simulated agent has no local DAGs) and /dag/ob/unfinish (cluster DAGs); both read `show_details`
    // (param/task.go TaskQueryParams, default true) and fill nodes unless it is false.
    if (
      method === "GET" &&
      (path === "/api/v1/task/dag/ob/unfinish" || path === "/api/v1/task/dag/unfinish")
    ) {
      const details = showDetails(url);
      return { data: { contents: this.cluster.unfinished().map((d) => this.cluster.dagDto(d, details)) } };
    }
    if (method === "GET" && dag) {
      const details = showDetails(url);
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

/** `show_details` as gin binds a *bool with default=true (strconv.ParseBool's spellings of false). */
function showDetails(url: URL): boolean {
  const value = url.searchParams.get("show_details");
  return value === null || !["0", "f", "F", "false", "FALSE", "False"].includes(value);
}

function bindFailed(detail: string): AgentError {
  return new AgentError(400, "Common.BindJsonFailed", `Bind JSON failed: ${detail}`);
}

/**
 * gin's BindJSON of a list of objects: Go's encoding/json (field names matched case-insensitively, absent fields
 * left at zero values, a wrong JSON type refused) and the validator's `binding:"required"` on the list itself only
 * (it does not dive into the elements; a null or missing list fails, an empty one passes).
 */
function bindList(body: unknown, field: string): Record<string, unknown>[] {
  if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body)))
    throw bindFailed("json: cannot unmarshal into Go value of type param");
  const list = lowerKeys(body)[field];
  if (list === undefined || list === null)
    throw bindFailed(`Key: '${field}' Error:Field validation for '${field}' failed on the 'required' tag`);
  if (!Array.isArray(list)) throw bindFailed(`json: cannot unmarshal into Go struct field .${field}`);
  return list.map((item) => {
    if (item === null) return {};
    if (typeof item !== "object" || Array.isArray(item))
      throw bindFailed(`json: cannot unmarshal into Go struct field .${field}`);
    return lowerKeys(item);
  });
}

function goString(value: unknown, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string")
    throw bindFailed(`json: cannot unmarshal into Go struct field .${field} of type string`);
  return value;
}

function goInt(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw bindFailed(`json: cannot unmarshal into Go struct field .${field} of type int`);
  return value;
}

/** param/tenant.go ScaleInTenantReplicasParam: `zones []string binding:"required"`. */
function bindScaleIn(body: unknown): string[] {
  if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body)))
    throw bindFailed("json: cannot unmarshal into Go value of type param.ScaleInTenantReplicasParam");
  const zones = lowerKeys(body).zones;
  if (zones === undefined || zones === null)
    throw bindFailed(
      "Key: 'ScaleInTenantReplicasParam.Zones' Error:Field validation for 'Zones' failed on the 'required' tag",
    );
  if (!Array.isArray(zones)) throw bindFailed("json: cannot unmarshal into Go struct field .zones");
  return zones.map((z) => goString(z, "zones"));
}

/** param/tenant.go ScaleOutTenantReplicasParam: `zone_list []ZoneParam binding:"required"`. */
function bindScaleOut(body: unknown): AddZoneParam[] {
  return bindList(body, "zone_list").map((z) => ({
    name: goString(z.name, "zone_list.name"),
    replica_type: goString(z.replica_type, "zone_list.replica_type"),
    unit_config_name: goString(z.unit_config_name, "zone_list.unit_config_name"),
    unit_num: goInt(z.unit_num, "zone_list.unit_num"),
  }));
}

/** param/tenant.go ModifyReplicasParam: `zone_list []ModifyReplicaZoneParam binding:"required"`, optional pointers. */
function bindModify(body: unknown): ModifyZoneParam[] {
  return bindList(body, "zone_list").map((z) => ({
    zone_name: goString(z.zone_name, "zone_list.zone_name"),
    replica_type: z.replica_type == null ? undefined : goString(z.replica_type, "zone_list.replica_type"),
    unit_config_name:
      z.unit_config_name == null ? undefined : goString(z.unit_config_name, "zone_list.unit_config_name"),
    unit_num: z.unit_num == null ? undefined : goInt(z.unit_num, "zone_list.unit_num"),
  }));
}

function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentError(400, "Common.BindJsonFailed", "Failed to bind the JSON body.");
  }
}

export async function startObshellSimulator(
  options: ObshellSimOptions & { port?: number },
): Promise<ObshellSimulator> {
  const sim = new ObshellSimulator(options);
  await sim.start(options.port ?? 0);
  return sim;
}
