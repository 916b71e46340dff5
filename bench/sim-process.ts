// The simulators for the benchmark, each in its own process (test/simulators/main.ts, as `npm run sim`), so the
// simulated agent's RSA decryption and the simulated DCS never share the operator's event loop. The benchmark
// reads their request logs and restores replicas through each one's control port.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { removeOnExit, startOwned, stopProcess } from "../test/harness/processes.js";
import type { ControlLogEntry } from "../test/simulators/control.js";

const root = join(import.meta.dirname, "..");

export interface SimProcessOptions {
  kind: "obshell" | "dcs";
  /** JSON written to a temporary --seed-file. */
  seed: unknown;
  env: Record<string, string>;
  args?: string[];
}

export class SimProcess {
  /** Every log entry read so far, in arrival order. */
  readonly entries: ControlLogEntry[] = [];

  private constructor(
    readonly kind: "obshell" | "dcs",
    readonly url: string,
    readonly controlUrl: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(options: SimProcessOptions): Promise<SimProcess> {
    const dir = mkdtempSync(join(tmpdir(), `bench-${options.kind}-`));
    removeOnExit(dir);
    const seedFile = join(dir, "seed.json");
    writeFileSync(seedFile, JSON.stringify(options.seed));
    // Owned by the harness: a benchmark that throws part-way does not leave simulators running.
    const child = startOwned(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "test", "simulators", "main.ts"),
        options.kind,
        "--port=0",
        "--control-port=0",
        `--seed-file=${seedFile}`,
        ...(options.args ?? []),
      ],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...options.env } },
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let url = "";
    let controlUrl = "";
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) =>
        reject(new Error(`${options.kind} simulator exited (${code}) before listening`)),
      );
      lines.on("line", (line) => {
        const sim = /simulator listening on (\S+)/.exec(line);
        const control = /control listening on (\S+)/.exec(line);
        if (sim?.[1]) url = sim[1];
        if (control?.[1]) controlUrl = control[1];
        if (url && controlUrl) resolve();
      });
    });
    return new SimProcess(options.kind, url, controlUrl, child, dir);
  }

  /**
   * Reads the entries completed since the last call, appends them to `entries`, returns them; with `waitMs`,
   * the simulator holds the call until one completes (a long poll, so the benchmark does not load it).
   */
  async poll(waitMs = 0): Promise<ControlLogEntry[]> {
    const res = await fetch(`${this.controlUrl}/log?from=${this.entries.length}&wait=${waitMs}`);
    const body = (await res.json()) as { entries: ControlLogEntry[] };
    this.entries.push(...body.entries);
    return body.entries;
  }

  async control<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.controlUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    if (!res.ok) throw new Error(`${this.kind} control ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async stop(): Promise<void> {
    await stopProcess(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
