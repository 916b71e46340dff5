// The cancellation of the reconcile a remote call runs in (leadership lost, SIGTERM), carried to the
// clients without threading a parameter through every method: each request combines it with its timeout.
import { AsyncLocalStorage } from "node:async_hooks";

const ambient = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` so that every remote request it makes is aborted when `signal` aborts. */
export function withCallSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return ambient.run(signal, fn);
}

/** One request's signal, and `release` to end its deadline once the reply has been read. */
export interface RequestSignal {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * The signal for one request: its own deadline, and the surrounding reconcile's cancellation if any.
 * Not AbortSignal.timeout: its timer and signal outlive the request by the whole timeout, so at 10,000
 * polling sets some 16,000 of them were live and each was promoted before it expired (issue 29).
 */
export function requestSignal(timeoutMs: number): RequestSignal {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    timeoutMs,
  );
  timer.unref();
  const outer = ambient.getStore();
  return {
    signal: outer ? AbortSignal.any([deadline.signal, outer]) : deadline.signal,
    release: () => clearTimeout(timer),
  };
}
