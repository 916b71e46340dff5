// Credential health that outlives a restart: the refusals are kept in an annotation of a Lease in the
// operator's own namespace. A Lease, because the operator may already write Leases there (leader election)
// and nowhere else, GitOps tools leave Leases alone, and one object serves every namespace's sets (a set's
// status could not: the health is per credential, across sets). Only digests are stored, and those are
// scrypt-hashed again, so a weak password cannot be recovered from the annotation by guessing.
import { scrypt, scryptSync } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import { GROUP } from "../../api/group.js";
import { KubeApiError, type KubeHttp } from "../../controller/kube-http.js";
import type { CredentialGate, CredentialHealth } from "./credential-health.js";
import { type CredentialHealthState, MemoryCredentialHealth } from "./memory-credential-health.js";

export const CREDENTIAL_HEALTH_LEASE = "dbfleet-operator-credential-health";
export const CREDENTIAL_HEALTH_ANNOTATION = `${GROUP}/credential-health`;

/** The salt of the stored ids: a fixed one, so that every replica and restart derives the same id. */
const ID_SALT = "dbfleet-credential-health";
const ID_BYTES = 16;

const stored = z.object({
  failed: z.record(z.string(), z.number()),
  scopes: z.record(z.string(), z.array(z.number())),
});
const leaseShape = z.looseObject({
  metadata: z.looseObject({
    resourceVersion: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

export class LeaseCredentialHealth implements CredentialHealth {
  private readonly memory = new MemoryCredentialHealth();
  private readonly hashed = new Map<string, string>();
  private readonly deriving = new Map<string, Promise<void>>();
  private writing: Promise<void> = Promise.resolve();
  private loaded = false;

  constructor(
    private readonly http: KubeHttp,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Derives the ids of a credential first seen on libuv's thread pool: scrypt takes tens of milliseconds by
   * design, and a cold start over many teams' credentials would otherwise stop the event loop once each.
   */
  async prepare(credential: string, lockScope?: string): Promise<void> {
    await Promise.all([this.derive(credential), this.derive(lockScope)]);
  }

  private derive(digest: string | undefined): Promise<void> | undefined {
    if (digest === undefined || this.hashed.has(digest)) return undefined;
    let pending = this.deriving.get(digest);
    if (!pending) {
      pending = new Promise<void>((resolve, reject) =>
        scrypt(digest, ID_SALT, ID_BYTES, (error, key) => {
          if (error) reject(error);
          else {
            this.hashed.set(digest, key.toString("hex"));
            resolve();
          }
        }),
      ).finally(() => this.deriving.delete(digest));
      this.deriving.set(digest, pending);
    }
    return pending;
  }

  /** The stored id of a digest; derived here, blocking, only for one that `prepare` never saw. */
  private id(digest: string | undefined): string | undefined {
    if (digest === undefined) return undefined;
    let id = this.hashed.get(digest);
    if (!id) {
      id = scryptSync(digest, ID_SALT, ID_BYTES).toString("hex");
      this.hashed.set(digest, id);
    }
    return id;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${CREDENTIAL_HEALTH_LEASE}`;
  }

  /** Reads what earlier runs (or the other replica) recorded. Until then, nothing is sent. */
  async load(): Promise<void> {
    try {
      const lease = leaseShape.parse(await this.http.json(this.path));
      const text = lease.metadata.annotations?.[CREDENTIAL_HEALTH_ANNOTATION];
      const state = text ? stored.safeParse(JSON.parse(text)) : undefined;
      if (state?.success) this.memory.restore(state.data);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404))
        this.log.warn(
          { error: String(error) },
          "credential health could not be loaded; it is kept in memory only",
        );
    }
    this.loaded = true;
  }

  mayAttempt(credential: string, now: Date, lockScope?: string): CredentialGate {
    if (!this.loaded)
      return { ok: false, retryAt: now.getTime() + 1000, message: "credential health is being loaded" };
    return this.memory.mayAttempt(this.id(credential) ?? credential, now, this.id(lockScope));
  }

  recordFailure(credential: string, now: Date, lockScope?: string, reason?: string): { retryAt: number } {
    const result = this.memory.recordFailure(
      this.id(credential) ?? credential,
      now,
      this.id(lockScope),
      reason,
    );
    this.writing = this.writing.then(() => this.flush()).catch(() => undefined);
    return result;
  }

  recordSuccess(credential: string): void {
    this.memory.recordSuccess(this.id(credential) ?? credential);
  }

  /** Writes the state, merged with what is stored (another replica may have written too). */
  async flush(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let version: string | undefined;
      try {
        const lease = leaseShape.parse(await this.http.json(this.path));
        version = lease.metadata.resourceVersion;
        const text = lease.metadata.annotations?.[CREDENTIAL_HEALTH_ANNOTATION];
        const state = text ? stored.safeParse(JSON.parse(text)) : undefined;
        if (state?.success) this.memory.restore(state.data);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
      const annotation = JSON.stringify(this.memory.snapshot(this.now()) satisfies CredentialHealthState);
      const body = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: CREDENTIAL_HEALTH_LEASE,
          namespace: this.namespace,
          ...(version ? { resourceVersion: version } : {}),
          annotations: { [CREDENTIAL_HEALTH_ANNOTATION]: annotation },
        },
        spec: {},
      };
      try {
        if (version) await this.http.json(this.path, { method: "PUT", body });
        else
          await this.http.json(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`, {
            method: "POST",
            body,
          });
        return;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) continue;
        this.log.warn({ error: String(error) }, "credential health could not be stored");
        return;
      }
    }
  }
}
