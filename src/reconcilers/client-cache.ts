// Provider clients kept per endpoint and credentials, so their keep-alive pools are reused across
// reconciles and replaced when a Secret rotates.
import { createHash } from "node:crypto";

export interface Closable {
  close(): Promise<void>;
}

/** A key that changes with the credentials without holding them in clear. */
export function credentialKey(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

export class ClientCache<C extends Closable> {
  private readonly clients = new Map<string, { key: string; client: C }>();

  /** The client for `slot` (e.g. the endpoint); rebuilt when `key` (credentials) changes. */
  get(slot: string, key: string, create: () => C): C {
    const current = this.clients.get(slot);
    if (current && current.key === key) return current.client;
    if (current) void current.client.close();
    const client = create();
    this.clients.set(slot, { key, client });
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.client.close()));
    this.clients.clear();
  }
}
