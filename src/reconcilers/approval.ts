// Large plans wait for a human: the plan's hash must be copied into the dbfleet.io/approve-plan annotation.
import { createHash } from "node:crypto";

/**
 * Stable hash of what a plan would delete; a changed plan has a new hash and needs a new approval.
 * @deprecated binds only the targets (issue 13, story 3): use approvalHash in src/fleet/approval.ts.
 */
export function planHash(kind: string, targets: readonly string[]): string {
  return createHash("sha256")
    .update(JSON.stringify({ kind, targets: [...targets].sort() }))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Whether removing `removing` of `owned` needs approval: more than `threshold` when set, else more
 * than half of what is owned or more than the per-operation limit.
 */
export function needsApproval(
  removing: number,
  owned: number,
  perOperation: number,
  threshold: number | undefined,
): boolean {
  if (removing === 0) return false;
  if (threshold !== undefined) return removing > threshold;
  return removing > owned / 2 || removing > perOperation;
}
