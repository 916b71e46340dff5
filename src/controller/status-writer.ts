// Writes only the status subresource, only when it changed, guarded by resourceVersion; on a conflict
// it reads the object again, recomputes the status from it and retries. Every status goes through here, so
// here known credential values are scrubbed from it (issue 25, L3: a remote echoed them into messages).
import { isDeepStrictEqual } from "node:util";
import { KubeApiError, type KubeHttp } from "./kube-http.js";
import { type KubeObject, objectPath, type ResourceType } from "./resource.js";

export interface StatusWriteObserver {
  onStatusWrite?(resource: string, outcome: "written" | "unchanged" | "conflict"): void;
}

/** Scrubs known credential values from a text (src/observability/logger.ts SecretValues). */
export interface Scrubber {
  scrub(text: string): string;
}

/**
 * Keys whose strings are kept verbatim: the operator's own vocabulary (condition type, status, reason,
 * phase, result) and what it reads back and matches again (remote ids, approval hashes, the operation in
 * flight, bound to its endpoint and zones). A credential that happens to be part of one of these must not
 * turn a used approval into an unused one or lose an operation; none of them carries remote free text.
 */
const VERBATIM_KEYS = new Set(["type", "status", "reason", "phase", "result", "id", "hash", "operation"]);
/** RFC 3339 times, as status writes them: a credential of four digits must not garble a year. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** `status` with every free text (messages, lastError, names a remote reported) scrubbed. */
export function scrubStatus<S>(status: S, scrubber: Scrubber): S {
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === "string")
      return (key !== undefined && VERBATIM_KEYS.has(key)) || TIMESTAMP.test(value)
        ? value
        : scrubber.scrub(value);
    if (value === null || typeof value !== "object" || (key !== undefined && VERBATIM_KEYS.has(key)))
      return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, key));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  };
  return walk(status, undefined) as S;
}

export class StatusWriter {
  constructor(
    private readonly http: KubeHttp,
    private readonly observer: StatusWriteObserver = {},
    private readonly secrets?: Scrubber,
  ) {}

  /**
   * `compute` gets the object (first the one given, after a conflict a fresh read) and returns the
   * status it should have. Returns the object as stored, or the one given when nothing changed.
   */
  async update<T extends KubeObject & { status?: unknown }>(
    type: ResourceType,
    object: T,
    compute: (current: T) => T["status"],
    attempts = 5,
  ): Promise<T> {
    let current = object;
    for (let attempt = 1; ; attempt++) {
      const computed = compute(current);
      const status = this.secrets ? scrubStatus(computed, this.secrets) : computed;
      if (isDeepStrictEqual(status, current.status)) {
        this.observer.onStatusWrite?.(type.plural, "unchanged");
        return current;
      }
      const path = `${objectPath(type, current.metadata.namespace, current.metadata.name)}/status`;
      try {
        const stored = await this.http.json<T>(path, {
          method: "PUT",
          body: { ...current, status },
        });
        this.observer.onStatusWrite?.(type.plural, "written");
        return stored;
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.status !== 409 || attempt >= attempts) throw error;
        this.observer.onStatusWrite?.(type.plural, "conflict");
        current = await this.http.json<T>(
          objectPath(type, current.metadata.namespace, current.metadata.name),
        );
      }
    }
  }
}
