// Child processes the harness starts: each in its own process group, killed with the group
// on stop, on our exit and (through setpriv's parent-death signal) if we die without cleaning up.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { existsSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

/** A folder removed when the process exits or is interrupted, if nobody removed it before. */
export function removeOnExit(dir: string): () => void {
  installExitHook();
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

function cleanUpNow(): void {
  for (const child of live) killGroup(child, "SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", cleanUpNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanUpNow();
      process.exit(130);
    });
  }
}

const hasSetpriv = existsSync("/usr/bin/setpriv");

/** Starts `command` detached in its own group, stdout and stderr appended to `logFile`. */
export function startProcess(command: string, args: string[], logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  return startOwned(command, args, { stdio: ["ignore", log, log] });
}

/**
 * Starts `command` detached in its own group, killed with it on our exit or death (whatever throws in
 * between), with the caller's stdio, cwd and env.
 */
export function startOwned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  installExitHook();
  const [cmd, argv] = hasSetpriv
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", "--", command, ...args]]
    : [command, args];
  const child = spawn(cmd, argv, { ...options, detached: true });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** SIGTERM the group, SIGKILL it after `graceMs`, resolve once the leader has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  killGroup(child, "SIGKILL");
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}
