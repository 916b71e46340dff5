// The demo fleet: a few tenants over three zones, a few dozen Redis instances in two projects.
import type { SimInstanceInput } from "./dcs/instances.js";
import type { ClusterSeed } from "./obshell/cluster.js";

export const demoObshellSeed: ClusterSeed = {
  zones: [
    { name: "z1", region: "hangzhou" },
    { name: "z2", region: "hangzhou" },
    { name: "z3", region: "hangzhou" },
  ],
  tenants: [
    { name: "orders", zones: ["z1", "z2", "z3"], primaryZone: "z1;z2,z3" },
    { name: "billing", zones: ["z1", "z2", "z3"], primaryZone: "z1;z2;z3" },
    { name: "audit", zones: ["z1", "z2"], readonlyZones: ["z3"], primaryZone: "RANDOM" },
    { name: "search", zones: ["z1", "z2", "z3"], primaryZone: "z2" },
  ],
};

export const DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
export const OTHER_PROJECT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/**
 * A DCS project is one remote whatever endpoint reaches it (issue 26): tests whose sets may be seen beside
 * other tests' (`plan` reads every namespace) give the demo projects ids of their own.
 */
export function demoDcsSeed(
  ids: { demo: string; other: string } = { demo: DEMO_PROJECT, other: OTHER_PROJECT },
): Record<string, SimInstanceInput[]> {
  const checkout = Array.from({ length: 12 }, (_, i) => ({
    name: `cache-eu-${i + 1}`,
    tags: { team: "checkout", env: "prod" },
    engineVersion: i % 4 === 3 ? "3.0" : "6.0",
  }));
  const search = Array.from({ length: 10 }, (_, i) => ({
    name: `search-eu-${i + 1}`,
    tags: { team: "search", env: "prod" },
  }));
  const odd: SimInstanceInput[] = [
    { name: "cache-eu-frozen", tags: { team: "checkout", env: "prod" }, status: "FROZEN" },
    { name: "cache-eu-yearly", tags: { team: "checkout", env: "prod" }, chargingMode: 1 },
    { name: "cache-eu-failed", tags: { team: "checkout", env: "prod" }, status: "CREATEFAILED" },
    { name: "session-store", tags: { team: "platform" } },
  ];
  return {
    [ids.demo]: [...checkout, ...search, ...odd],
    [ids.other]: Array.from({ length: 6 }, (_, i) => ({
      name: `analytics-${i + 1}`,
      tags: { team: "analytics" },
    })),
  };
}
