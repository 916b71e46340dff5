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
  /**
   * A request with the credential was refused as unauthenticated; returns when the next may be sent.
   * `reason`: what the remote said, repeated by the gate while it holds the credential back, so a set
   * reconciled again (a retry, an edit) still says why. Kept in this process only: it may carry what the
   * remote echoed, which the status writer scrubs but the Lease must never hold.
   */
  recordFailure(credential: string, now: Date, lockScope?: string, reason?: string): { retryAt: number };
  recordSuccess(credential: string): void;
}
