// Backoff with full jitter for idempotent remote calls; randomness and sleep are injected for tests.
import { RemoteError, ThrottledError } from "./errors.js";

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, baseMs: 200, maxMs: 5000 };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `attempt` (1-based): full jitter over an exponential ceiling, or the server's Retry-After. */
export function backoffDelay(attempt: number, policy: RetryPolicy, error: unknown): number {
  if (error instanceof ThrottledError && error.retryAfterMs !== undefined)
    return Math.min(error.retryAfterMs, policy.maxMs * 4);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round((policy.random ?? Math.random)() * ceiling);
}

/** Runs `call` again while it fails with a retryable RemoteError that `shouldRetry` accepts. */
export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  shouldRetry: (error: RemoteError) => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RemoteError) || !shouldRetry(error) || attempt >= policy.attempts) throw error;
      await (policy.sleep ?? realSleep)(backoffDelay(attempt, policy, error));
    }
  }
}
