// The cancellation of the reconcile a remote call runs in (leadership lost, SIGTERM), carried to the
// clients without threading a parameter through every method: each request combines it with its timeout.
import { AsyncLocalStorage } from "node:async_hooks";

const ambient = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` so that every remote request it makes is aborted when `signal` aborts. */
export function withCallSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return ambient.run(signal, fn);
}

/** The signal for one request: its own deadline, and the surrounding reconcile's cancellation if any. */
export function requestSignal(timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const outer = ambient.getStore();
  return outer ? AbortSignal.any([timeout, outer]) : timeout;
}
