// zod schemas of the DCS v2 replies this client reads (docs/protocols/dcs.md); unknown fields and nulls tolerated.
import { z } from "zod";

export const instanceTag = z.looseObject({ key: z.string(), value: z.string().nullable().optional() });

export const dcsInstance = z.looseObject({
  instance_id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  engine: z.string().nullable().optional(),
  engine_version: z.string().nullable().optional(),
  capacity: z.number().nullable().optional(),
  charging_mode: z.number().nullable().optional(),
  cache_mode: z.string().nullable().optional(),
  tags: z.array(instanceTag).nullable().optional(),
  task: z.unknown().optional(),
  created_at: z.string().nullable().optional(),
});
export type DcsInstance = z.infer<typeof dcsInstance>;

export const listInstancesReply = z.looseObject({
  instances: z.array(dcsInstance).nullable(),
  instance_num: z.int().min(0),
});

export const batchDeleteReply = z.looseObject({
  results: z.array(z.looseObject({ result: z.string(), instance: z.string() })),
});
export type BatchDeleteResult = z.infer<typeof batchDeleteReply>["results"][number];

export const errorReply = z.looseObject({
  error_code: z.string(),
  error_msg: z.string().optional(),
  request_id: z.string().optional(),
});
/** The legacy `{code, message}` shape that also occurs. */
export const legacyErrorReply = z.looseObject({
  code: z.union([z.string(), z.number()]),
  message: z.string().optional(),
});
