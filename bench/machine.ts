// What each benchmark phase ran on: the machine's load, and CPU seconds of the operator (this process, where
// the bench runs it in-process, or its own) and of the API server, and the API server's writes by resource.
// CPU seconds and counts do not depend on the machine's load as wall time does, so phases compare across
// runs by them.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

const CLOCK_TICKS = 100;

/** utime + stime of a process, in seconds (Linux /proc; undefined elsewhere). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces) start at ")"; utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

export interface PhaseMeter {
  /** Prints and returns the phase's load average, CPU seconds and API-server writes since `start`. */
  end(): Promise<PhaseFigures>;
}

export interface PhaseFigures {
  phase: string;
  load1: number;
  operatorCpuSeconds: number;
  apiServerCpuSeconds: number | undefined;
  /** Mutating requests the API server served, by resource, from its own apiserver_request_total. */
  writesByResource: Record<string, number>;
}

/** apiserver_request_total of mutating verbs, summed by resource, from the API server's /metrics. */
export async function apiServerWrites(scrape: () => Promise<string>): Promise<Record<string, number>> {
  const text = await scrape();
  const writes: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="(\w+)"/.exec(line)?.[1];
    if (!verb || !["POST", "PUT", "PATCH", "DELETE", "CREATE", "UPDATE", "APPLY"].includes(verb)) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? "";
    const subresource = /subresource="([^"]*)"/.exec(line)?.[1];
    const key = subresource ? `${resource}/${subresource}` : resource;
    writes[key] = (writes[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return writes;
}

export async function startPhase(
  phase: string,
  apiServerPid: () => number | undefined,
  scrape: () => Promise<string>,
  /** The operator's process when it is not this one (started in the phase or before). */
  operatorPid?: () => number | undefined,
): Promise<PhaseMeter> {
  const cpu0 = process.cpuUsage();
  const operator0 = processCpuSeconds(operatorPid?.()) ?? 0;
  const api0 = processCpuSeconds(apiServerPid());
  const writes0 = await apiServerWrites(scrape);
  return {
    async end() {
      const cpu = process.cpuUsage(cpu0);
      const api1 = processCpuSeconds(apiServerPid());
      const writes1 = await apiServerWrites(scrape);
      const writesByResource: Record<string, number> = {};
      for (const [k, v] of Object.entries(writes1)) {
        const d = v - (writes0[k] ?? 0);
        if (d > 0) writesByResource[k] = d;
      }
      const figures: PhaseFigures = {
        phase,
        load1: loadavg()[0] ?? 0,
        operatorCpuSeconds: operatorPid
          ? (processCpuSeconds(operatorPid()) ?? operator0) - operator0
          : (cpu.user + cpu.system) / 1e6,
        apiServerCpuSeconds: api0 === undefined || api1 === undefined ? undefined : api1 - api0,
        writesByResource,
      };
      console.log(
        `[${phase}] load ${figures.load1.toFixed(2)}; operator CPU ${figures.operatorCpuSeconds.toFixed(1)} s; API server CPU ${figures.apiServerCpuSeconds?.toFixed(1) ?? "?"} s; writes ${Object.entries(
          writesByResource,
        )
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
      return figures;
    },
  };
}
