// The Huawei Cloud DCS v2 client: signed requests, paged and cross-checked listings, batch deletes.

import { type Dispatcher, request } from "undici";
import type { z } from "zod";
import { describeIssues } from "../../api/parse.js";
import { requestSignal } from "../call-signal.js";
import { InconsistentListingError, ProtocolError, type RemoteError } from "../errors.js";
import { budgetFor } from "../reply-budget.js";
import { defaultRetryPolicy, type RetryPolicy, withRetry } from "../retry.js";
import {
  type ClientTransportOptions,
  createPool,
  DEFAULT_MAX_REPLY_BYTES,
  readBody,
  transportError,
} from "../transport.js";
import { DCS_FALLBACK_BUDGET, DCS_REPLY_BUDGETS } from "./budgets.js";
import { dcsError, parseErrorBody } from "./errors.js";
import { MAX_BATCH_DELETE } from "./limits.js";
import {
  type BatchDeleteResult,
  batchDeleteReply,
  type DcsInstance,
  dcsInstance,
  listInstancesReply,
} from "./schemas.js";
import { type Credentials, signRequest } from "./signer.js";

export const MAX_PAGE_SIZE = 1000;
/** A listing past these is refused whole (never acted on in part): 10,000 pages once ran unchecked. */
export const DEFAULT_MAX_LIST_PAGES = 100;
export const DEFAULT_MAX_LIST_ITEMS = 20_000;
const LISTING_ATTEMPTS = 4;

export type DcsAuth =
  | { kind: "aksk"; credentials: () => Credentials }
  | { kind: "token"; token: () => string };

export interface DcsClientOptions extends ClientTransportOptions {
  endpoint: string;
  projectId: string;
  auth: DcsAuth;
  pageSize?: number;
  /** Most pages and instances one listing reads before it fails with a ProtocolError. */
  maxListPages?: number;
  maxListItems?: number;
  now?: () => Date;
}

export interface ListFilters {
  name?: string;
  nameEqual?: boolean;
  status?: string;
  instanceId?: string;
  tags?: Record<string, string>;
  includeFailure?: boolean;
  includeDelete?: boolean;
  ip?: string;
}

export interface Listing {
  instances: DcsInstance[];
  /** Pages read in the accepted listing. */
  pages: number;
}

type Method = "GET" | "DELETE";

function sameIds(a: readonly DcsInstance[], b: readonly DcsInstance[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((i) => i.instance_id));
  return b.every((i) => ids.has(i.instance_id));
}

