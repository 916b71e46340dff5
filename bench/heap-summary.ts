// Where a heap snapshot's memory is: self size and count per kind of object, largest first.
//   npx tsx bench/heap-summary.ts bench/results/Heap.*.heapsnapshot [TOP=40]
// A snapshot comes from BENCH_HEAP_SNAPSHOT=1 (bench/run.ts, the memory size) or any Node process run with
// --heapsnapshot-signal. Self sizes only: what an object itself takes, not what it keeps alive.
import { readFileSync } from "node:fs";
import { z } from "zod";

const Snapshot = z.object({
  snapshot: z.object({
    meta: z.object({
      node_fields: z.array(z.string()),
      node_types: z.array(z.union([z.array(z.string()), z.string()])),
    }),
  }),
  nodes: z.array(z.number()),
  strings: z.array(z.string()),
});

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [TOP]");
  process.exit(2);
}
const top = Number(topArg ?? 40);
const snap = Snapshot.parse(JSON.parse(readFileSync(file, "utf8")));
const fields = snap.snapshot.meta.node_fields;
const typeNames = snap.snapshot.meta.node_types[0];
if (!Array.isArray(typeNames)) throw new Error("snapshot: node_types[0] is not the list of node types");
const width = fields.length;
const at = (name: string) => {
  const i = fields.indexOf(name);
  if (i < 0) throw new Error(`snapshot: no node field ${name}`);
  return i;
};
const [TYPE, NAME, SIZE] = [at("type"), at("name"), at("self_size")];

const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = typeNames[snap.nodes[i + TYPE] ?? 0] ?? "?";
  const bytes = snap.nodes[i + SIZE] ?? 0;
  // Objects and closures by constructor or function name; strings, arrays, code and the rest by type.
  const name =
    type === "object" || type === "closure" ? (snap.strings[snap.nodes[i + NAME] ?? 0] ?? "?") : "";
  const key = name ? `${type} ${name}` : `(${type})`;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count += 1;
  g.bytes += bytes;
  groups.set(key, g);
  total += bytes;
}
const mib = (b: number) => (b / 1024 / 1024).toFixed(2);
console.log(`${file}: ${snap.nodes.length / width} nodes, ${mib(total)} MiB self size`);
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`${mib(g.bytes).padStart(8)} MiB ${String(g.count).padStart(9)}  ${key}`);
