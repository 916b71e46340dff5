// The tenant as the planner sees it, read through obshell: shared by the reconciler and `plan`.
import { NotFoundError } from "../providers/errors.js";
import type { ObshellClient } from "../providers/obshell/client.js";
import type { TenantObservation } from "./tenant-plan.js";

/** undefined when obshell does not know the tenant; any other failure throws. */
export async function observeTenant(
  client: ObshellClient,
  name: string,
): Promise<TenantObservation | undefined> {
  try {
    const tenant = await client.getTenant(name);
    return {
      name: tenant.info.tenant_name,
      status: tenant.info.status,
      replicas: tenant.replicas,
      primaryZone: tenant.info.primary_zone,
      pools: (tenant.info.pools ?? []).map((p) => ({
        name: p.pool_name,
        zones: p.zone_list.split(";").filter((z) => z !== ""),
      })),
    };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
