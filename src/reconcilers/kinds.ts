// The kinds this operator runs: the one list the operator, `plan` and the fleet view iterate.
import { isDeepStrictEqual } from "node:util";
import { SET_KINDS, type SetKindName } from "../api/kinds.js";
import { parsedBefore } from "../api/parse.js";
import type { KubeObject } from "../controller/resource.js";
import type { KindModule } from "./engine/kind-module.js";
import type { LocateRemote } from "./fleet-view.js";
import { redisModule } from "./redis/module.js";
import { tenantModule } from "./tenant/module.js";

export const KINDS: readonly KindModule[] = [tenantModule, redisModule];

export function kindModule(kind: SetKindName): KindModule {
  const found = KINDS.find((k) => k.kind === kind);
  if (!found) throw new Error(`no module for kind ${kind}`);
  return found;
}

/** The groups a set of any kind acts in (ownership): the same tenant or DCS project at the same endpoint. */
export function fleetGroups(locate: LocateRemote): (object: KubeObject) => string[] {
  return (object) => {
    const module = KINDS.find((k) => k.kind === object.kind);
    return module ? module.fleetGroups(object, locate) : [];
  };
}

/**
 * The one home of a set's remote key, whatever its kind (remote-identity.ts): the identity of the remote it
 * acts on, from the object and the connections' cache alone; undefined while never identified. What keys
 * per remote across the fleet (ownership, the change budget) asks this.
 */
export function remoteKey(object: KubeObject, locate: LocateRemote): string | undefined {
  return KINDS.find((k) => k.kind === object.kind)?.remoteKey(object, locate);
}

/**
 * Whether a set's index values (its connection, its Secrets, its fleet groups) hold for `next` as they did
 * for `old`: the same spec (generation), deletion mark, and part of the status the kind's index functions
 * read. Not when `old` is known not to parse (it was indexed under nothing, so `next` is indexed again); an
 * `old` never parsed kept the values of an earlier version that was. A `next` whose status no longer parses
 * keeps `old`'s values: it still claims its groups and Secrets, the cautious side, and its reconcile stalls
 * it InvalidSpec. Reads no parse that is not held already, so a status write costs none.
 */
/** Whether a fleet group is only looked up (a kind's module says so): its members are not requeued. */
export function isLookupGroup(group: string): boolean {
  return KINDS.some((k) => k.isLookupGroup?.(group) ?? false);
}

export function sameIndexInputs(old: KubeObject, next: KubeObject): boolean {
  const module = KINDS.find((k) => k.kind === old.kind);
  return (
    module !== undefined &&
    next.kind === old.kind &&
    old.metadata.generation !== undefined &&
    old.metadata.generation === next.metadata.generation &&
    old.metadata.deletionTimestamp === next.metadata.deletionTimestamp &&
    parsedBefore(SET_KINDS[module.kind].schema, old)?.success !== false &&
    isDeepStrictEqual(module.indexedStatus(old), module.indexedStatus(next))
  );
}
