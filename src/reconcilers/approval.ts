// Large plans wait for a human: the plan's hash must be copied into the dbfleet.io/approve-plan annotation.
import { createHash } from "node:crypto";

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

/** What an approval is bound to: the set, where it acts, and exactly what it removes. */
export interface ApprovalTarget {
  kind: "RemoveZones" | "DeleteInstances";
  namespace: string;
  name: string;
  /**
   * The remote's identity (remote-identity.ts: `obshell|<cluster>#<id>`, `dcs|<project>`), not its URL: an
   * approval holds through any spelling of the same remote and never for another. Hashes made over the
   * endpoint (before issue 26) differ: those approvals are given again.
   */
  remote: string;
  /** The tenant, or the DCS project. */
  scope: string;
  /** Zones, or instance ids. */
  targets: readonly string[];
}

/** Stable hash over every part of the target: an approval never runs a plan it was not given for. */
export function targetHash(target: ApprovalTarget): string {
  const canonical = JSON.stringify([
    target.kind,
    target.namespace,
    target.name,
    target.remote,
    target.scope,
    [...target.targets].sort(),
  ]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}
