// Approvals bound to their target (issue 13, story 3). The hash a human copies into the
// dbfleet.io/approve-plan annotation covers what the plan does *and where*: kind, namespace/name and uid
// of the set, the remote (endpoint), the project or tenant, and the exact targets. Once an operation runs
// under it, it is recorded in status.usedApprovals and never approves a new plan again; the next plan's
// hash is chained to the last used one, so even an identical later plan gets a new hash.
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "./canonical.js";
import { connectionIdentity } from "./scope.js";

/** Where and on what an approved plan acts. */
export interface ApprovalTarget {
  kind: "TenantReplicaSet" | "RedisInstanceSet";
  namespace: string;
  name: string;
  /** metadata.uid: a set deleted and created again under the same name does not inherit approvals. */
  uid: string;
  endpoint: string;
  scope: { projectId: string } | { tenant: string };
  action: "RemoveZones" | "DeleteInstances";
  /** Zones, or DCS instance ids (ids, not names: a name can be reused by a new instance). */
  targets: readonly string[];
}

/** How many used approvals status keeps; the chain only needs the last. */
export const USED_APPROVALS_KEPT = 10;

export const usedApproval = z
  .object({
    hash: z.string().describe("The approved plan's hash, as it was in the annotation."),
    usedAt: z.iso.datetime({ offset: true }).describe("When the first operation under it was recorded."),
    binding: z
      .string()
      .describe("Digest of kind, set, uid, endpoint, project or tenant the plan was bound to."),
    targets: z.array(z.string()).describe("The zones or instance ids the approved plan removes."),
    closedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("When the approved plan was done or changed: from then it approves nothing."),
  })
  .describe("An approval that an operation ran under; it never approves another plan.");
export type UsedApproval = z.infer<typeof usedApproval>;
/** Proposed field: status.usedApprovals (most recent last, at most USED_APPROVALS_KEPT). */
export const usedApprovals = z.array(usedApproval).max(USED_APPROVALS_KEPT);

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Digest of everything but the targets: an approved plan continues only under the same binding. */
export function approvalBinding(target: ApprovalTarget): string {
  return sha256(
    canonicalJson({
      kind: target.kind,
      namespace: target.namespace,
      name: target.name,
      uid: target.uid,
      endpoint: connectionIdentity(target.endpoint),
      scope: target.scope,
      action: target.action,
    }),
  ).slice(0, 32);
}

/** The hash to approve `target`; `previous` is the last used approval's hash (the chain). */
export function approvalHash(target: ApprovalTarget, previous: string | undefined): string {
  return sha256(
    canonicalJson({
      v: 2,
      binding: approvalBinding(target),
      targets: [...new Set(target.targets)].sort(),
      previous: previous ?? null,
    }),
  ).slice(0, 16);
}

export type ApprovalState = "none" | "pending" | "given" | "alreadyUsed";

/**
 * none: nothing needs approval. given: the annotation approves the pending plan. alreadyUsed: the
 * annotation holds a hash an operation already ran under (tell the user the new hash). pending: wait.
 */
export function approvalState(
  annotationValue: string | undefined,
  pendingHash: string | undefined,
  usedHashes: readonly string[],
): ApprovalState {
  if (pendingHash === undefined) return "none";
  const annotation = annotationValue?.trim();
  if (annotation === undefined || annotation === "") return "pending";
  if (usedHashes.includes(annotation)) return "alreadyUsed";
  return annotation === pendingHash ? "given" : "pending";
}

export function lastUsedHash(used: readonly UsedApproval[]): string | undefined {
  return used.at(-1)?.hash;
}

/** Transition: the operation that runs under `hash` is being recorded (write it with the intent). */
export function recordUsedApproval(
  used: readonly UsedApproval[],
  hash: string,
  target: ApprovalTarget,
  now: Date,
): UsedApproval[] {
  const entry: UsedApproval = {
    hash,
    usedAt: now.toISOString(),
    binding: approvalBinding(target),
    targets: [...new Set(target.targets)].sort(),
  };
  return [...used.map(closeOpen(now)), entry].slice(-USED_APPROVALS_KEPT);
}

/**
 * Whether `target` is the rest of the last approved plan, still open: same binding and only targets it
 * approved (an approved removal of three zones, one per operation, is not approved three times).
 */
export function continuesApproval(used: readonly UsedApproval[], target: ApprovalTarget): boolean {
  const last = used.at(-1);
  if (!last || last.closedAt !== undefined || target.targets.length === 0) return false;
  if (last.binding !== approvalBinding(target)) return false;
  const approved = new Set(last.targets);
  return target.targets.every((t) => approved.has(t));
}

/**
 * Transition, every reconcile: closes the last approval once the plan is no longer its rest (done, or
 * changed: new targets, another tenant or endpoint). `target` undefined means nothing left to remove.
 */
export function settleApprovals(
  used: readonly UsedApproval[],
  target: ApprovalTarget | undefined,
  now: Date,
): readonly UsedApproval[] {
  const last = used.at(-1);
  if (!last || last.closedAt !== undefined) return used;
  if (target && continuesApproval(used, target)) return used;
  return used.map(closeOpen(now));
}

const closeOpen =
  (now: Date) =>
  (u: UsedApproval): UsedApproval =>
    u.closedAt === undefined ? { ...u, closedAt: now.toISOString() } : u;
