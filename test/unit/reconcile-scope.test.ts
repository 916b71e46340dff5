import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ReconcileLog } from "../../src/reconcilers/reconcile-scope.js";

describe("ReconcileLog", () => {
  it("keeps each concurrent reconcile's logger its own across awaits", async () => {
    const base = pino({ level: "silent" });
    const logs = new ReconcileLog(base);
    const seen: Record<string, unknown>[] = [];
    const reconcile = (name: string, delayMs: number) =>
      logs.run(base.child({ name }), async () => {
        await new Promise((r) => setTimeout(r, delayMs));
        seen.push({ expected: name, got: logs.current.bindings().name });
      });
    await Promise.all([reconcile("a", 20), reconcile("b", 5), reconcile("c", 10)]);
    expect(seen).toHaveLength(3);
    for (const s of seen) expect(s.got).toBe(s.expected);
    expect(logs.current).toBe(base);
  });
});
