// core/v1 Events about our objects; a repeat of the same reason and note on the same object bumps
// the count of the existing Event instead of creating another (as client-go's correlator).
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { KubeApiError, type KubeHttp } from "./kube-http.js";
import type { KubeObject } from "./resource.js";

export type EventType = "Normal" | "Warning";

interface Seen {
  name: string;
  count: number;
  namespace: string;
}

const MAX_TRACKED = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly http: KubeHttp,
    private readonly component: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Fire and forget: an event that cannot be written is logged, never fails a reconcile. */
  record(object: KubeObject, type: EventType, reason: string, note: string): void {
    this.write(object, type, reason, note).catch((error: unknown) =>
      this.logger.warn({ err: error, reason }, "could not record event"),
    );
  }

  async write(object: KubeObject, type: EventType, reason: string, note: string): Promise<void> {
    const namespace = object.metadata.namespace ?? "default";
    const key = `${object.metadata.uid}/${type}/${reason}/${note}`;
    const timestamp = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    const previous = this.seen.get(key);
    if (previous) {
      previous.count++;
      try {
        await this.http.json(`/api/v1/namespaces/${namespace}/events/${previous.name}`, {
          method: "PATCH",
          contentType: "application/merge-patch+json",
          body: { count: previous.count, lastTimestamp: timestamp },
        });
        return;
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.status !== 404) throw error;
        this.seen.delete(key);
      }
    }
    const name = `${object.metadata.name}.${Date.now().toString(16)}${randomBytes(2).toString("hex")}`;
    await this.http.json(`/api/v1/namespaces/${namespace}/events`, {
      method: "POST",
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
        reason,
        message: note,
        type,
        count: 1,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        source: { component: this.component },
        reportingComponent: this.component,
      },
    });
    if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value ?? "");
    this.seen.set(key, { name, count: 1, namespace });
  }
}
