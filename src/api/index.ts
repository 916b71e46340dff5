export * from "./common.js";
export * from "./connection.js";
export * from "./fleet-disruption-budget.js";
export * from "./group.js";
export * from "./parse.js";
export * from "./redis-instance-set.js";
export * from "./tenant-replica-set.js";
