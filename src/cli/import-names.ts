// Names of imported sets: what they declare (a tenant's name, a prefix and tags) made a DNS-1123 label,
// the same every run whatever the order the remote listed things in. Where two hints would give one name
// (Orders_EU and orders_eu), or a name is too long, a short hash of the hint tells them apart.
import { createHash } from "node:crypto";

/** A DNS-1123 label: what kubectl, kustomize and every tool accept as a name. */
const MAX_NAME = 63;
const HASH_LENGTHS = [6, 12, 20] as const;

/** The hint lower-cased, every run of other characters one "-", no "-" at either end; "set" when nothing is left. */
export function sanitizeName(hint: string): string {
  const name = hint
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name === "" ? "set" : name;
}

function hashed(hint: string, base: string, length: number): string {
  const hash = createHash("sha256").update(hint).digest("hex").slice(0, length);
  const room = MAX_NAME - hash.length - 1;
  return `${base.slice(0, room).replace(/-+$/, "")}-${hash}`;
}

/**
 * A name for each distinct hint. A hint keeps its plain name when no other hint shares it and it fits;
 * otherwise the name carries a hash of the hint, longer hashes only if a shorter one still collides. The
 * result depends on the set of hints only, never on their order.
 */
export function assignNames(hints: readonly string[]): Map<string, string> {
  const distinct = [...new Set(hints)].sort();
  const bases = new Map(distinct.map((h) => [h, sanitizeName(h)]));
  const counts = new Map<string, number>();
  for (const base of bases.values()) counts.set(base, (counts.get(base) ?? 0) + 1);
  for (const length of HASH_LENGTHS) {
    const names = new Map<string, string>();
    for (const hint of distinct) {
      const base = bases.get(hint) ?? "set";
      const plain = (counts.get(base) ?? 0) === 1 && base.length <= MAX_NAME;
      names.set(hint, plain ? base : hashed(hint, base, length));
    }
    if (new Set(names.values()).size === names.size) return names;
  }
  throw new Error("set names collide even with a full hash");
}
