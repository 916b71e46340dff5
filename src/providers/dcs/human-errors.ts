// DCS refusals that no retry can fix: a person must pay, unsubscribe or grant something first. A deletion
// refused with one of these makes the set Stalled at once (instances frozen or billed yearly/monthly are
// caught from the listing, src/reconcilers/redis/plan.ts),
// naming the instance and the code, instead of Reconciling forever (issue 13, "Stalls that call a human").
//
// Sources:
// - DCS API reference, "Error Codes" (dcs-api-0312044), as published by Open Telekom Cloud:
//   https://github.com/opentelekomcloud-docs/distributed-cache-service/blob/main/api-ref/source/appendix/error_codes.rst
// - DCS API reference, "DCS Instance Statuses": FROZEN is "frozen due to low balance", undone by recharging:
//   https://support.huaweicloud.com/intl/en-us/api-dcs/dcs-api-0312047.html
// - DCS API reference, "Deleting an Instance": yearly/monthly instances are not deleted but unsubscribed
//   in the Billing Center: https://support.huaweicloud.com/intl/en-us/api-dcs/DeleteSingleInstance.html
// - Huawei Cloud BSS "Error Codes": CBC.30050010, resources in unpaid orders (DCS passes CBC billing codes
//   through; Huawei's Terraform provider handles CBC.99003651 from DCS calls):
//   https://support.huaweicloud.com/intl/en-us/api-bpconsole/en-us_topic_0081766005.html
// Busy codes ("try again later", e.g. DCS.4120 freezing in progress) stay in errors.ts BUSY_CODES.

export interface HumanError {
  /** What DCS says, in our words. */
  why: string;
  /** What a person has to do. */
  action: string;
}

/** The code a 403 refusal of a deletion is recorded under when DCS's own code is not one of the below. */
export const FORBIDDEN_DELETION = "HTTP.403";

export const HUMAN_ERRORS: Readonly<Record<string, HumanError>> = {
  "DCS.4107": {
    why: "the instance has unpaid scale-up orders",
    action: "pay or cancel the instance's pending orders in the Billing Center",
  },
  "DCS.2003": {
    why: "the IAM role lacks permission for this operation",
    action: "grant the access key's user dcs:instance:delete",
  },
  "DCS.3003": {
    why: "the IAM role lacks permission for this operation",
    action: "grant the access key's user dcs:instance:delete",
  },
  "DCS.2007": {
    why: "an IAM policy does not allow this operation",
    action: "change the policy attached to the access key's user",
  },
  "DCS.3002": {
    why: "the account has read-only permission",
    action: "use an access key with write permission on DCS",
  },
  "CBC.30050010": {
    why: "the instance is part of an unpaid order",
    action: "pay or cancel the order in the Billing Center",
  },
  // Not a DCS code: a deletion refused with HTTP 403 under a code not listed here (an API gateway's
  // APIGW.*, or none) is recorded under this one. IAM does not change by asking again.
  [FORBIDDEN_DELETION]: {
    why: "the deletion was refused with HTTP 403 (an IAM policy does not allow it)",
    action: "grant the access key's user dcs:instance:delete, or change the policy that denies it",
  },
};

/** Whether a DCS (or billing) error code is known to need a person; unknown codes do not. */
export function needsHuman(errorCode: string | undefined): boolean {
  return errorCode !== undefined && Object.hasOwn(HUMAN_ERRORS, errorCode.trim());
}
