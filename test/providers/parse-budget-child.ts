// One remote call in a fresh process, for parse-budget.test.ts: prints what it cost in RSS at its peak
// (VmHWM, reset before the call) and the error it ended with. A fresh process per shape, because RSS that
// one shape grew would hide what the next one costs.
import { readFileSync, writeFileSync } from "node:fs";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";

const [url = "", route = ""] = process.argv.slice(2);
const noRetry = { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} };
const kib = (field: string) =>
  Number(/(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8").split(`${field}:`)[1] ?? "")?.[1]);

const dcs = new DcsClient({
  endpoint: url,
  projectId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  auth: { kind: "aksk", credentials: () => ({ accessKey: "AK", secretKey: "SK" }) },
  retry: noRetry,
  timeoutMs: 60_000,
});
const obshell = new ObshellClient({ endpoint: url, password: () => "pw", retry: noRetry, timeoutMs: 60_000 });
const call = () => (route === "dcs-list" ? dcs.listInstances() : obshell.info());

// Warm up (modules, undici, the first socket), then measure from a collected heap.
await dcs.getInstance("warm-up").catch(() => undefined);
global.gc?.();
writeFileSync("/proc/self/clear_refs", "5");
const before = kib("VmRSS");
const heapBefore = process.memoryUsage().heapUsed;
const message = await call().then(
  () => "no error",
  (e: unknown) => (e instanceof Error ? e.message : String(e)),
);
const peak = kib("VmHWM");
console.log(
  JSON.stringify({
    message: message.slice(0, 300),
    rssGrowthMiB: (peak - before) / 1024,
    heapAfterMiB: (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024,
  }),
);
await dcs.close();
await obshell.close();
