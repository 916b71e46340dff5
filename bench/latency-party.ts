// One party of the latency bench in a process of its own: the operator (as every phase runs it) or the
// design minimum. In the bench's process, each paid the other's garbage collection and event loop: at
// 10,000 sets a major GC of the operator's cache (tens of ms) landed on the minimum's samples and the
// bench's own clock, and the operator's steady polling shared one event loop with both. In a cluster
// each controller is its own process; so here. The bench drives a party over Node's IPC channel.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pino } from "pino";
import { z } from "zod";
import { OperatorMetrics } from "../src/observability/metrics.js";
import { startOwned } from "../test/harness/processes.js";

const partyOptions = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("operator"), kubeconfigPath: z.string(), ns: z.string() }),
  z.object({
    kind: z.literal("minimum"),
    kubeconfigPath: z.string(),
    ns: z.string(),
    obshellUrl: z.string(),
    password: z.string(),
  }),
]);
export type PartyOptions = z.infer<typeof partyOptions>;

/**
 * The party as JavaScript, compiled by `tsc -p tsconfig.bench.json` (run.ts does it before the phase), as the
 * image runs the operator. Under `tsx`, the operator's process at 10,000 sets kept about 100 MB of heap after
 * each major collection (the memory phase's compiled operator: 57 MB), and with the CPU hog those collections
 * came every few seconds and paused it 30-80 ms (`--trace-gc`).
 */
export function compiledParty(): string {
  return join(import.meta.dirname, "..", "dist-bench", "bench", "latency-party.js");
}

/** The Node runtime a party runs on: flags before the script, env added to the bench's. */
export interface PartyRuntime {
  nodeArgs: string[];
  env: Record<string, string>;
}

const call = z.discriminatedUnion("call", [
  z.object({ id: z.int(), call: z.literal("quiet") }),
  z.object({ id: z.int(), call: z.literal("idle") }),
  z.object({ id: z.int(), call: z.literal("settled"), name: z.string(), generation: z.int() }),
  z.object({ id: z.int(), call: z.literal("stop") }),
]);
type Call = z.infer<typeof call>;
type CallBody = Call extends infer C ? (C extends Call ? Omit<C, "id"> : never) : never;
const answer = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ id: z.int(), error: z.string().optional() }),
]);

/** The bench's handle on a party process. */
export class LatencyParty {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (message) => {
      const parsed = answer.safeParse(message);
      if (!parsed.success || !("id" in parsed.data)) return;
      const { id, error } = parsed.data;
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (error) waiter?.reject(new Error(error));
      else waiter?.resolve();
    });
    child.once("exit", (code, signal) => {
      for (const waiter of this.waiting.values())
        waiter.reject(new Error(`latency party exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Starts the party with `runtime`'s Node flags before the script and its env added; resolves once it runs. */
  static async start(options: PartyOptions, runtime: PartyRuntime): Promise<LatencyParty> {
    // Owned by the harness (killed with the bench, whatever throws); the IPC channel is its fourth fd.
    const child = startOwned(
      process.execPath,
      [...runtime.nodeArgs, compiledParty(), JSON.stringify(options)],
      { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, ...runtime.env } },
    );
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`latency party ${options.kind} exited (${code})`)));
      child.once("message", () => resolve());
    });
    return new LatencyParty(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The operator: resolves once the Events it recorded are written. */
  quiet(): Promise<void> {
    return this.send({ call: "quiet" });
  }

  /** Resolves once the operator's work queues are empty and none of its workers reconciles (`idle`). */
  idle(): Promise<void> {
    return this.send({ call: "idle" });
  }

  /** The design minimum: resolves once it handled the set's `generation`. */
  settled(name: string, generation: number): Promise<void> {
    return this.send({ call: "settled", name, generation });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    await this.send({ call: "stop" }).catch(() => {});
    await exited;
  }

  private send(body: CallBody): Promise<void> {
    const id = this.next++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...body, id });
    });
  }
}

/** In the party's process: run it, answer the bench's calls. */
async function serve(options: PartyOptions): Promise<void> {
  const send = (message: z.infer<typeof answer>) => process.send?.(message);
  let quiet: () => Promise<void> = async () => {};
  let idle: () => Promise<void> = async () => {};
  let settled: (name: string, generation: number) => Promise<void> = async () => {};
  let stop: () => Promise<void>;
  if (options.kind === "operator") {
    const { operatorIdle, startBenchOperator } = await import("./bench-operator.js");
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const operator = startBenchOperator({
      kubeconfigPath: options.kubeconfigPath,
      namespaces: [options.ns],
      metrics,
      logger: pino({ level: "silent" }),
      dagPollMs: 20,
    });
    quiet = () => operator.manager.events.flushed();
    idle = () => operatorIdle(metrics);
    stop = () => operator.stop(2000);
  } else {
    const { startDesignMinimum } = await import("./design-minimum.js");
    const minimum = await startDesignMinimum(options);
    settled = (name, generation) => minimum.settled(name, generation);
    stop = () => minimum.stop();
  }
  process.on("message", (message) => {
    const parsed = call.safeParse(message);
    if (!parsed.success) return;
    const c = parsed.data;
    const done =
      c.call === "quiet"
        ? quiet()
        : c.call === "idle"
          ? idle()
          : c.call === "settled"
            ? settled(c.name, c.generation)
            : stop();
    done.then(
      () => {
        send({ id: c.id });
        if (c.call === "stop") process.disconnect();
      },
      (error: unknown) => send({ id: c.id, error: String(error) }),
    );
  });
  // The bench's death ends the party.
  process.on("disconnect", () => process.exit(0));
  send({ ready: true });
}

if (process.send && process.argv[2]) await serve(partyOptions.parse(JSON.parse(process.argv[2])));
