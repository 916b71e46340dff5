// RedisInstanceSet's adapter to the generic set reconciler: DCS connect, the shared listing, the re-read of
// each victim and the batch delete; the decision and the status transitions are in decide.ts and transitions.ts.
import { durationMs } from "../../api/common.js";
import { GROUP, VERSION } from "../../api/group.js";
import { Reason } from "../../api/reasons.js";
import {
  REDIS_INSTANCE_SET_KIND,
  REDIS_INSTANCE_SET_PLURAL,
  type RedisInstanceSet,
  type RedisInstanceSetStatus,
  redisInstanceSet,
  redisInstanceSetStatus,
} from "../../api/redis-instance-set.js";
import type { ConnectionClients } from "../../connections/client-pool.js";
import type { ResourceType } from "../../controller/resource.js";
import type { DcsClient } from "../../providers/dcs/client.js";
import { FORBIDDEN_DELETION, needsHuman } from "../../providers/dcs/human-errors.js";
import { AuthError, BadRequestError, NotFoundError, PermissionDeniedError } from "../../providers/errors.js";
import { type ConnectOptions, connectDcs } from "../connect.js";
import type { Remote, SetIdentity, SetKind } from "../engine/kind.js";
import type { CommonStep } from "../engine/step.js";
import { dcsRemote } from "../remote-identity.js";
import {
  DEFAULT_REDIS_TIMING,
  decideRedis,
  type RedisFleet,
  type RedisStep,
  type RedisTiming,
} from "./decide.js";
import type { SharedListings } from "./listings.js";
import { observedRedis, observeRedisSet, type RedisObserved } from "./observe.js";
import { batches, inScope, isKept, notDeletableNow, type ObservedRedis } from "./plan.js";
import { recordRedis } from "./transitions.js";

export const REDIS_INSTANCE_SET: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: REDIS_INSTANCE_SET_PLURAL,
  kind: REDIS_INSTANCE_SET_KIND,
  namespaced: true,
};

export type RedisKind = SetKind<
  RedisInstanceSet,
  RedisInstanceSetStatus,
  DcsClient,
  RedisObserved,
  RedisFleet,
  RedisStep
>;

export interface RedisKindOptions extends ConnectOptions {
  pool: ConnectionClients<DcsClient>;
  listings: SharedListings;
  timing?: Partial<RedisTiming>;
  /** Other sets (same endpoint and project) whose scope holds an instance; none when the fleet is not indexed. */
  peers?: (id: SetIdentity, remote: Remote, instance: ObservedRedis) => string[];
}

