// The obshell agent client: auth v2, zod-parsed envelopes, typed errors, retries for reads only.
import { createHash, type KeyObject } from "node:crypto";
import { type Dispatcher, request } from "undici";
import type { z } from "zod";
import { describeIssues } from "../../api/parse.js";
import { requestSignal } from "../call-signal.js";
import { AuthError, ProtocolError, type RemoteError } from "../errors.js";
import { budgetFor, type ReplyBudget } from "../reply-budget.js";
import { defaultRetryPolicy, type RetryPolicy, withRetry } from "../retry.js";
import {
  type ClientTransportOptions,
  createPool,
  DEFAULT_MAX_REPLY_BYTES,
  readBody,
  transportError,
} from "../transport.js";
import { authHeader, encryptBody, newSessionKeys, parseAgentPublicKey } from "./auth.js";
import { OBSHELL_FALLBACK_BUDGET, OBSHELL_REPLY_BUDGETS } from "./budgets.js";
import { AgentKeyRejectedError, obshellError } from "./errors.js";
import { parseLocality, type Replica } from "./locality.js";
import {
  type AgentInfo,
  agentInfo,
  agentSecret,
  type DagDetail,
  type DagOperator,
  dagDetail,
  dagDetailList,
  envelope,
  obInfo,
  type TenantInfo,
  type TenantOverview,
  tenantInfo,
  tenantOverviewList,
  type UnitConfig,
  unitConfigList,
} from "./schemas.js";

export interface ObshellClientOptions extends ClientTransportOptions {
  endpoint: string;
  /** root@sys password; read at call time so a rotated Secret takes effect. Never logged. */
  password: () => string;
  /**
   * Lower-case hex SHA-256 of the agent's DER public key (agentPublicKeySha256). When set, a key that
   * differs is refused with an AuthError before any password is encrypted with it.
   */
  pinnedKeySha256?: string | undefined;
  now?: () => number;
}

export interface ZoneListItem {
  name: string;
  unit_config_name: string;
  unit_num: number;
  replica_type?: "FULL" | "READONLY";
}

/** The cluster an agent belongs to, as it reports it. */
export interface ClusterIdentity {
  /** The cluster's `cluster` parameter. */
  name: string;
  /** The cluster's `cluster_id` parameter. */
  id: number;
}

export type DeleteReplicasResult = { kind: "dag"; dag: DagDetail } | { kind: "nothing-to-do" };

/** A tenant with its replicas read from the locality, as the agent reads them. */
export interface ObservedTenant {
  info: TenantInfo;
  replicas: Replica[];
}

type Method = "GET" | "POST" | "DELETE" | "PATCH";

export class ObshellClient {
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private publicKey: Promise<KeyObject> | undefined;

