// Deletions that call a human: a per-instance deletion that failed MAX_DELETE_ATTEMPTS times, or whose
// DCS error code or instance state is known to need a person, makes the set Stalled with a message that
// names the instances and the codes, instead of Reconciling forever (issue 13).
import { HUMAN_ERRORS, type HumanError, instanceNeedsHuman } from "../providers/dcs/human-errors.js";

export const MAX_DELETE_ATTEMPTS = 3;
/** Proposed reason (to join the Reason const in src/api): the set is Stalled on these deletions. */
export const DELETION_STALLED_REASON = "DeletionNeedsHuman";

/** What the rule reads of status.deletions[] (lastErrorCode is a proposed field: DCS error_code). */
export interface DeletionOutcome {
  id: string;
  name: string;
  result: "pending" | "success" | "failed";
  attempts: number;
  lastError?: string | undefined;
  lastErrorCode?: string | undefined;
  goneAt?: string | undefined;
}

export interface StalledDeletion {
  id: string;
  name: string;
  attempts: number;
  code: string | undefined;
  /** Why a person is needed, and what to do. */
  cause: HumanError;
}

/**
 * The deletions a person must look at: failed and still listed, and either failed MAX_DELETE_ATTEMPTS
 * times, refused with a code known to need a person, or of an instance whose state needs one
 * (`observed`, by id: status and charging mode from the listing). Sorted by name.
 */
export function stalledDeletions(
  records: readonly DeletionOutcome[],
  observed: ReadonlyMap<string, { status: string; chargingMode?: number | null | undefined }> = new Map(),
): StalledDeletion[] {
  const out: StalledDeletion[] = [];
  for (const r of records) {
    if (r.result !== "failed" || r.goneAt !== undefined) continue;
    const code = r.lastErrorCode?.trim() || undefined;
    const known = code !== undefined && Object.hasOwn(HUMAN_ERRORS, code) ? HUMAN_ERRORS[code] : undefined;
    const instance = observed.get(r.id);
    const cause =
      known ??
      (instance ? instanceNeedsHuman(instance) : undefined) ??
      (r.attempts >= MAX_DELETE_ATTEMPTS
        ? {
            why: `the deletion failed ${r.attempts} times${r.lastError ? ` (last: ${r.lastError})` : ""}`,
            action: "look at the instance in the DCS console",
          }
        : undefined);
    if (cause) out.push({ id: r.id, name: r.name, attempts: r.attempts, code, cause });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The condition message: every stalled instance with its code, so one look tells what to do. */
export function describeStalls(stalls: readonly StalledDeletion[], limit = 10): string {
  const shown = stalls
    .slice(0, limit)
    .map((s) => `${s.name} (${s.id})${s.code ? ` ${s.code}` : ""}: ${s.cause.why}; ${s.cause.action}`)
    .join("; ");
  const more = stalls.length > limit ? `; and ${stalls.length - limit} more` : "";
  return `${stalls.length} deletion(s) need a person: ${shown}${more}`;
}
