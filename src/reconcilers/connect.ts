// The connect step both kinds and `plan` share: credentials from a SecretSource, a client per connection
// identity (every setting and the credentials, digested) and namespace, released when no set uses it.
import { createHash } from "node:crypto";
import { durationMs } from "../api/common.js";
import { Reason } from "../api/reasons.js";
import type { RedisInstanceSetSpec } from "../api/redis-instance-set.js";
import type { TenantReplicaSetSpec } from "../api/tenant-replica-set.js";
import { DcsClient } from "../providers/dcs/client.js";
import { ObshellClient } from "../providers/obshell/client.js";
import type { RequestObservation } from "../providers/transport.js";
import type { Connection } from "./engine/kind.js";

export type SecretLookup = { ok: true; values: Record<string, string> } | { ok: false; message: string };

/** Where credentials come from: the informer cache in the controller, the cluster or env in `plan`. */
export interface SecretSource {
  read(namespace: string, name: string, keys: readonly string[]): Promise<SecretLookup>;
}

/** A digest that changes with every part without holding any of them in clear. */
export function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

interface Closable {
  close(): Promise<void>;
}

/**
 * Clients shared by the sets of one namespace with the same connection identity; a set moving to another
 * identity releases its old one, and the last release closes the client (no namespace can close another's).
 */
export class ClientPool<C extends Closable> {
  private readonly clients = new Map<string, { client: C; holders: Set<string> }>();
  private readonly heldBy = new Map<string, string>();

  acquire(holder: string, identity: string, create: () => C): C {
    const previous = this.heldBy.get(holder);
    if (previous !== undefined && previous !== identity) this.release(holder);
    let entry = this.clients.get(identity);
    if (!entry) {
      entry = { client: create(), holders: new Set() };
      this.clients.set(identity, entry);
    }
    entry.holders.add(holder);
    this.heldBy.set(holder, identity);
    return entry.client;
  }

  release(holder: string): void {
    const identity = this.heldBy.get(holder);
    if (identity === undefined) return;
    this.heldBy.delete(holder);
    const entry = this.clients.get(identity);
    if (!entry) return;
    entry.holders.delete(holder);
    if (entry.holders.size === 0) {
      this.clients.delete(identity);
      void entry.client.close();
    }
  }

  get size(): number {
    return this.clients.size;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.values()].map((e) => e.client.close()));
    this.clients.clear();
    this.heldBy.clear();
  }
}

export interface ConnectOptions {
  secrets: SecretSource;
  onRequest?: ((observation: RequestObservation) => void) | undefined;
}

type ObshellSettings = TenantReplicaSetSpec["obshell"];
type DcsSettings = RedisInstanceSetSpec["dcs"];

export async function connectObshell(
  options: ConnectOptions,
  pool: ClientPool<ObshellClient>,
  holder: string,
  namespace: string,
  settings: ObshellSettings,
): Promise<Connection<ObshellClient>> {
  const ref = settings.credentialsSecretRef;
  const secret = await options.secrets.read(namespace, ref.name, [ref.key]);
  if (!secret.ok)
    return { ok: false, step: { kind: "Stall", reason: Reason.CredentialsMissing, message: secret.message } };
  const password = secret.values[ref.key] ?? "";
  const ca = settings.tls?.caSecretRef;
  let caPem: string | undefined;
  if (ca) {
    const bundle = await options.secrets.read(namespace, ca.name, [ca.key]);
    if (!bundle.ok)
      return {
        ok: false,
        step: { kind: "Stall", reason: Reason.CredentialsMissing, message: bundle.message },
      };
    caPem = bundle.values[ca.key];
  }
  const passwordDigest = digest(password);
  const tls = { ca: caPem, insecureSkipVerify: settings.tls?.insecureSkipVerify ?? false };
  const identity = digest(
    namespace,
    settings.endpoint,
    passwordDigest,
    JSON.stringify(tls),
    settings.requestTimeout,
  );
  const client = pool.acquire(holder, identity, () => {
    return new ObshellClient({
      endpoint: settings.endpoint,
      password: () => password,
      timeoutMs: durationMs(settings.requestTimeout),
      tls,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  });
  return { ok: true, client, credential: digest("obshell", settings.endpoint, passwordDigest) };
}

export async function connectDcs(
  options: ConnectOptions,
  pool: ClientPool<DcsClient>,
  holder: string,
  namespace: string,
  settings: DcsSettings,
): Promise<Connection<DcsClient> & { listingKey?: string }> {
  const ref = settings.credentialsSecretRef;
  const secret = await options.secrets.read(namespace, ref.name, [ref.accessKeyKey, ref.secretKeyKey]);
  if (!secret.ok)
    return { ok: false, step: { kind: "Stall", reason: Reason.CredentialsMissing, message: secret.message } };
  const credentials = {
    accessKey: secret.values[ref.accessKeyKey] ?? "",
    secretKey: secret.values[ref.secretKeyKey] ?? "",
  };
  const identity = digest(
    namespace,
    settings.endpoint,
    settings.projectId,
    credentials.accessKey,
    credentials.secretKey,
    settings.requestTimeout,
  );
  const client = pool.acquire(holder, identity, () => {
    return new DcsClient({
      endpoint: settings.endpoint,
      projectId: settings.projectId,
      auth: { kind: "aksk", credentials: () => credentials },
      timeoutMs: durationMs(settings.requestTimeout),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  });
  // DCS locks an AK after 5 bad signatures: health is per endpoint, project and AK, whatever the SK.
  return {
    ok: true,
    client,
    credential: digest("dcs", settings.endpoint, settings.projectId, credentials.accessKey),
  };
}
