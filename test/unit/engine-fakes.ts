// Fakes around the generic SetReconciler: an API server that stores one object and answers status PUTs
// with resourceVersion checks (so the real StatusWriter runs, conflicts included), an event recorder, and
// one ordered log of every call, so tests can assert what happened before what.
import { KubeApiError, type KubeHttp, type KubeRequest } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { StatusWriter } from "../../src/controller/status-writer.js";
import { createLogger } from "../../src/observability/logger.js";

export type Calls = string[];

export class FakeApi {
  stored: KubeObject;
  /** Every status PUT that was accepted, in order. */
  readonly written: KubeObject[] = [];
  /** Runs once, before the next PUT is checked (e.g. a spec change racing the status write). */
  beforePut: (() => void) | undefined;

  constructor(
    object: KubeObject,
    private readonly calls: Calls,
  ) {
    this.stored = structuredClone(object);
  }

  async json<T>(path: string, req: KubeRequest = {}): Promise<T> {
    if (req.method !== "PUT") return structuredClone(this.stored) as T;
    const hook = this.beforePut;
    this.beforePut = undefined;
    hook?.();
    const body = req.body as KubeObject & { status?: Record<string, unknown> };
    if (body.metadata.resourceVersion !== this.stored.metadata.resourceVersion) {
      this.calls.push("status 409");
      throw new KubeApiError(409, "Conflict", "the object has been modified", path);
    }
    const resourceVersion = String(Number(this.stored.metadata.resourceVersion ?? "0") + 1);
    this.stored = structuredClone({
      ...this.stored,
      metadata: { ...this.stored.metadata, resourceVersion },
      status: body.status,
    });
    this.written.push(this.stored);
    const status = body.status ?? {};
    const conditions = Array.isArray(status.conditions) ? status.conditions : [];
    const reason = (conditions[0] as { reason?: string } | undefined)?.reason;
    this.calls.push(`status ${String(status.phase)}/${String(reason)}`);
    return structuredClone(this.stored) as T;
  }

  /** The stored status, read as a plain record. */
  get status(): Record<string, unknown> {
    return (this.stored.status ?? {}) as Record<string, unknown>;
  }

  writer(): StatusWriter {
    // The real StatusWriter over this fake: KubeHttp is a class, so the fake is cast once here.
    return new StatusWriter(this as unknown as KubeHttp);
  }
}

export function eventLog(calls: Calls) {
  const events: { type: string; reason: string; note: string }[] = [];
  return {
    events,
    record(_object: KubeObject, type: string, reason: string, note: string) {
      events.push({ type, reason, note });
      calls.push(`event ${type}/${reason}`);
    },
  };
}

export const silent = createLogger({ level: "silent" });

export function request(signal: AbortSignal = new AbortController().signal, key = "prod/toy") {
  return { key, signal, log: silent };
}
