// Servers and unit configs of the simulated cluster, and the agent's resource check for new units
// (oceanbase/obshell 4.5.0.0 ob/agent/executor/tenant/create_tenant.go checkZoneResourceForUnit).

export const GiB = 1024 ** 3;

export interface SimServer {
  ip: string;
  port: number;
  /** CPU_CAPACITY (min_cpu budget) and CPU_CAPACITY_MAX (max_cpu budget). */
  cpu: number;
  cpuMax: number;
  memory: number;
  logDisk: number;
}

export interface SimUnitConfig {
  name: string;
  minCpu: number;
  maxCpu: number;
  memorySize: number;
  logDiskSize: number;
}

/** What a seed may say about a server; the rest are roomy defaults, so only a test about resources sets them. */
export type SimServerSeed = Partial<Omit<SimServer, "ip" | "port">>;
export type SimUnitConfigSeed = Pick<SimUnitConfig, "name"> & Partial<Omit<SimUnitConfig, "name">>;

const DEFAULT_SERVER = { cpu: 64, memory: 256 * GiB, logDisk: 1024 * GiB };
/** The unit config every seeded tenant gets (`<tenant>_unit`), as tenantInfo shows it. */
export const DEFAULT_UNIT = { minCpu: 2, maxCpu: 2, memorySize: 4 * GiB, logDiskSize: 12 * GiB };

export function unitConfig(seed: SimUnitConfigSeed): SimUnitConfig {
  return { ...DEFAULT_UNIT, ...seed };
}

/** Servers of the zone at index `zoneIndex`: one by default, addresses 127.0.<zone>.<n>:2882. */
export function servers(zoneIndex: number, seed: number | SimServerSeed[] | undefined): SimServer[] {
  const list: SimServerSeed[] =
    typeof seed === "number" ? Array.from({ length: seed }, () => ({})) : (seed ?? [{}]);
  return list.map((s, i) => {
    const cpu = s.cpu ?? DEFAULT_SERVER.cpu;
    return {
      ip: `127.0.${zoneIndex + 1}.${i + 1}`,
      port: 2882,
      cpu,
      cpuMax: s.cpuMax ?? cpu,
      memory: s.memory ?? DEFAULT_SERVER.memory,
      logDisk: s.logDisk ?? DEFAULT_SERVER.logDisk,
    };
  });
}
