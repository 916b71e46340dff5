// The simulator's own reading of locality and primary zone, written apart from src/providers/obshell/locality.ts
// so a bug there cannot hide in the provider tests (the agent formats `FULL{1}@z1, READONLY{1}@z3`; a primary
// zone lists priority levels separated by `;`, equals by `,`, or is RANDOM).

export interface SimReplica {
  zone: string;
  /** FULL or READONLY, as the agent writes it. */
  type: string;
}

export function localityText(replicas: readonly SimReplica[]): string {
  let text = "";
  for (const replica of replicas) {
    if (text !== "") text += ", ";
    text += `${replica.type}{1}@${replica.zone}`;
  }
  return text;
}

/** The zones of the highest priority level; none for RANDOM or an empty primary zone. */
export function highestPriorityZones(primaryZone: string): string[] {
  if (/^\s*(random)?\s*$/i.test(primaryZone)) return [];
  for (const level of primaryZone.split(";")) {
    const zones: string[] = [];
    for (const zone of level.split(",")) if (zone.trim() !== "") zones.push(zone.trim());
    if (zones.length > 0) return zones;
  }
  return [];
}
