// Reply budgets of the DCS routes the client calls (issue 25, M1), from docs/protocols/dcs.md: a page holds
// at most 1,000 instances (`limit`), a full instance record is ~50 fields, ~1.5 KiB and ~110 values and keys
// (the simulator's, which has every field of Huawei's example); the budget allows about 2.5 times that.
import type { ReplyBudget, RouteBudget } from "../reply-budget.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** One page of the instance listing: 1,000 records of up to 4 KiB, 200 values and keys and 20 objects or arrays each (a full record with 20 tags). */
const PAGE: ReplyBudget = { bytes: 4 * MiB, depth: 12, values: 200_000, containers: 20_000 };
/** One instance record. */
const INSTANCE: ReplyBudget = { bytes: 256 * KiB, depth: 12, values: 10_000, containers: 1_000 };
/** A batch delete's results (at most 50 ids), or an error body. */
const BATCH: ReplyBudget = { bytes: 256 * KiB, depth: 8, values: 5_000, containers: 500 };

export const DCS_REPLY_BUDGETS: readonly RouteBudget[] = [
  { method: "GET", path: /\/v2\/[^/]+\/instances$/, budget: PAGE },
  { method: "GET", path: /\/v2\/[^/]+\/instances\/[^/]+$/, budget: INSTANCE },
  { method: "DELETE", path: /\/v2\/[^/]+\/instances(\/[^/]+)?$/, budget: BATCH },
];

/** A route not in the table (none today). */
export const DCS_FALLBACK_BUDGET: ReplyBudget = INSTANCE;
