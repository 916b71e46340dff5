// Whether a plan may run: approval not needed, given by the annotation (and never used before), or awaited.
import { APPROVE_PLAN_ANNOTATION } from "../../api/group.js";
import { Reason } from "../../api/reasons.js";
import type { SetIdentity } from "./kind.js";
import type { ApprovalRequest, CommonStep } from "./step.js";

export type ApprovalGate = { run: true; consumes?: string } | { run: false; step: CommonStep };

export function approvalGate(
  required: boolean,
  request: ApprovalRequest,
  id: SetIdentity,
  short: string,
  used: readonly { hash: string }[] | undefined,
): ApprovalGate {
  if (!required) return { run: true };
  const given = id.annotations[APPROVE_PLAN_ANNOTATION];
  const hint = `kubectl annotate ${short} ${id.name} -n ${id.namespace} --overwrite ${APPROVE_PLAN_ANNOTATION}=${request.hash}`;
  if (given === request.hash && (used ?? []).some((u) => u.hash === request.hash))
    return {
      run: false,
      step: {
        kind: "AwaitApproval",
        reason: Reason.ApprovalAlreadyUsed,
        message: `${request.summary}: approval ${request.hash} was already used once; to run this plan again remove the annotation, wait for ApprovalRequired, then ${hint}`,
        approval: request,
      },
    };
  if (given === request.hash) return { run: true, consumes: request.hash };
  return {
    run: false,
    step: {
      kind: "AwaitApproval",
      reason: Reason.ApprovalRequired,
      message: `${request.summary}: approve with ${hint}`,
      approval: request,
    },
  };
}

/**
 * Used approvals are remembered only while the annotation still carries them: once it is removed or
 * changed, the same plan can be approved again by a new annotation.
 */
export function keepUsedApprovals<T extends { hash: string }>(
  used: readonly T[] | undefined,
  id: SetIdentity,
): T[] | undefined {
  const given = id.annotations[APPROVE_PLAN_ANNOTATION];
  const kept = (used ?? []).filter((u) => u.hash === given);
  return kept.length > 0 ? kept : undefined;
}

/** Records that `hash` approved a plan that is now starting. */
export function useApproval<T extends { hash: string; usedAt: string }>(
  used: readonly T[] | undefined,
  hash: string,
  at: string,
): { hash: string; usedAt: string }[] {
  return [{ hash, usedAt: at }, ...(used ?? []).filter((u) => u.hash !== hash)].slice(0, 20);
}

type WithApproval = { pendingApproval?: { hash: string; summary: string; targets: string[] } | undefined };

/** status.pendingApproval: the plan waiting for its annotation. */
export function awaitApproval<S extends WithApproval>(s: S, request: ApprovalRequest): S {
  return {
    ...s,
    pendingApproval: { hash: request.hash, summary: request.summary, targets: request.targets },
  };
}

export function clearApproval<S extends WithApproval>(s: S): S {
  const { pendingApproval: _, ...rest } = s;
  return rest as S;
}
