// Credential health kept in memory only: the fallback when no persistent store is configured (tests,
// `plan`). One failure blocks the credential for the window; a success clears it.
import type { CredentialGate, CredentialHealth } from "./credential-health.js";

export const AUTH_RETRY_MS = 300_000;

export class MemoryCredentialHealth implements CredentialHealth {
  private readonly failedAt = new Map<string, number>();
  constructor(private readonly windowMs = AUTH_RETRY_MS) {}

  mayAttempt(credential: string, now: Date): CredentialGate {
    const at = this.failedAt.get(credential);
    if (at === undefined || now.getTime() - at >= this.windowMs) return { ok: true };
    return {
      ok: false,
      retryAt: at + this.windowMs,
      message: `these credentials were refused at ${new Date(at).toISOString()}; nothing is sent with them until ${new Date(at + this.windowMs).toISOString()} or the Secret changes`,
    };
  }

  recordFailure(credential: string, now: Date): { retryAt: number } {
    this.failedAt.set(credential, now.getTime());
    return { retryAt: now.getTime() + this.windowMs };
  }

  recordSuccess(credential: string): void {
    this.failedAt.delete(credential);
  }
}
