// Fleet change budgets (issue 26), the arithmetic: whether a destructive plan fits every
// FleetDisruptionBudget, counted from the disruptions the sets recorded with their intents. Pure: the
// operator and `plan` give it the budgets and the recorded disruptions they read.
import { durationMs } from "../api/common.js";
import {
  type BudgetScope,
  type Disruption,
  type DisruptionUnit,
  type FleetDisruptionBudget,
  fleetDisruptionBudget,
} from "../api/fleet-disruption-budget.js";
import { Reason } from "../api/reasons.js";
import type { Remote } from "./engine/kind.js";

/**
 * The remote a budget counts "per remote": what the remote is (a DCS project, an OceanBase cluster), not
 * how its URL is spelled (remote-identity.ts); the one place budgets name a remote.
 */
export function budgetRemoteKey(at: Pick<Remote, "identity">): string {
  return at.identity;
}

/** A budget as the arithmetic reads it; `invalid` when its object does not parse (it then admits nothing). */
export type BudgetPolicy =
  | {
      name: string;
      window: string;
      windowMs: number;
      per: BudgetScope;
      limits: Partial<Record<DisruptionUnit, number>>;
      /** Only these namespaces are limited and counted; undefined: every one. */
      namespaces?: readonly string[] | undefined;
      invalid?: undefined;
    }
  | { name: string; invalid: string };

export function budgetPolicyOf(object: unknown): BudgetPolicy {
  const name =
    (object as { metadata?: { name?: unknown } } | undefined)?.metadata?.name?.toString() ?? "(unnamed)";
  const parsed = fleetDisruptionBudget.safeParse(object);
  if (!parsed.success) return { name, invalid: parsed.error.issues.map((i) => i.message).join("; ") };
  return policyOf(parsed.data);
}

function policyOf(budget: FleetDisruptionBudget): BudgetPolicy {
  const { spec } = budget;
  const limits: Partial<Record<DisruptionUnit, number>> = {};
  if (spec.maxInstancesDeleted !== undefined) limits.instances = spec.maxInstancesDeleted;
  if (spec.maxZonesRemoved !== undefined) limits.zones = spec.maxZonesRemoved;
  return {
    name: budget.metadata.name,
    window: spec.window,
    windowMs: durationMs(spec.window),
    per: spec.per,
    limits,
    namespaces: spec.namespaces,
  };
}

/** A disruption a set recorded, with the namespace of that set. */
export interface RecordedDisruption extends Disruption {
  namespace: string;
}

/** What a destructive plan would start: how many of a unit, on which remote, from which namespace. */
export interface DisruptionRequest {
  unit: DisruptionUnit;
  count: number;
  namespace: string;
  remote: string;
}

/** The scope key a disruption counts under for a budget: its remote, its namespace, or the whole fleet. */
export function scopeKey(per: BudgetScope, d: { namespace: string; remote: string }): string {
  if (per === "Remote") return d.remote;
  if (per === "Namespace") return d.namespace;
  return "fleet";
}

/** Whether a budget limits and counts the sets of a namespace. */
export function applies(policy: { namespaces?: readonly string[] | undefined }, namespace: string): boolean {
  return policy.namespaces === undefined || policy.namespaces.includes(namespace);
}

/** Counted while the window since it started has not passed: [startedAt, startedAt + window). */
export function inWindow(d: Pick<Disruption, "startedAt">, windowMs: number, now: Date): boolean {
  const started = Date.parse(d.startedAt);
  // A time that does not parse counts (never frees): better too strict than a hole in the budget.
  if (Number.isNaN(started)) return true;
  return now.getTime() - started < windowMs;
}

/** How much of `unit` a budget has used in one scope now. */
export function usedIn(
  policy: Extract<BudgetPolicy, { invalid?: undefined }>,
  unit: DisruptionUnit,
  scope: string,
  recorded: readonly RecordedDisruption[],
  now: Date,
): RecordedDisruption[] {
  return recorded.filter(
    (d) =>
      d.unit === unit &&
      d.count > 0 &&
      applies(policy, d.namespace) &&
      scopeKey(policy.per, d) === scope &&
      inWindow(d, policy.windowMs, now),
  );
}

export type BudgetVerdict =
  | { ok: true }
  | {
      ok: false;
      budget: string;
      reason: typeof Reason.BudgetExhausted | typeof Reason.BudgetTooSmall | typeof Reason.BudgetInvalid;
      message: string;
      /** When enough of the window has passed for the plan to fit (BudgetExhausted only). */
      freesAt?: Date;
    };

