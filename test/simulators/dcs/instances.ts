// Realistic DCS instance records: every field of the list reply in docs/protocols/dcs.md.
import { randomUUID } from "node:crypto";

export interface SimInstanceInput {
  name: string;
  status?: string | undefined;
  tags?: Record<string, string> | undefined;
  chargingMode?: 0 | 1 | undefined;
  engineVersion?: string | undefined;
  capacity?: number | undefined;
  cacheMode?: string | undefined;
  /** The `task` field some replies carry; absent from the record unless given (the batch-delete example has none). */
  task?: string | null;
  /** Non-null while an operation runs. */
  taskStatus?: string | null;
  /** Non-empty while an operation runs. */
  serviceTaskId?: string;
  id?: string | undefined;
}

export type SimInstance = Record<string, unknown> & {
  instance_id: string;
  name: string;
  status: string;
  charging_mode: number;
  tags: { key: string; value: string }[] | null;
  task?: unknown;
  task_status: string | null;
  service_task_id: string;
};

let ipCounter = 10;

export function makeInstance(input: SimInstanceInput, projectId: string): SimInstance {
  const id = input.id ?? randomUUID();
  const capacity = input.capacity ?? 1;
  const ip = `192.168.0.${(ipCounter++ % 250) + 2}`;
  const created = new Date(Date.UTC(2026, 0, 5, 8, 0, 0)).toISOString();
  return {
    instance_id: id,
    name: input.name,
    engine: "Redis",
    engine_version: input.engineVersion ?? "6.0",
    status: input.status ?? "RUNNING",
    capacity,
    capacity_minor: null,
    max_memory: capacity * 1024,
    used_memory: Math.floor(capacity * 1024 * 0.2),
    ip,
    port: 6379,
    domain_name: `redis-${id.slice(0, 8)}.dcs.example.test`,
    readonlydomainname: null,
    resource_spec_code: `redis.ha.xu1.large.r2.${capacity}`,
    cache_mode: input.cacheMode ?? "ha",
    vpc_id: "5e37b3be-950a-48e1-b498-65b63d336481",
    vpc_name: "vpc-prod",
    subnet_id: "a4112635-3ec0-471c-95c3-5cf49b9533af",
    subnet_name: "subnet-cache",
    security_group_id: "d57fad27-e3e9-43b7-9498-0a698ab63b27",
    security_group_name: "sg-cache",
    available_zones: ["eu-west-101a", "eu-west-101b"],
    enterprise_project_id: "0",
    enterprise_project_name: "default",
    charging_mode: input.chargingMode ?? 0,
    user_id: "0f8f1d2c3b4a5e6f",
    user_name: "ops",
    project_id: projectId,
    description: null,
    created_at: created,
    launched_at: created,
    update_at: created,
    no_password_access: "false",
    access_user: null,
    subnet_cidr: "192.168.0.0/24",
    product_type: "generic",
    cpu_type: "x86_64",
    maintain_begin: "18:00:00",
    maintain_end: "19:00:00",
    publicip_id: null,
    publicip_address: null,
    enable_publicip: false,
    enable_ssl: false,
    service_upgrade: false,
    // As the list reply of Huawei's batch-delete example: null and "" when idle.
    service_task_id: input.serviceTaskId ?? "",
    ...(input.task === undefined ? {} : { task: input.task }),
    task_status: input.taskStatus ?? null,
    tags: input.tags ? Object.entries(input.tags).map(([key, value]) => ({ key, value })) : null,
    sharding_count: 0,
    features: null,
  };
}
