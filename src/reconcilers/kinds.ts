// The kinds this operator runs: the one list the operator, `plan` and the fleet view iterate.
import type { SetKindName } from "../api/kinds.js";
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
