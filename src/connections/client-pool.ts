// Provider clients shared by the sets that use the same connection, and only by them (issue 17):
// keyed by the set's namespace and the connection's identity (every setting and credential), counted
// by the sets holding them, closed when the last one lets go. A set in one namespace changing its
// credentials never closes a client another namespace is using.

export interface Closable {
  close(): Promise<void>;
}

export class ConnectionClients<C extends Closable> {
  private readonly entries = new Map<string, { key: string; client: C; holders: Set<string> }>();
  /** Per holder, its client's key: the entry's own string, one per client, not one per holder. */
  private readonly heldBy = new Map<string, string>();

  /**
   * The client for `holder` (a set's "namespace/name") using `connection` (its ResolvedConnection's
   * identity) from `namespace`; made with `create` when no set of that namespace holds one. A holder
   * that held another client releases it.
   */
  acquire(holder: string, namespace: string, identity: string, create: () => C): C {
    const key = `${namespace}\u0000${identity}`;
    const previous = this.heldBy.get(holder);
    if (previous !== undefined && previous !== key) this.release(holder);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { key, client: create(), holders: new Set() };
      this.entries.set(key, entry);
    }
    entry.holders.add(holder);
    this.heldBy.set(holder, entry.key);
    return entry.client;
  }

  /** `holder` no longer uses its client (the set was deleted or its connection changed). */
  release(holder: string): void {
    const key = this.heldBy.get(holder);
    if (key === undefined) return;
    this.heldBy.delete(holder);
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.holders.delete(holder);
    if (entry.holders.size === 0) {
      this.entries.delete(key);
      // undici's close lets requests in flight finish; nothing new is sent on it.
      void entry.client.close().catch(() => undefined);
    }
  }

  /** Clients open now: what a memory or leak check reads. */
  get size(): number {
    return this.entries.size;
  }

  async closeAll(): Promise<void> {
    const clients = [...this.entries.values()].map((e) => e.client);
    this.entries.clear();
    this.heldBy.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
