// zod schemas of the DCS v2 replies this client reads (docs/protocols/dcs.md); unknown fields and nulls tolerated.
import { z } from "zod";
import { replyArray } from "../reply-budget.js";

export const instanceTag = z.looseObject({ key: z.string(), value: z.string().nullable().optional() });

// Unknown fields are dropped, not kept: a project's listing is held for every set on its client, and most of
// an instance's ~50 fields are not read here (issue 29: 8,000 instances held ~25 MiB more with them).
export const dcsInstance = z.object({
  instance_id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  engine: z.string().nullable().optional(),
  engine_version: z.string().nullable().optional(),
  capacity: z.number().nullable().optional(),
  charging_mode: z.number().nullable().optional(),
  cache_mode: z.string().nullable().optional(),
  tags: replyArray(instanceTag).nullable().optional(),
  /** An operation in progress when non-null (some replies). */
  task: z.unknown().optional(),
  /** Non-null while an operation runs (the list reply of Huawei's batch-delete example); any JSON value. */
  task_status: z.unknown().optional(),
  /** Non-empty while an operation runs; "" when idle. Kept as sent whatever its type (see busy.ts). */
  service_task_id: z.unknown().optional(),
  created_at: z.string().nullable().optional(),
});
export type DcsInstance = z.infer<typeof dcsInstance>;

export const listInstancesReply = z.looseObject({
  instances: replyArray(dcsInstance).nullable(),
  instance_num: z.int().min(0),
});

export const batchDeleteReply = z.looseObject({
  results: replyArray(z.looseObject({ result: z.string(), instance: z.string() })),
});
export type BatchDeleteResult = z.infer<typeof batchDeleteReply>["results"][number];

const codeValue = z.union([z.string(), z.number()]).transform(String);

/** `{error_code, error_msg}`: DCS's own shape. */
export const errorReply = z.looseObject({
  error_code: codeValue,
  error_msg: z.string().nullable().optional(),
  request_id: z.string().optional(),
});
/** `{errorCode, errorMsg}`: some gateways and services (the official SDKs read it too). */
export const camelErrorReply = z.looseObject({
  errorCode: codeValue,
  errorMsg: z.string().nullable().optional(),
  request_id: z.string().optional(),
});
/** The legacy `{code, message}` shape that also occurs. */
export const legacyErrorReply = z.looseObject({
  code: codeValue,
  message: z.string().nullable().optional(),
  request_id: z.string().optional(),
});