function retryAfterMs(header: string | string[] | undefined, now: Date): number | undefined {
  if (typeof header !== "string") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export class DcsClient {
  private readonly base: URL;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;
  private readonly maxListPages: number;
  private readonly maxListItems: number;
  private readonly pageSize: number;
  private readonly retry: RetryPolicy;
  private readonly now: () => Date;

  constructor(private readonly options: DcsClientOptions) {
    this.base = new URL(options.endpoint);
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createPool(options);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.maxListPages = options.maxListPages ?? DEFAULT_MAX_LIST_PAGES;
    this.maxListItems = options.maxListItems ?? DEFAULT_MAX_LIST_ITEMS;
    this.pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    this.retry = options.retry ?? defaultRetryPolicy;
    this.now = options.now ?? (() => new Date());
  }

  get projectId(): string {
    return this.options.projectId;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /**
   * Every instance matching `filters`, all pages read. A listing whose pages disagree is read again;
   * after a disagreement only two consecutive listings with the same ids are accepted.
   */
  async listInstances(filters: ListFilters = {}): Promise<Listing> {
    let previous: { instances: DcsInstance[]; consistent: boolean } | undefined;
    let sawInconsistency = false;
    let reason = "";
    for (let attempt = 1; attempt <= LISTING_ATTEMPTS; attempt++) {
      const listing = await this.listOnce(filters);
      if (listing.consistent && !sawInconsistency)
        return { instances: listing.instances, pages: listing.pages };
      if (listing.consistent && previous?.consistent && sameIds(previous.instances, listing.instances))
        return { instances: listing.instances, pages: listing.pages };
      if (!listing.consistent) {
        sawInconsistency = true;
        reason = listing.reason;
      }
      previous = listing;
    }
    throw new InconsistentListingError(
      `instance list did not settle after ${LISTING_ATTEMPTS} listings (${reason})`,
      {
        provider: "dcs",
        operation: `GET /v2/${this.options.projectId}/instances`,
      },
    );
  }

  private async listOnce(filters: ListFilters) {
    const instances: DcsInstance[] = [];
    const seen = new Set<string>();
    const totals = new Set<number>();
    let duplicates = 0;
    let pages = 0;
    for (let offset = 0; ; ) {
      if (pages >= this.maxListPages || instances.length > this.maxListItems)
        throw new ProtocolError(
          `listing passed ${this.maxListPages} pages or ${this.maxListItems} instances; refusing to read further or act on part of it`,
          { provider: "dcs", operation: `GET /v2/${this.options.projectId}/instances` },
        );
      const query = this.listQuery(filters, offset);
      const page = await this.read("GET", this.path("/instances"), query, listInstancesReply);
      pages++;
      totals.add(page.instance_num);
      const items = page.instances ?? [];
      for (const item of items) {
        if (seen.has(item.instance_id)) duplicates++;
        else {
          seen.add(item.instance_id);
          instances.push(item);
        }
      }
      offset += items.length;
      if (items.length < this.pageSize) break;
    }
    const [total] = totals;
    let reason = "";
    if (duplicates > 0) reason = `${duplicates} instance(s) appeared on two pages`;
    else if (totals.size > 1) reason = `instance_num moved between pages (${[...totals].join(" -> ")})`;
    else if (total !== instances.length) reason = `instance_num ${total} but ${instances.length} collected`;
    return { instances, pages, consistent: reason === "", reason };
  }

  private listQuery(filters: ListFilters, offset: number): URLSearchParams {
    const q = new URLSearchParams({ offset: String(offset), limit: String(this.pageSize) });
    if (filters.name !== undefined) q.set("name", filters.name);
    if (filters.nameEqual) q.set("name_equal", "true");
    if (filters.status !== undefined) q.set("status", filters.status);
    if (filters.instanceId !== undefined) q.set("instance_id", filters.instanceId);
    if (filters.ip !== undefined) q.set("ip", filters.ip);
    if (filters.includeFailure) q.set("include_failure", "true");
    if (filters.includeDelete) q.set("include_delete", "true");
    if (filters.tags && Object.keys(filters.tags).length > 0)
      q.set(
        "tags",
        Object.entries(filters.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      );
    return q;
  }

  getInstance(id: string): Promise<DcsInstance> {
    return this.read("GET", this.path(`/instances/${encodeURIComponent(id)}`), undefined, dcsInstance);
  }

  /**
   * One batch call (never `all_failure=true`). Partial failure is a normal result: one entry per id.
   * Retried only when throttled, which the gateway answers before DCS acts.
   */
  async batchDelete(
    ids: readonly string[],
    options: { recycle?: boolean } = {},
  ): Promise<BatchDeleteResult[]> {
    if (ids.length === 0) return [];
    if (ids.length > MAX_BATCH_DELETE)
      throw new RangeError(`a batch delete takes at most ${MAX_BATCH_DELETE} ids, got ${ids.length}`);
    // is_recycle: documented on batch and single delete by the DCS API reference (2025), e.g.
    // https://support.huaweicloud.com/intl/tr-tr/my-kualalumpur-1-api-dcs/BatchDeleteInstances.html ; the
    // official SDKs' request models lack it.
    const body = JSON.stringify({
      instances: ids,
      ...(options.recycle === undefined ? {} : { is_recycle: options.recycle }),
    });
    const reply = await withRetry(
      () => this.send("DELETE", this.path("/instances"), undefined, body, batchDeleteReply),
      this.retry,
      (error) => error.kind === "throttled",
    );
    if (!reply)
      throw new ProtocolError("batch delete answered with no body", {
        provider: "dcs",
        operation: "DELETE /instances",
      });
    return reply.results;
  }

  /** Single delete; 204 on success. Retried only when throttled. */
  async deleteInstance(id: string): Promise<void> {
    await withRetry(
      () =>
        this.send(
          "DELETE",
          this.path(`/instances/${encodeURIComponent(id)}`),
          undefined,
          undefined,
          undefined,
        ),
      this.retry,
      (error) => error.kind === "throttled",
    );
  }

  private path(suffix: string): string {
    return `${this.base.pathname.replace(/\/$/, "")}/v2/${encodeURIComponent(this.options.projectId)}${suffix}`;
  }

  private async read<S extends z.ZodType>(
    method: Method,
    path: string,
    query: URLSearchParams | undefined,
    schema: S,
  ) {
    const data = await withRetry(
      () => this.send(method, path, query, undefined, schema),
      this.retry,
      (error) => ["transport", "server", "throttled", "protocol"].includes(error.kind),
    );
    if (data === undefined)
      throw new ProtocolError("answered with no body", { provider: "dcs", operation: `${method} ${path}` });
    return data;
  }

  private async send<S extends z.ZodType>(
    method: Method,
    path: string,
    query: URLSearchParams | undefined,
    body: string | undefined,
    schema: S | undefined,
  ): Promise<z.output<S> | undefined> {
    // Joined to the origin, never resolved against the base: a path starting with // would name a host.
    const url = new URL(`${this.base.origin}${path}`);
    if (query) url.search = query.toString();
    const operation = `${method} ${path}`;
    let headers: Record<string, string> = { "X-Project-Id": this.options.projectId };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.options.auth.kind === "token") headers["X-Auth-Token"] = this.options.auth.token();
    else headers = signRequest({ method, url, headers, body }, this.options.auth.credentials(), this.now());

    const started = performance.now();
    let status: number | "error" = "error";
    const deadline = requestSignal(this.timeoutMs);
    try {
      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        res = await request(url, {
          method,
          headers,
          dispatcher: this.dispatcher,
          signal: deadline.signal,
          ...(body === undefined ? {} : { body }),
        });
        status = res.statusCode;
        const budget = budgetFor(DCS_REPLY_BUDGETS, DCS_FALLBACK_BUDGET, method, url.pathname);
        text = await readBody(
          res,
          { ...budget, bytes: Math.min(budget.bytes, this.maxReplyBytes) },
          { provider: "dcs", operation },
        );
      } catch (error) {
        throw transportError(error, { provider: "dcs", operation });
      } finally {
        deadline.release();
      }
      const requestId =
        typeof res.headers["x-request-id"] === "string" ? res.headers["x-request-id"] : undefined;
      if (res.statusCode >= 400)
        throw this.errorFrom(res.statusCode, text, requestId, operation, res.headers["retry-after"]);
      if (res.statusCode === 204 || schema === undefined) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ProtocolError(
          `reply is not JSON (${text.length} bytes: ${JSON.stringify(text.slice(0, 60))})`,
          {
            provider: "dcs",
            operation,
            status: res.statusCode,
            requestId,
          },
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw new ProtocolError(`reply does not match (${describeIssues(parsed.error)})`, {
          provider: "dcs",
          operation,
          status: res.statusCode,
          requestId,
        });
      return parsed.data;
    } finally {
      this.options.onRequest?.({
        provider: "dcs",
        operation,
        status,
        durationMs: performance.now() - started,
      });
    }
  }

  private errorFrom(
    status: number,
    text: string,
    headerRequestId: string | undefined,
    operation: string,
    retryAfter: string | string[] | undefined,
  ): RemoteError {
    let code: string | undefined;
    let message: string | undefined;
    let requestId = headerRequestId;
    try {
      const parsed = parseErrorBody(JSON.parse(text));
      if (parsed) {
        code = parsed.code;
        message = parsed.message;
        requestId ??= parsed.requestId;
      } else message = "error body of an unknown shape";
    } catch {
      message = `non-JSON error body (${text.length} bytes)`;
    }
    return dcsError({
      operation,
      status,
      remoteCode: code,
      remoteMessage: message,
      requestId,
      retryAfterMs: retryAfterMs(retryAfter, this.now()),
    });
  }
}
