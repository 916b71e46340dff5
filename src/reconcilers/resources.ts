// The connection resource types as the engine sees them (each set kind has its own, in its folder).
import {
  CLUSTER_DATABASE_CONNECTION_KIND,
  CLUSTER_DATABASE_CONNECTION_PLURAL,
  DATABASE_CONNECTION_KIND,
  DATABASE_CONNECTION_PLURAL,
} from "../api/connection.js";
import {
  FLEET_DISRUPTION_BUDGET_KIND,
  FLEET_DISRUPTION_BUDGET_PLURAL,
} from "../api/fleet-disruption-budget.js";
import { GROUP, VERSION } from "../api/group.js";
import type { ResourceType } from "../controller/resource.js";

/** Drops `undefined` members so a computed status compares equal to the stored one. */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const DATABASE_CONNECTION: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: DATABASE_CONNECTION_PLURAL,
  kind: DATABASE_CONNECTION_KIND,
  namespaced: true,
};

export const CLUSTER_DATABASE_CONNECTION: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: CLUSTER_DATABASE_CONNECTION_PLURAL,
  kind: CLUSTER_DATABASE_CONNECTION_KIND,
  namespaced: false,
};

export const FLEET_DISRUPTION_BUDGET: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: FLEET_DISRUPTION_BUDGET_PLURAL,
  kind: FLEET_DISRUPTION_BUDGET_KIND,
  namespaced: false,
};
