// One paged DCS listing per client (namespace, endpoint, project, credentials) and interval, shared by
// every Redis set using that client (DCS: "share one listing among every set").
import type { DcsClient, Listing } from "../../providers/dcs/client.js";

interface Entry {
  at: number;
  listing?: Listing;
  inFlight?: Promise<Listing>;
}

export class SharedListings {
  private readonly entries = new WeakMap<DcsClient, Entry>();
  listCalls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A listing no older than `maxAgeMs`; concurrent callers share one request. */
  async get(client: DcsClient, maxAgeMs: number): Promise<Listing> {
    const entry = this.entries.get(client) ?? { at: 0 };
    this.entries.set(client, entry);
    if (entry.listing && this.now() - entry.at < maxAgeMs) return entry.listing;
    if (entry.inFlight) return entry.inFlight;
    const started = this.now();
    this.listCalls++;
    entry.inFlight = client.listInstances();
    try {
      const listing = await entry.inFlight;
      entry.listing = listing;
      entry.at = started;
      return listing;
    } finally {
      delete entry.inFlight;
    }
  }

  /** After a delete, the next reader lists again. */
  invalidate(client: DcsClient): void {
    this.entries.delete(client);
  }
}
