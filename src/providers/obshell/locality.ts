// The tenant's replicas and primary zone, read the way the obshell agent reads them.

export type ReplicaType = "FULL" | "READONLY" | string;
export interface Replica {
  zone: string;
  type: ReplicaType;
}

export class LocalityFormatError extends Error {
  readonly code = "OB.Tenant.Locality.Format.Unexpected";
}

/** `FULL{1}@z1, READONLY{1}@z3` -> [{zone: z1, type: FULL}, {zone: z3, type: READONLY}]. */
export function parseLocality(locality: string): Replica[] {
  if (locality.trim() === "") return [];
  return locality.split(",").map((part) => {
    const at = part.indexOf("@");
    if (at < 0) throw new LocalityFormatError(`locality part "${part.trim()}" has no @zone`);
    const zone = part.slice(at + 1).trim();
    const brace = part.indexOf("{");
    const type = (brace >= 0 && brace < at ? part.slice(0, brace) : part.slice(0, at)).trim();
    if (zone === "") throw new LocalityFormatError(`locality part "${part.trim()}" names no zone`);
    return { zone, type };
  });
}

export function formatLocality(replicas: readonly Replica[]): string {
  return replicas.map((r) => `${r.type}{1}@${r.zone}`).join(", ");
}

/** `z1;z2,z3` -> [[z1], [z2, z3]]: `;` separates priority levels, `,` joins equals. `RANDOM` -> []. */
export function parsePrimaryZone(primaryZone: string): string[][] {
  const text = primaryZone.trim();
  if (text === "" || text.toUpperCase() === "RANDOM") return [];
  return text
    .split(";")
    .map((level) =>
      level
        .split(",")
        .map((z) => z.trim())
        .filter((z) => z !== ""),
    )
    .filter((level) => level.length > 0);
}

/** The zones of the first priority level of the primary zone (empty for RANDOM). */
export function firstPriorityZones(primaryZone: string): string[] {
  return parsePrimaryZone(primaryZone)[0] ?? [];
}
