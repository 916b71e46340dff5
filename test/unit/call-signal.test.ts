// A request's signal: aborted at its own deadline or when the reconcile it runs in is cancelled, and its
// deadline gone once released, so a finished request holds no timer (issue 29).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { requestSignal, withCallSignal } from "../../src/providers/call-signal.js";

describe("requestSignal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts with a TimeoutError at its deadline", () => {
    const { signal } = requestSignal(1_000);
    vi.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe("TimeoutError");
  });

  it("never aborts once released, and leaves no timer behind", () => {
    const request = requestSignal(1_000);
    expect(vi.getTimerCount()).toBe(1);
    request.release();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(request.signal.aborted).toBe(false);
  });

  it("aborts with the reconcile's reason when the reconcile is cancelled first", async () => {
    const reconcile = new AbortController();
    const request = await withCallSignal(reconcile.signal, async () => requestSignal(1_000));
    expect(request.signal.aborted).toBe(false);
    const lost = new Error("leadership lost");
    reconcile.abort(lost);
    expect(request.signal.reason).toBe(lost);
    request.release();
  });

  it("outside a reconcile, only its own deadline aborts it", async () => {
    const reconcile = new AbortController();
    await withCallSignal(reconcile.signal, async () => undefined);
    const request = requestSignal(1_000);
    reconcile.abort(new Error("another reconcile"));
    expect(request.signal.aborted).toBe(false);
    request.release();
  });
});