  constructor(private readonly options: ObshellClientOptions) {
    this.origin = new URL(options.endpoint).origin;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createPool(options);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.now = options.now ?? Date.now;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  info(): Promise<AgentInfo> {
    return this.read("/api/v1/info", agentInfo, { auth: false });
  }

  /**
   * The cluster this agent belongs to: GET /api/v1/ob/info (authenticated; a FOLLOWER forwards it to its
   * MASTER, a CLUSTER AGENT reads the `cluster` and `cluster_id` parameters: ob/agent/api/obcluster_handler.go
   * `obInfoHandler`, ob/agent/executor/ob/info.go `GetObInfo`). No name or id (a SINGLE agent, a cluster
   * not yet initialised) is a ProtocolError: nothing is decided without knowing which cluster answers.
   */
  async clusterIdentity(): Promise<ClusterIdentity> {
    const info = await this.read("/api/v1/ob/info", obInfo);
    const name = info.obcluster_info?.name ?? "";
    const id = info.obcluster_info?.id ?? 0;
    if (name === "" || id <= 0)
      throw this.protocolError("GET", "/api/v1/ob/info", "reports no cluster name and id");
    return { name, id };
  }

  async getTenant(name: string): Promise<ObservedTenant> {
    const info = await this.read(`/api/v1/tenant/${encodeURIComponent(name)}`, tenantInfo);
    try {
      return { info, replicas: parseLocality(info.locality) };
    } catch (error) {
      throw new ProtocolError(`tenant locality "${info.locality}" does not parse`, {
        provider: "obshell",
        operation: `GET /api/v1/tenant/${name}`,
        cause: error,
      });
    }
  }

  async tenantsOverview(): Promise<TenantOverview[]> {
    return (await this.read("/api/v1/tenants/overview", tenantOverviewList)).contents ?? [];
  }

  /** Every resource unit config of the cluster (api/unit_handler.go unitConfigListHandler). */
  async unitConfigs(): Promise<UnitConfig[]> {
    return (await this.read("/api/v1/units/config", unitConfigList)).contents ?? [];
  }

  getDag(id: string, showDetails = false): Promise<DagDetail> {
    return this.read(`/api/v1/task/dag/${encodeURIComponent(id)}?show_details=${showDetails}`, dagDetail);
  }

  /**
   * The agent lists failed and cancelled tenant DAGs here too, each with every node and sub-task log unless
   * `show_details=false` (default true: ob/agent/executor/task/dag.go GetClusterUnfinishDags, param/task.go).
   */
  async unfinishedDags(): Promise<DagDetail[]> {
    return (await this.read("/api/v1/task/dag/ob/unfinish?show_details=false", dagDetailList)).contents ?? [];
  }

  /** Never retried here: after a failure the caller looks again (tenant, unfinished DAGs) before deciding. */
  async deleteReplicas(tenant: string, zones: readonly string[]): Promise<DeleteReplicasResult> {
    const reply = await this.send(
      "DELETE",
      `/api/v1/tenant/${encodeURIComponent(tenant)}/replicas`,
      { zones },
      dagDetail,
    );
    return reply === undefined ? { kind: "nothing-to-do" } : { kind: "dag", dag: reply };
  }

  /** Not idempotent on the agent (an existing replica is refused): never retried. */
  async addReplicas(tenant: string, zoneList: readonly ZoneListItem[]): Promise<DagDetail> {
    const reply = await this.send(
      "POST",
      `/api/v1/tenant/${encodeURIComponent(tenant)}/replicas`,
      { zone_list: zoneList },
      dagDetail,
    );
    if (reply === undefined)
      throw this.protocolError("POST", "/api/v1/tenant/{name}/replicas", "answered 204 to an add");
    return reply;
  }

  async operateDag(id: string, operator: Exclude<DagOperator, "RUN">): Promise<void> {
    await this.send("POST", `/api/v1/task/dag/${encodeURIComponent(id)}`, { operator }, undefined);
  }

  private read<S extends z.ZodType>(
    uri: string,
    schema: S,
    opts: { auth?: boolean } = {},
  ): Promise<z.output<S>> {
    return withRetry(
      async () => {
        const data = await this.send("GET", uri, undefined, schema, opts.auth ?? true);
        if (data === undefined) throw this.protocolError("GET", uri, "answered with no data");
        return data;
      },
      this.retry,
      (error) => error.kind === "transport" || error.kind === "server" || error.kind === "protocol",
    );
  }

  private async agentKey(refresh = false): Promise<KeyObject> {
    if (refresh || !this.publicKey) {
      this.publicKey = this.send("GET", "/api/v1/secret", undefined, agentSecret, false).then((secret) => {
        if (!secret) throw this.protocolError("GET", "/api/v1/secret", "answered with no key");
        this.checkPin(secret.public_key);
        return parseAgentPublicKey(secret.public_key);
      });
      this.publicKey.catch(() => {
        this.publicKey = undefined;
      });
    }
    return this.publicKey;
  }

  /** Refuses an agent key other than the pinned one: the password would go to whoever holds it. */
  private checkPin(publicKeyBase64: string): void {
    const pin = this.options.pinnedKeySha256?.toLowerCase();
    if (!pin) return;
    const actual = createHash("sha256").update(Buffer.from(publicKeyBase64, "base64")).digest("hex");
    if (actual !== pin)
      throw new AuthError(
        `agent public key sha256 ${actual} is not the pinned agentPublicKeySha256 ${pin}; no password sent`,
        { provider: "obshell", operation: "GET /api/v1/secret" },
      );
  }

  /**
   * One request. A DecryptFailed rejection (errCode, or the legacy `code: 1` the official SDK keys on) is
   * retried once with a fresh agent key (agents regenerate it on upgrade); the agent refused it before doing
   * anything, so this is safe even for a delete.
   */
  private async send<S extends z.ZodType>(
    method: Method,
    uri: string,
    body: unknown,
    schema: S | undefined,
    auth = true,
    keyRefreshed = false,
  ): Promise<z.output<S> | undefined> {
    try {
      return await this.sendOnce(method, uri, body, schema, auth);
    } catch (error) {
      if (auth && !keyRefreshed && error instanceof AgentKeyRejectedError) {
        await this.agentKey(true);
        return this.send(method, uri, body, schema, auth, true);
      }
      throw error;
    }
  }

  private async sendOnce<S extends z.ZodType>(
    method: Method,
    uri: string,
    body: unknown,
    schema: S | undefined,
    auth: boolean,
  ): Promise<z.output<S> | undefined> {
    const operation = `${method} ${uri.split("?")[0]}`;
    const headers: Record<string, string> = { accept: "application/json" };
    let payload: string | undefined;
    if (auth) {
      const keys = newSessionKeys();
      const publicKey = await this.agentKey();
      headers["x-ocs-header"] = authHeader({
        publicKey,
        password: this.options.password(),
        uri,
        keys,
        nowSeconds: this.now() / 1000,
      });
      if (body !== undefined) {
        payload = encryptBody(JSON.stringify(body), keys);
        headers["content-type"] = "application/json";
      }
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }

    const started = performance.now();
    let status: number | "error" = "error";
    const deadline = requestSignal(this.timeoutMs);
    try {
      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        res = await request(`${this.origin}${uri}`, {
          method,
          headers,
          dispatcher: this.dispatcher,
          signal: deadline.signal,
          ...(payload === undefined ? {} : { body: payload }),
        });
        status = res.statusCode;
        text = await readBody(res, this.budget(method, uri), { provider: "obshell", operation });
      } catch (error) {
        throw transportError(error, { provider: "obshell", operation });
      } finally {
        deadline.release();
      }
      return this.interpret(res.statusCode, res.headers["x-obshell-trace-id"], text, schema, operation);
    } finally {
      this.options.onRequest?.({
        provider: "obshell",
        operation,
        status,
        durationMs: performance.now() - started,
      });
    }
  }

