// `import` for RedisInstanceSets: one set per name prefix (with the tags every instance must carry, or the
// tags alone), keeping by name every instance in its scope now, read through the kind's own DCS client.
// A scope holding an instance being created, deleted or operated on is refused: what exists is changing.
import { API_VERSION } from "../../api/group.js";
import { describeIssues } from "../../api/parse.js";
import { Reason } from "../../api/reasons.js";
import {
  REDIS_INSTANCE_SET_KIND,
  type RedisInstanceSetSpec,
  redisInstanceSetSpec,
} from "../../api/redis-instance-set.js";
import { ConnectionClients } from "../../connections/client-pool.js";
import type { DcsClient } from "../../providers/dcs/client.js";
import { RemoteError } from "../../providers/errors.js";
import { connectDcs } from "../connect.js";
import {
  type ImportedSet,
  ImportReason,
  type ImportRequest,
  type ImportResult,
  ImportScopeError,
} from "../engine/kind-module.js";
import { observedRedis } from "./observe.js";
import { inScope, type ObservedRedis } from "./plan.js";

/** States in which an instance is appearing or going away: its scope has no stable "now". */
const CHANGING = new Set(["CREATING", "CREATEFAILED", "DELETING"]);

/** The selectors an import scope asks for: one per prefix, each with the tags; or the tags alone. */
export function importSelectors(
  prefixes: readonly string[],
  tags: Readonly<Record<string, string>>,
): RedisInstanceSetSpec["selector"][] {
  const withTags = Object.keys(tags).length > 0 ? { tags: { ...tags } } : {};
  if (prefixes.length === 0) return Object.keys(tags).length > 0 ? [withTags] : [];
  return [...new Set(prefixes)].sort().map((namePrefix) => ({ namePrefix, ...withTags }));
}

/** What a set's name is made from: its prefix (trailing separators dropped) and its tags, sorted. */
export function selectorHint(selector: RedisInstanceSetSpec["selector"]): string {
  const tags = Object.entries(selector.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}-${v}`);
  return [selector.namePrefix?.replace(/[-_.]+$/, ""), ...tags].filter(Boolean).join("-");
}

export async function importRedisSets(request: ImportRequest): Promise<ImportResult> {
  const { scope } = request;
  if (scope.names.length > 0)
    throw new ImportScopeError("a DCS connection imports a scope: --name-prefix and/or --tag, not tenants");
  const selectors = importSelectors(scope.namePrefixes, scope.tags);
  if (selectors.length === 0)
    throw new ImportScopeError(
      "a DCS connection needs a scope: --name-prefix and/or --tag (a RedisInstanceSet only ever touches instances inside its scope)",
    );
  const pool = new ConnectionClients<DcsClient>();
  try {
    const connection = await connectDcs(request.connect, pool, "import", {
      kind: REDIS_INSTANCE_SET_KIND,
      namespace: request.namespace,
      spec: { connectionRef: request.connectionRef },
    });
    if (!connection.ok)
      return { ok: false, reason: connection.step.reason, message: connection.step.message };
    let instances: ObservedRedis[];
    try {
      instances = (await connection.client.listInstances()).instances.map(observedRedis);
    } catch (error) {
      if (error instanceof RemoteError)
        return { ok: false, reason: Reason.ObserveFailed, message: error.message };
      throw error;
    }
    return { ok: true, sets: selectors.map((selector) => importScope(selector, instances, request)) };
  } finally {
    await pool.closeAll();
  }
}

function importScope(
  selector: RedisInstanceSetSpec["selector"],
  instances: readonly ObservedRedis[],
  request: ImportRequest,
): ImportedSet {
  const nameHint = selectorHint(selector);
  const where = `${selector.namePrefix ? `prefix ${selector.namePrefix}` : ""}${selector.namePrefix && selector.tags ? " and " : ""}${
    selector.tags
      ? `tags ${Object.entries(selector.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(",")}`
      : ""
  }`;
  const refuse = (reason: string, message: string): ImportedSet => ({
    nameHint,
    refused: { reason, message },
  });
  const owned = instances.filter((i) => inScope(selector, i));
  if (owned.length === 0)
    return refuse(
      ImportReason.NothingInScope,
      `no instance in scope (${where}): a set keeping none would delete whatever appears there`,
    );
  // Busy as DCS says it (an operation running); a reply without the busy fields says nothing here.
  const changing = owned.filter((i) => CHANGING.has(i.status) || (i.busy && !i.busyUnknown));
  if (changing.length > 0)
    return refuse(
      ImportReason.Changing,
      `${changing
        .slice(0, 10)
        .map((i) => `${i.name} (${i.id}) is ${CHANGING.has(i.status) ? i.status : "busy with an operation"}`)
        .join(
          ", ",
        )}${changing.length > 10 ? `, ... (${changing.length})` : ""}: import this scope once they have settled`,
    );
  const spec = {
    connectionRef: request.connectionRef,
    selector,
    instances: [...new Set(owned.map((i) => i.name))].sort(),
    ...(request.requireApproval ? { policy: { approvalThreshold: 0 } } : {}),
    ...(request.pollInterval ? { pollInterval: request.pollInterval } : {}),
  };
  const parsed = redisInstanceSetSpec.safeParse(spec);
  if (!parsed.success) return refuse(ImportReason.InvalidSpec, `spec: ${describeIssues(parsed.error)}`);
  return {
    nameHint,
    object: {
      apiVersion: API_VERSION,
      kind: REDIS_INSTANCE_SET_KIND,
      metadata: { name: "", namespace: request.namespace },
      spec,
    },
  };
}
