// Reply budgets of the obshell routes the client calls (issue 25, M1), from the sizes in
// docs/protocols/obshell.md with a wide margin: a tenant is ~30 fields plus a pool per zone, a DAG is a
// node per removed zone plus two, each with a few sub-tasks and their logs.
import type { ReplyBudget, RouteBudget } from "../reply-budget.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Envelopes with a handful of fields: /info, /secret (a 1024-bit key is 188 base64 characters), DAG operate. */
const SMALL: ReplyBudget = { bytes: 64 * KiB, depth: 8, values: 2_000, containers: 200 };
/** One DagDetailDTO as a replica change answers it (nodes null at creation). */
const DAG_CREATED: ReplyBudget = { bytes: 256 * KiB, depth: 12, values: 10_000, containers: 1_000 };
/** One tenant: connection strings and a pool per zone (OceanBase has at most a few dozen zones). */
const TENANT: ReplyBudget = { bytes: 1 * MiB, depth: 12, values: 50_000, containers: 5_000 };
/** One DAG with details: nodes, sub-tasks and their log lines, which are the bulk. */
const DAG: ReplyBudget = { bytes: 4 * MiB, depth: 16, values: 200_000, containers: 20_000 };
/** Every tenant of a cluster (hundreds at most), or every unfinished DAG. */
const LIST: ReplyBudget = { bytes: 4 * MiB, depth: 16, values: 200_000, containers: 20_000 };

export const OBSHELL_REPLY_BUDGETS: readonly RouteBudget[] = [
  { method: "GET", path: /^\/api\/v1\/(info|secret)$/, budget: SMALL },
  { method: "GET", path: /^\/api\/v1\/tenant\/[^/]+$/, budget: TENANT },
  // The agents and the topology (a server per zone, a few dozen at most): no larger than a tenant.
  { method: "GET", path: /^\/api\/v1\/ob\/info$/, budget: TENANT },
  { method: "GET", path: /^\/api\/v1\/tenants\/overview$/, budget: LIST },
  { method: "GET", path: /^\/api\/v1\/task\/dag\/ob\/unfinish$/, budget: LIST },
  { method: "GET", path: /^\/api\/v1\/task\/dag\/[^/]+$/, budget: DAG },
  { method: "POST", path: /^\/api\/v1\/task\/dag\/[^/]+$/, budget: SMALL },
  { method: "DELETE", path: /^\/api\/v1\/tenant\/[^/]+\/replicas$/, budget: DAG_CREATED },
  { method: "POST", path: /^\/api\/v1\/tenant\/[^/]+\/replicas$/, budget: DAG_CREATED },
  { method: "PATCH", path: /^\/api\/v1\/tenant\/[^/]+\/replicas$/, budget: DAG_CREATED },
];

/** A route not in the table (none today). */
export const OBSHELL_FALLBACK_BUDGET: ReplyBudget = TENANT;
