// What a reconcile does when the remote fails while observing or following: nothing is deleted,
// the set says why, and it tries again with backoff.
import { AuthError, type RemoteError } from "../providers/errors.js";
import type { Outcome } from "./outcome.js";

/** Bad credentials are not retried soon: obshell tests each bad password against OceanBase, and five bad DCS signatures lock the AK/SK. */
const AUTH_RETRY_MS = 300_000;

export function remoteFailure(
  error: RemoteError,
  failuresInARow: number,
  remote: string,
): { outcome: Outcome; requeueAfterMs: number } {
  if (error instanceof AuthError)
    return {
      outcome: { phase: "Stalled", reason: "AuthenticationFailed", message: error.message },
      requeueAfterMs: AUTH_RETRY_MS,
    };
  return {
    outcome: {
      phase: "Reconciling",
      reason: "ObserveFailed",
      message: `${error.message}; nothing is deleted until ${remote} answers`,
    },
    requeueAfterMs: Math.min(AUTH_RETRY_MS, 2000 * 2 ** (failuresInARow - 1)),
  };
}