/**
 * The latest time a Date holds (ECMAScript's +275760-09-13): when a disruption whose time does not parse frees
 * its budget. Number.MAX_SAFE_INTEGER is past it: an Invalid Date, whose toISOString threw from admit.
 */
const LATEST_DATE_MS = 8.64e15;

const NOUN: Record<DisruptionUnit, string> = { instances: "instance deletions", zones: "zone removals" };

function scopeText(per: BudgetScope, scope: string): string {
  if (per === "Remote") return ` on remote ${scope}`;
  if (per === "Namespace") return ` in namespace ${scope}`;
  return "";
}

/** One budget's verdict on a request. */
export function admitOne(
  policy: BudgetPolicy,
  request: DisruptionRequest,
  recorded: readonly RecordedDisruption[],
  now: Date,
): BudgetVerdict {
  if (policy.invalid !== undefined)
    return {
      ok: false,
      budget: policy.name,
      reason: Reason.BudgetInvalid,
      message: `FleetDisruptionBudget ${policy.name} is invalid (${policy.invalid}): nothing destructive starts until it is fixed or deleted`,
    };
  const limit = policy.limits[request.unit];
  if (limit === undefined || request.count === 0 || !applies(policy, request.namespace)) return { ok: true };
  const scope = scopeKey(policy.per, request);
  const where = `FleetDisruptionBudget ${policy.name} (${limit} ${NOUN[request.unit]} per ${policy.window}${scopeText(policy.per, scope)})`;
  if (request.count > limit)
    return {
      ok: false,
      budget: policy.name,
      reason: Reason.BudgetTooSmall,
      message: `the plan starts ${request.count} ${NOUN[request.unit]}, more than ${where} ever allows: lower the set's per-operation limit or raise the budget`,
    };
  const used = usedIn(policy, request.unit, scope, recorded, now).sort((a, b) =>
    a.startedAt.localeCompare(b.startedAt),
  );
  let total = used.reduce((sum, d) => sum + d.count, 0);
  if (total + request.count <= limit) return { ok: true };
  const spent = total;
  // The oldest disruptions leave the window first: the plan fits once enough of them have.
  let freesAt = now;
  for (const d of used) {
    total -= d.count;
    const started = Date.parse(d.startedAt);
    freesAt = new Date(Number.isNaN(started) ? LATEST_DATE_MS : started + policy.windowMs);
    if (total + request.count <= limit) break;
  }
  return {
    ok: false,
    budget: policy.name,
    reason: Reason.BudgetExhausted,
    message: `${where} has ${Math.max(0, limit - spent)} left of ${limit} and the plan starts ${request.count}: waiting until ${freesAt.toISOString()}`,
    freesAt,
  };
}

/**
 * Every budget must admit the whole plan (a plan is never cut to fit: an approval binds its exact targets).
 * Refused: a budget that can never admit it first, else the one that frees last.
 */
export function admit(
  policies: readonly BudgetPolicy[],
  request: DisruptionRequest,
  recorded: readonly RecordedDisruption[],
  now: Date,
): BudgetVerdict {
  let latest: BudgetVerdict = { ok: true };
  for (const policy of policies) {
    const verdict = admitOne(policy, request, recorded, now);
    if (verdict.ok) continue;
    if (verdict.reason !== Reason.BudgetExhausted) return verdict;
    if (latest.ok || (latest.freesAt?.getTime() ?? 0) < (verdict.freesAt?.getTime() ?? 0)) latest = verdict;
  }
  return latest;
}

/** One budget's use in one scope, for the metrics and `plan`. */
export interface BudgetUsage {
  budget: string;
  unit: DisruptionUnit;
  scope: string;
  limit: number;
  used: number;
}

/** Each budget's use per scope that has any, and the fleet scope of a per-Fleet budget always. */
export function budgetUsage(
  policies: readonly BudgetPolicy[],
  recorded: readonly RecordedDisruption[],
  now: Date,
): BudgetUsage[] {
  const out: BudgetUsage[] = [];
  for (const policy of policies) {
    if (policy.invalid !== undefined) continue;
    for (const [unit, limit] of Object.entries(policy.limits) as [DisruptionUnit, number][]) {
      const used = new Map<string, number>();
      if (policy.per === "Fleet") used.set("fleet", 0);
      for (const d of recorded)
        if (d.unit === unit && applies(policy, d.namespace) && inWindow(d, policy.windowMs, now)) {
          const scope = scopeKey(policy.per, d);
          used.set(scope, (used.get(scope) ?? 0) + d.count);
        }
      for (const [scope, n] of used) out.push({ budget: policy.name, unit, scope, limit, used: n });
    }
  }
  return out;
}
