// The cost of ownership at fleet size: index 10,000 sets by where they act, then answer "which other sets
// claim this?" for one reconcile. Prints figures; not a timed test. `npx tsx bench/ownership.ts`;
// with `--out FILE` it also writes them as rows (bench/ownership-baseline.json is one such run).
// The sets name admin-owned ClusterDatabaseConnections (one per cluster or DCS project, shared by 50
// namespaces), located as the operator locates them: where a set acts is read through its connection.
import { writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { redisInstanceSet } from "../src/api/redis-instance-set.js";
import { locateConnection } from "../src/connections/resolve.js";
import type { KubeObject } from "../src/controller/resource.js";
import { fleetCacheOf } from "../src/reconcilers/fleet-index.js";
import { fleetGroups } from "../src/reconcilers/kinds.js";
import { redisPeers } from "../src/reconcilers/redis/fleet.js";
import { tenantPeers } from "../src/reconcilers/tenant/fleet.js";
import { connectionRef, dcsConnection, obshellConnection } from "../test/harness/connections.js";

const SETS = Number(process.env.BENCH_OWNERSHIP_SETS ?? 10_000);
const PER_GROUP = 20;
const ENDPOINT = "https://dcs.example.internal";

function manifest(i: number): KubeObject {
  const tenantSet = i % 2 === 0;
  const group = Math.floor(i / (2 * PER_GROUP));
  return (tenantSet
    ? {
        apiVersion: "dbfleet.io/v1alpha1",
        kind: "TenantReplicaSet",
        metadata: { name: `t${i}`, namespace: `ns${i % 50}` },
        spec: {
          ...connectionRef(`ob-${group}`, "ClusterDatabaseConnection"),
          tenant: `tenant_${i}`,
          zones: ["z1"],
        },
      }
    : {
        apiVersion: "dbfleet.io/v1alpha1",
        kind: "RedisInstanceSet",
        metadata: { name: `r${i}`, namespace: `ns${i % 50}` },
        spec: {
          ...connectionRef(`dcs-${group}`, "ClusterDatabaseConnection"),
          selector: { namePrefix: `team${i % PER_GROUP}-` },
          instances: [`team${i % PER_GROUP}-0`],
        },
      }) as unknown as KubeObject;
}

const objects = Array.from({ length: SETS }, (_, i) => manifest(i));
const clusterConnections = new Map<string, unknown>();
for (let group = 0; group * 2 * PER_GROUP < SETS; group++) {
  const ob = obshellConnection({ cluster: `ob-${group}` }, `https://ob${group}.example.internal:2886`, "s");
  const redis = dcsConnection({ cluster: `dcs-${group}` }, ENDPOINT, `p${group}`, "s");
  for (const c of [ob, redis]) clusterConnections.set(c.metadata?.name ?? "", c);
}
const lookups = {
  connections: new Map<string, unknown>(),
  clusterConnections,
  operatorNamespace: "dbfleet-system",
  allowInlineConnections: false,
};
const groups = fleetGroups((kind, namespace, spec) => locateConnection({ kind, namespace, spec }, lookups));
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const fleet = fleetCacheOf(objects, groups);
const buildMs = performance.now() - t;
const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

const listing = Array.from({ length: 100 }, (_, i) => ({ name: `team${i % PER_GROUP}-${i}`, tags: {} }));
const samples: number[] = [];
for (let s = 0; s < 200; s++) {
  const i = 1 + 2 * (s % (SETS / 2));
  const set = redisInstanceSet.parse(objects[i]);
  const id = {
    namespace: set.metadata.namespace ?? "",
    name: set.metadata.name,
    generation: 1,
    annotations: {},
  };
  t = performance.now();
  const remote = locateConnection(
    { kind: "RedisInstanceSet", namespace: id.namespace, spec: set.spec },
    lookups,
  );
  for (const instance of listing) redisPeers(fleet, id, remote?.projectId ?? "", instance);
  samples.push(performance.now() - t);
}
t = performance.now();
for (let s = 0; s < 1000; s++)
  tenantPeers(
    fleet,
    { namespace: "ns0", name: "t0", generation: 1, annotations: {} },
    "obshell|ob0#1",
    "tenant_0",
    (kind, namespace, spec) => locateConnection({ kind, namespace, spec }, lookups),
  );
const tenantUs = ((performance.now() - t) / 1000) * 1000;
samples.sort((a, b) => a - b);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0;
console.log(`ownership at ${SETS} sets (${PER_GROUP} RedisInstanceSets per project):`);
console.log(
  `  index build                                  ${buildMs.toFixed(1)} ms, heap +${heapMiB.toFixed(1)} MiB`,
);
console.log(
  `  Redis reconcile, 100-instance listing        p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms`,
);
console.log(`  tenant lookup                                ${tenantUs.toFixed(1)} µs`);

const out = process.argv.indexOf("--out");
if (out > 0) {
  const file = process.argv[out + 1];
  if (!file) throw new Error("--out needs a file");
  const rows = [
    { metric: "index build", value: buildMs / 1000, unit: "s" },
    { metric: "index heap", value: heapMiB, unit: "MiB" },
    { metric: "Redis reconcile ownership check p50", value: q(0.5), unit: "ms" },
    { metric: "Redis reconcile ownership check p99", value: q(0.99), unit: "ms" },
    { metric: "tenant lookup", value: tenantUs, unit: "µs" },
  ];
  const record = {
    date: new Date().toISOString(),
    node: process.version,
    // The machine is shared: its load when this ran says how far to trust the times.
    cores: availableParallelism(),
    loadAverage1m: loadavg()[0],
    sets: SETS,
    listing: 100,
    rows,
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}
