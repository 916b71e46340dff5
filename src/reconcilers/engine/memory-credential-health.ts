// Credential health kept in memory: one failure blocks that exact credential for the window; a lock
// scope (a DCS AK, which DCS locks after five bad signatures in a row) takes at most MAX_SCOPE_FAILURES
// bad requests per window from credentials not known to be good. A success clears the credential.
import type { CredentialGate, CredentialHealth } from "./credential-health.js";

export const AUTH_RETRY_MS = 300_000;

/** Digests only, never a credential: refused credentials (when) and refusals per lock scope. */
export interface CredentialHealthState {
  failed: Record<string, number>;
  scopes: Record<string, number[]>;
}
/** DCS locks an AK after 5 bad signatures; the operator alone stays well under that. */
export const MAX_SCOPE_FAILURES = 2;

export class MemoryCredentialHealth implements CredentialHealth {
  private readonly failedAt = new Map<string, number>();
  /** Why each refusal recorded here was refused, with its time: a later one restored from elsewhere has none. */
  private readonly refusal = new Map<string, { at: number; reason: string }>();
  private readonly scopeFailures = new Map<string, number[]>();
  private readonly good = new Set<string>();
  constructor(
    private readonly windowMs = AUTH_RETRY_MS,
    /** In [0, 1): each refusal's own fraction of a millisecond (see recordFailure). */
    private readonly random: () => number = Math.random,
  ) {}

  mayAttempt(credential: string, now: Date, lockScope?: string): CredentialGate {
    const t = now.getTime();
    const at = this.failedAt.get(credential);
    if (at !== undefined && t - at < this.windowMs)
      return {
        ok: false,
        retryAt: at + this.windowMs,
        message: `these credentials were refused at ${new Date(at).toISOString()}${this.reasonAt(credential, at)}; nothing is sent with them until ${new Date(at + this.windowMs).toISOString()} or the Secret changes`,
      };
    if (lockScope !== undefined && !this.good.has(credential)) {
      const recent = this.recent(lockScope, t);
      const first = recent[0];
      const oldest = first === undefined ? undefined : Math.floor(first);
      if (recent.length >= MAX_SCOPE_FAILURES && oldest !== undefined)
        return {
          ok: false,
          retryAt: oldest + this.windowMs,
          message: `the access key had ${recent.length} refused requests in the last ${this.windowMs / 60_000} min; untested credentials for it wait until ${new Date(oldest + this.windowMs).toISOString()} (DCS locks a key after 5)`,
        };
    }
    return { ok: true };
  }

  recordFailure(credential: string, now: Date, lockScope?: string, reason?: string): { retryAt: number } {
    const t = now.getTime();
    this.failedAt.set(credential, t);
    if (reason === undefined) this.refusal.delete(credential);
    else this.refusal.set(credential, { at: t, reason });
    this.good.delete(credential);
    // Each refusal is its own point in time: two in the same millisecond (parallel workers, two replicas)
    // must stay two when restore() merges the stored list with this one as a set.
    if (lockScope !== undefined)
      this.scopeFailures.set(lockScope, [...this.recent(lockScope, t), t + this.random()]);
    return { retryAt: t + this.windowMs };
  }

  recordSuccess(credential: string): void {
    this.failedAt.delete(credential);
    this.refusal.delete(credential);
    this.good.add(credential);
  }

  /** What must outlive a restart: refused credentials and the refusals counted per lock scope. */
  snapshot(now: Date): CredentialHealthState {
    const t = now.getTime();
    const failed: Record<string, number> = {};
    for (const [k, at] of this.failedAt) if (t - at < this.windowMs) failed[k] = at;
    const scopes: Record<string, number[]> = {};
    for (const k of this.scopeFailures.keys()) {
      const recent = this.recent(k, t);
      if (recent.length > 0) scopes[k] = recent;
    }
    return { failed, scopes };
  }

  /** Adds what another process (or an earlier run) recorded. */
  restore(state: CredentialHealthState): void {
    for (const [k, at] of Object.entries(state.failed))
      this.failedAt.set(k, Math.max(at, this.failedAt.get(k) ?? 0));
    for (const [k, times] of Object.entries(state.scopes))
      this.scopeFailures.set(
        k,
        [...new Set([...(this.scopeFailures.get(k) ?? []), ...times])].sort((a, b) => a - b),
      );
  }

  /** " (what the remote said)" for the refusal at `at`, when it was recorded here. */
  private reasonAt(credential: string, at: number): string {
    const refusal = this.refusal.get(credential);
    return refusal?.at === at ? ` (${refusal.reason})` : "";
  }

  private recent(scope: string, t: number): number[] {
    return (this.scopeFailures.get(scope) ?? []).filter((at) => t - Math.floor(at) < this.windowMs);
  }
}