export function redisKind(options: RedisKindOptions): RedisKind {
  const timing = { ...DEFAULT_REDIS_TIMING, ...options.timing };
  return {
    kind: "RedisInstanceSet",
    type: REDIS_INSTANCE_SET,
    schema: redisInstanceSet,
    statusSchema: redisInstanceSetStatus,
    pollIntervalMs: (set) => durationMs(set.spec.pollInterval),
    settleTimeMs: (set) => durationMs(set.spec.policy.settleTime),
    connect: (set, id) =>
      connectDcs(options, options.pool, `${id.namespace}/${id.name}`, {
        kind: "RedisInstanceSet",
        namespace: id.namespace,
        spec: set.spec,
      }),

    // While deletions are in flight, look often enough to see them leave; otherwise once per poll interval.
    observe(client, set) {
      const poll = durationMs(set.spec.pollInterval);
      const inFlight = (set.status?.deletions ?? []).some((d) => !d.goneAt && d.result !== "failed");
      return observeRedisSet(client, options.listings, inFlight ? Math.min(poll, timing.deletePollMs) : poll);
    },
    // A DCS project is its id, through whatever endpoint (no remote call).
    identify: async (_client, _set, connection) => ({ identity: dcsRemote(connection.projectId ?? "") }),
    fleet: (_set, id, remote) => ({ peersOf: (i) => options.peers?.(id, remote, i) ?? [] }),
    decide: (input) => decideRedis(input, timing),
    record: recordRedis,
    isBookkeeping: () => false,
    isAction: (step) => step.kind === "DeleteInstances",
    operations: {
      started: (step) => (step.kind === "DeleteInstances" ? "delete_instances" : undefined),
      // A batch answers per instance: all accepted, none, or some.
      answered(intent, result) {
        if (intent.kind !== "DeleteInstances" || result.kind !== "DeletionsSent") return undefined;
        const targets = result.results.map((r): "success" | "failed" =>
          r.result === "success" ? "success" : "failed",
        );
        const ok = targets.filter((t) => t === "success").length;
        const outcome = ok === targets.length ? "succeeded" : ok === 0 ? "failed" : "partial";
        return { operation: "delete_instances", outcome, targets };
      },
    },

    disruptions: {
      of: (step) =>
        step.kind === "DeleteInstances" ? { unit: "instances", count: step.targets.length } : undefined,
      // DCS answers per instance: a refused one was not deleted. An unknown outcome gives nothing back.
      refunded: (intent, result) =>
        intent.kind === "DeleteInstances" && result.kind === "DeletionsSent"
          ? result.results.filter((r) => r.result !== "success").length
          : 0,
    },

    // Re-read each victim by id just before deleting it: still there, still in scope, still not kept,
    // not already going, not busy, not claimed by another set.
    async prepare(client, set, step, id, _now, remote) {
      if (step.kind !== "DeleteInstances") return step;
      const victims: ObservedRedis[] = [];
      for (const target of step.targets) {
        try {
          const fresh = observedRedis(await client.getInstance(target.id));
          if (
            inScope(set.spec.selector, fresh) &&
            !isKept(set.spec, fresh) &&
            notDeletableNow(fresh) === undefined &&
            (options.peers?.(id, remote, fresh) ?? []).length === 0
          )
            victims.push(fresh);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
      if (victims.length === 0) {
        options.listings.invalidate(client);
        return {
          kind: "Wait",
          reason: Reason.VictimsChanged,
          message: `re-read before deleting: none of ${step.targets.map((t) => t.name).join(", ")} is still to delete; listing again`,
          requeueAfterMs: 1000,
        };
      }
      return {
        ...step,
        targets: victims.map((v) => ({ id: v.id, name: v.name })),
        message: `deleting ${victims.map((v) => v.name).join(", ")}`,
      };
    },

    async act(client, set, step): Promise<RedisStep | CommonStep> {
      if (step.kind !== "DeleteInstances") throw new Error(`${step.kind} is not an action`);
      const results: { result: string; instance: string }[] = [];
      let refusal: string | undefined;
      let refusalCode: string | undefined;
      try {
        for (const batch of batches(step.targets)) {
          try {
            results.push(
              ...(await client.batchDelete(
                batch.map((t) => t.id),
                { recycle: set.spec.policy.recycle },
              )),
            );
          } catch (error) {
            // Refused as a whole before anything was deleted (a bad request, or a 403: IAM does not allow
            // the deletion): every instance of the batch failed, a known outcome with nothing to look up.
            if (!(error instanceof BadRequestError || error instanceof PermissionDeniedError)) throw error;
            for (const t of batch) results.push({ result: "failed", instance: t.id });
            refusal = error.message;
            // A 403 needs a person whatever its code: sending the batch again cannot change an IAM policy.
            refusalCode =
              error instanceof PermissionDeniedError && !needsHuman(error.remoteCode)
                ? FORBIDDEN_DELETION
                : error.remoteCode;
          }
        }
      } catch (error) {
        options.listings.invalidate(client);
        if (error instanceof AuthError) throw error;
        // Unknown outcome: the records stay pending and are resolved from the listing.
        return {
          kind: "OutcomeUnknown",
          reason: Reason.DeleteOutcomeUnknown,
          message: `${error instanceof Error ? error.message : String(error)}; the listing tells what happened`,
          requeueAfterMs: timing.deletePollMs,
        };
      }
      options.listings.invalidate(client);
      const byId = new Map(step.targets.map((t) => [t.id, t.name]));
      const refused = results.filter((r) => r.result !== "success");
      const accepted = results.length - refused.length;
      const refusedNames = refused.map((r) => byId.get(r.instance) ?? r.instance).join(", ");
      const message = `DCS accepted ${accepted} deletion(s)${refused.length ? `, refused ${refusedNames}` : ""}; waiting for them to leave the listing`;
      return {
        kind: "DeletionsSent",
        reason: Reason.DeletionRequested,
        message,
        results,
        ...(refusal ? { refusal } : {}),
        ...(refusalCode ? { refusalCode } : {}),
        requeueAfterMs: timing.deletePollMs,
        event: refused.length
          ? {
              type: "Warning",
              reason: Reason.DeletionFailed,
              message: `batch delete: ${accepted} accepted; refused: ${refusedNames}`,
            }
          : {
              type: "Normal",
              reason: Reason.DeletionRequested,
              message: `batch delete: ${accepted} accepted`,
            },
      };
    },
  };
}