  private interpret<S extends z.ZodType>(
    statusCode: number,
    traceHeader: string | string[] | undefined,
    text: string,
    schema: S | undefined,
    operation: string,
  ): z.output<S> | undefined {
    const headerTrace = typeof traceHeader === "string" ? traceHeader : undefined;
    if (statusCode === 204 && text.trim() === "") return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const detail = { provider: "obshell" as const, operation, status: statusCode, requestId: headerTrace };
      if (statusCode >= 500) throw obshellError({ ...detail, remoteMessage: "non-JSON reply" });
      throw new ProtocolError(
        `reply is not JSON (${text.length} bytes: ${JSON.stringify(text.slice(0, 60))})`,
        detail,
      );
    }
    const parsed = envelope.safeParse(json);
    if (!parsed.success) {
      throw new ProtocolError(`reply is not an obshell envelope (${describeIssues(parsed.error)})`, {
        provider: "obshell",
        operation,
        status: statusCode,
        requestId: headerTrace,
      });
    }
    const reply = parsed.data;
    const traceId = reply.traceId ?? headerTrace;
    if (!reply.successful || statusCode >= 400) {
      throw obshellError({
        operation,
        status: statusCode >= 400 ? statusCode : reply.status,
        remoteCode:
          reply.error?.errCode ?? (reply.error?.code !== undefined ? String(reply.error.code) : undefined),
        legacyCode: reply.error?.code,
        remoteMessage: reply.error?.message,
        requestId: traceId,
      });
    }
    if (schema === undefined) return undefined;
    const data = schema.safeParse(reply.data);
    if (!data.success) {
      throw new ProtocolError(`reply data does not match (${describeIssues(data.error)})`, {
        provider: "obshell",
        operation,
        status: statusCode,
        requestId: traceId,
      });
    }
    return data.data;
  }

  /** The route's parse budget, its bytes no more than `maxReplyBytes`. */
  private budget(method: Method, uri: string): ReplyBudget {
    const budget = budgetFor(
      OBSHELL_REPLY_BUDGETS,
      OBSHELL_FALLBACK_BUDGET,
      method,
      uri.split("?")[0] ?? uri,
    );
    return { ...budget, bytes: Math.min(budget.bytes, this.maxReplyBytes) };
  }

  private protocolError(method: string, uri: string, what: string): RemoteError {
    return new ProtocolError(what, { provider: "obshell", operation: `${method} ${uri.split("?")[0]}` });
  }
}
