// The engine's view of shared credential health (src/fleet/credential-health.ts implements it across sets
// and restarts): whether a request may be sent with a credential, and what happened when one was.

export type CredentialGate = { ok: true } | { ok: false; retryAt: number; message: string };

export interface CredentialHealth {
  /**
   * Work the gate needs once per credential, done off the event loop; awaited before `mayAttempt` (an
   * implementation without such work leaves it out).
   */
  prepare?(credential: string, lockScope?: string): Promise<void>;
  /** `lockScope`: what the remote locks as a whole (a DCS AK, whatever the SK), when that differs. */
  mayAttempt(credential: string, now: Date, lockScope?: string): CredentialGate;
  /** A request with the credential was refused as unauthenticated; returns when the next may be sent. */
  recordFailure(credential: string, now: Date, lockScope?: string): { retryAt: number };
  recordSuccess(credential: string): void;
}
