// zod schemas of the obshell replies this client reads (docs/protocols/obshell.md); unknown fields are kept.
import { z } from "zod";
import { replyArray } from "../reply-budget.js";

export const envelope = z.looseObject({
  successful: z.boolean(),
  timestamp: z.string(),
  duration: z.number(),
  status: z.int(),
  traceId: z.string().optional(),
  data: z.unknown().optional(),
  error: z
    .looseObject({
      errCode: z.string().optional(),
      code: z.number().optional(),
      message: z.string().optional(),
      subErrors: replyArray(z.unknown()).nullable().optional(),
    })
    .optional(),
});
export type Envelope = z.infer<typeof envelope>;

/**
 * A list reply. Built once per item schema, at load: zod compiles each new object schema's parser on its
 * first parse, so a list schema built per request compiled code on every request (about a twentieth of
 * what a polling operator allocated at 10,000 sets).
 */
const listOf = <T extends z.ZodType>(item: T) => z.looseObject({ contents: replyArray(item).nullable() });

export const agentInfo = z.looseObject({
  identity: z.string(),
  version: z.string(),
  supportedAuth: replyArray(z.string()).nullable().optional(),
  security: z.boolean().optional(),
  ip: z.string().optional(),
  port: z.number().optional(),
  zone: z.string().optional(),
});
export type AgentInfo = z.infer<typeof agentInfo>;

/**
 * GET /api/v1/ob/info: `param.ObInfoResp` (ob/param/obcluster.go, oceanbase/obshell 4.5.0.0):
 * `agent_info` (the agents) and `obcluster_info` (`param.ClusterConfig`: `id` = the cluster's `cluster_id`
 * parameter, `name` = its `cluster` parameter, `version`, `topology`, `is_shared_storage`). A SINGLE agent
 * (no cluster yet) answers an empty `obcluster_info` (id 0, name "").
 */
export const obInfo = z.looseObject({
  obcluster_info: z
    .looseObject({
      id: z.number().int().optional(),
      name: z.string().optional(),
    })
    .nullable()
    .optional(),
});

export const agentSecret = z.looseObject({
  ip: z.string().optional(),
  port: z.number().optional(),
  public_key: z.string().min(1),
});

export const resourcePool = z.looseObject({
  pool_name: z.string(),
  pool_id: z.number(),
  zone_list: z.string(),
  unit_num: z.number().optional(),
  unit_config: z.looseObject({ name: z.string() }).nullable().optional(),
});

export const tenantInfo = z.looseObject({
  tenant_name: z.string(),
  tenant_id: z.number(),
  status: z.string(),
  primary_zone: z.string(),
  locality: z.string(),
  mode: z.string().optional(),
  locked: z.string().optional(),
  pools: replyArray(resourcePool).nullable().optional(),
});
export type TenantInfo = z.infer<typeof tenantInfo>;

export const tenantOverview = z.looseObject({
  tenant_name: z.string(),
  tenant_id: z.number(),
  status: z.string().optional(),
  locality: z.string().optional(),
  primary_zone: z.string().optional(),
});
export type TenantOverview = z.infer<typeof tenantOverview>;
export const tenantOverviewList = listOf(tenantOverview);

/** GET /api/v1/units/config item (agent repository/model/oceanbase/unit.go DbaObUnitConfig). */
export const unitConfig = z.looseObject({
  name: z.string(),
  unit_config_id: z.number().optional(),
});
export type UnitConfig = z.infer<typeof unitConfig>;
export const unitConfigList = listOf(unitConfig);

export const dagState = z.enum(["PENDING", "READY", "RUNNING", "FAILED", "SUCCEED"]);
export const dagOperator = z.enum(["RUN", "RETRY", "ROLLBACK", "CANCEL", "PASS"]);
export type DagOperator = z.infer<typeof dagOperator>;

const taskDetail = z.looseObject({
  id: z.string(),
  task_id: z.number().optional(),
  name: z.string(),
  state: z.string(),
  operator: z.string().optional(),
  task_logs: replyArray(z.string()).nullable().optional(),
});

export const nodeDetail = z.looseObject({
  id: z.string(),
  node_id: z.number().optional(),
  name: z.string(),
  state: z.string(),
  operator: z.string().optional(),
  sub_tasks: replyArray(taskDetail).nullable().optional(),
});

export const dagDetail = z.looseObject({
  id: z.string().min(1),
  dag_id: z.int(),
  name: z.string(),
  stage: z.int(),
  max_stage: z.int(),
  state: dagState,
  operator: dagOperator,
  start_time: z.string(),
  end_time: z.string(),
  maintenance_type: z.int().optional(),
  maintenance_key: z.string().optional(),
  additional_data: z.unknown().optional(),
  nodes: replyArray(nodeDetail).nullable().optional(),
});
export type DagDetail = z.infer<typeof dagDetail>;
export const dagDetailList = listOf(dagDetail);
