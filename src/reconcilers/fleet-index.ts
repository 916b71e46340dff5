// An in-memory FleetCache over a list of sets, grouped as the operator's informer index groups them:
// what `plan` and the ownership benchmark use where there is no informer.
import type { KubeObject } from "../controller/resource.js";
import type { FleetCache } from "./fleet-view.js";

export function fleetCacheOf(
  objects: Iterable<KubeObject>,
  groups: (object: KubeObject) => string[],
): FleetCache {
  const index = new Map<string, KubeObject[]>();
  for (const o of objects) for (const g of groups(o)) index.set(g, [...(index.get(g) ?? []), o]);
  return { byIndex: (_name, value) => index.get(value) ?? [] };
}
