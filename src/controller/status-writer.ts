// Writes only the status subresource, only when it changed, guarded by resourceVersion; on a conflict
// it reads the object again, recomputes the status from it and retries.
import { isDeepStrictEqual } from "node:util";
import { KubeApiError, type KubeHttp } from "./kube-http.js";
import { type KubeObject, objectPath, type ResourceType } from "./resource.js";

export interface StatusWriteObserver {
  onStatusWrite?(resource: string, outcome: "written" | "unchanged" | "conflict"): void;
}

export class StatusWriter {
  constructor(
    private readonly http: KubeHttp,
    private readonly observer: StatusWriteObserver = {},
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
      const status = compute(current);
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
