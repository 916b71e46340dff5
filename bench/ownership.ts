// The ownership index at fleet scale: build time, per-reconcile lookup cost and memory for OWNERSHIP_SETS
// (default 10,000) RedisInstanceSets and as many TenantReplicaSets. Pure CPU, no API server; prints
// figures, asserts nothing. Run: node --expose-gc --import tsx bench/ownership.ts
import { performance } from "node:perf_hooks";
import {
  FleetIndex,
  type RedisOwnershipEntry,
  redisEntry,
  redisGroupKey,
  redisOwnership,
  tenantContenders,
  tenantGroupKey,
} from "../src/fleet/ownership.js";
import { percentile, printTable, type Row } from "./stats.js";

const SETS = Number(process.env.OWNERSHIP_SETS ?? 10_000);
/** Sets per DCS project: a large platform team's project holds many. */
const PER_PROJECT = Number(process.env.OWNERSHIP_PER_PROJECT ?? 20);
/** Instances listed per set's scope, so a project listing has PER_PROJECT x this many. */
const INSTANCES_PER_SET = 5;
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const rows: Row[] = [];

const endpoint = "https://dcs.eu-west-101.myhuaweicloud.eu";
const keys = Array.from({ length: SETS }, (_, i) => `team-${i % 100}/set-${i}`);
const projectOf = (i: number) => `project-${Math.floor(i / PER_PROJECT)}`;
// Every tenth set's prefix nests in its neighbour's, so a tenth of the lookups find contested instances.
const prefixOf = (i: number) => (i % 10 === 1 ? `s${i - 1}-eu-` : `s${i}-`);

const before = heapMb();
let started = performance.now();
const redis = new FleetIndex<RedisOwnershipEntry>();
for (let i = 0; i < SETS; i++)
  redis.upsert(keys[i] ?? "", redisGroupKey(endpoint, projectOf(i)), redisEntry({ namePrefix: prefixOf(i) }));
const redisBuildMs = performance.now() - started;
const afterRedis = heapMb();
started = performance.now();
const tenants = new FleetIndex<null>();
for (let i = 0; i < SETS; i++)
  tenants.upsert(
    keys[i] ?? "",
    tenantGroupKey(`http://10.0.${i % 250}.1:2886`, `t${i - (i % 1000 === 1 ? 1 : 0)}`),
    null,
  );
const tenantBuildMs = performance.now() - started;
const afterTenants = heapMb();

const listings = new Map<string, { id: string; name: string; tags: Record<string, string> }[]>();
for (let i = 0; i < SETS; i++) {
  const project = projectOf(i);
  const list = listings.get(project) ?? [];
  for (let n = 0; n < INSTANCES_PER_SET; n++)
    list.push({ id: `${i}-${n}`, name: `${prefixOf(i)}${n}`, tags: {} });
  listings.set(project, list);
}

const lookups: number[] = [];
let contestedFound = 0;
for (let round = 0; round < 3; round++)
  for (let i = 0; i < SETS; i++) {
    const t0 = performance.now();
    const ownership = redisOwnership(
      { namePrefix: prefixOf(i) },
      redis.peers(keys[i] ?? ""),
      listings.get(projectOf(i)) ?? [],
    );
    lookups.push(performance.now() - t0);
    if (round === 0 && ownership.contested.length > 0) contestedFound++;
  }
const tenantLookups: number[] = [];
for (let i = 0; i < SETS; i++) {
  const t0 = performance.now();
  tenantContenders(tenants.peers(keys[i] ?? ""));
  tenantLookups.push(performance.now() - t0);
}
// An informer update: a status write (unchanged entry) and a selector change (requeues the group).
const updates: number[] = [];
let requeued = 0;
for (let i = 0; i < SETS; i++) {
  const t0 = performance.now();
  redis.upsert(keys[i] ?? "", redisGroupKey(endpoint, projectOf(i)), redisEntry({ namePrefix: prefixOf(i) }));
  requeued += redis.upsert(
    keys[i] ?? "",
    redisGroupKey(endpoint, projectOf(i)),
    redisEntry({ namePrefix: `${prefixOf(i)}x` }),
  ).length;
  updates.push(performance.now() - t0);
}

rows.push(
  { metric: `redis index build, ${SETS} sets (${PER_PROJECT} per project)`, value: redisBuildMs, unit: "ms" },
  { metric: "redis index heap", value: afterRedis - before, unit: "MiB" },
  { metric: `tenant index build, ${SETS} sets`, value: tenantBuildMs, unit: "ms" },
  { metric: "tenant index heap", value: afterTenants - afterRedis, unit: "MiB" },
  {
    metric: `redis ownership lookup p50 (listing ${PER_PROJECT * INSTANCES_PER_SET} instances)`,
    value: percentile(lookups, 50) * 1000,
    unit: "µs",
  },
  { metric: "redis ownership lookup p99", value: percentile(lookups, 99) * 1000, unit: "µs" },
  { metric: "tenant contenders lookup p50", value: percentile(tenantLookups, 50) * 1000, unit: "µs" },
  { metric: "tenant contenders lookup p99", value: percentile(tenantLookups, 99) * 1000, unit: "µs" },
  {
    metric: "informer update (status no-op + selector change) p50",
    value: percentile(updates, 50) * 1000,
    unit: "µs",
  },
  { metric: "sets requeued per selector change", value: requeued / SETS, unit: "sets" },
  { metric: "sets that found contested instances", value: contestedFound, unit: "sets" },
);
if (!gc) console.log("(run with node --expose-gc for heap figures after a collection)");
printTable(rows);
