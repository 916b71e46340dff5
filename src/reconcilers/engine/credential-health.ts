// The engine's view of shared credential health (src/fleet/credential-health.ts implements it across sets
// and restarts): whether a request may be sent with a credential, and what happened when one was.

export type CredentialGate = { ok: true } | { ok: false; retryAt: number; message: string };

export interface CredentialHealth {
  mayAttempt(credential: string, now: Date): CredentialGate;
  /** A request with the credential was refused as unauthenticated; returns when the next may be sent. */
  recordFailure(credential: string, now: Date): { retryAt: number };
  recordSuccess(credential: string): void;
}
