// RedisInstanceSet: observe the project's instances through a shared listing, keep those in scope,
// plan (pure), re-read each victim, batch-delete, and record every instance's result until it is gone.
import type { Logger } from "pino";
import { durationMs } from "../api/common.js";
import { APPROVE_PLAN_ANNOTATION } from "../api/group.js";
import {
  type DeletionRecord,
  type RedisInstanceSet,
  type RedisInstanceSetStatus,
  redisInstanceSet,
  redisInstanceSetStatus,
} from "../api/redis-instance-set.js";
import type { ReconcileResult, Reconciler } from "../controller/controller.js";
import type { ReconcileContext } from "../controller/manager.js";
import type { KubeObject } from "../controller/resource.js";
import { isInstanceBusy } from "../providers/dcs/busy.js";
import { DcsClient } from "../providers/dcs/client.js";
import type { DcsInstance } from "../providers/dcs/schemas.js";
import { BadRequestError, NotFoundError, RemoteError } from "../providers/errors.js";
import { ClientCache, credentialKey } from "./client-cache.js";
import { readSecret } from "./credentials.js";
import { SharedListings } from "./dcs-listings.js";
import { type Outcome, saveStatus, timestamp } from "./outcome.js";
import { openSet, ReconcileLog } from "./reconcile-scope.js";
import { inScope, type ObservedRedis, planRedis } from "./redis-plan.js";
import { remoteFailure } from "./remote-failure.js";
import { REDIS_INSTANCE_SET } from "./resources.js";

export interface RedisReconcilerOptions {
  now?: () => Date;
  /** How soon to look again while deletions are in flight. */
  deletePollMs?: number;
  listings?: SharedListings;
  onRequest?: ConstructorParameters<typeof DcsClient>[0]["onRequest"];
}

type Status = RedisInstanceSetStatus;
/** Records kept for instances already gone, newest first. */
const GONE_RECORDS_KEPT = 50;

export function observedRedis(i: DcsInstance): ObservedRedis {
  const tags: Record<string, string> = {};
  for (const t of i.tags ?? []) tags[t.key] = t.value ?? "";
  return {
    id: i.instance_id,
    name: i.name,
    status: i.status,
    tags,
    busy: isInstanceBusy(i),
  };
}

export class RedisInstanceSetReconciler implements Reconciler {
  readonly clients = new ClientCache<DcsClient>();
  readonly listings: SharedListings;
  private readonly failures = new Map<string, number>();
  private readonly now: () => Date;
  private readonly logs: ReconcileLog;

  constructor(
    private readonly ctx: ReconcileContext<KubeObject>,
    private readonly options: RedisReconcilerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.logs = new ReconcileLog(ctx.logger);
    this.listings = options.listings ?? new SharedListings();
  }

  reconcile(key: string, _signal?: AbortSignal, parentLog?: Logger): Promise<ReconcileResult | undefined> {
    const object = this.ctx.cache.get(key);
    const log = (parentLog ?? this.ctx.logger).child({
      kind: "RedisInstanceSet",
      generation: object?.metadata.generation,
    });
    return this.logs.run(log, () => this.reconcileSet(key, object));
  }

  private async reconcileSet(
    key: string,
    object: KubeObject | undefined,
  ): Promise<ReconcileResult | undefined> {
    const ris = await openSet(object, redisInstanceSet, "RedisInstanceSet", (o, outcome) =>
      this.save(o, outcome),
    );
    if (!ris || !object) return undefined;
    const ns = object.metadata.namespace ?? "default";
    const ref = ris.spec.dcs.credentialsSecretRef;
    const secret = readSecret(this.ctx.secrets, ns, ref.name, [ref.accessKeyKey, ref.secretKeyKey]);
    if (!secret.ok) {
      await this.save(object, { phase: "Stalled", reason: "CredentialsMissing", message: secret.message });
      return undefined;
    }
    const credentials = {
      accessKey: secret.values[ref.accessKeyKey] ?? "",
      secretKey: secret.values[ref.secretKeyKey] ?? "",
    };
    const { endpoint, projectId } = ris.spec.dcs;
    const credKey = credentialKey(endpoint, projectId, credentials.accessKey, credentials.secretKey);
    const client = this.clients.get(`${endpoint}|${projectId}|${credentials.accessKey}`, credKey, () => {
      return new DcsClient({
        endpoint,
        projectId,
        auth: { kind: "aksk", credentials: () => credentials },
        timeoutMs: durationMs(ris.spec.dcs.requestTimeout),
        ...(this.options.onRequest ? { onRequest: this.options.onRequest } : {}),
      });
    });
    try {
      const result = await this.observeAndAct(object, ris, client, credKey);
      this.failures.delete(key);
      return result;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const failure = remoteFailure(error, n, "DCS");
      await this.save(object, failure.outcome);
      return { requeueAfterMs: failure.requeueAfterMs };
    }
  }

  private async observeAndAct(
    object: KubeObject,
    ris: RedisInstanceSet,
    client: DcsClient,
    listingKey: string,
  ): Promise<ReconcileResult> {
    const poll = durationMs(ris.spec.pollInterval);
    const deletePoll = this.options.deletePollMs ?? 5000;
    // While deletions are in flight, look often enough to see them leave; otherwise once per poll interval.
    const inFlight = (ris.status?.deletions ?? []).some((d) => !d.goneAt && d.result !== "failed");
    const listing = await this.listings.get(listingKey, client, inFlight ? Math.min(poll, deletePoll) : poll);
    const observed = listing.instances.map(observedRedis);
    const listed = new Map(observed.map((i) => [i.id, i]));
    const now = this.now();
    const deletions = this.resolveDeletions(ris.status?.deletions ?? [], listed, now);
    const plan = planRedis(ris.spec, observed, deletions, now);
    const observedFields = (s: Status): Status => ({
      ...s,
      instances: plan.owned.map((i) => ({ id: i.id, name: i.name, status: i.status })),
      observedCount: plan.owned.length,
      deletions,
      ...(plan.missing.length > 0 ? { missing: plan.missing } : { missing: undefined }),
    });

    if (plan.blockers.length > 0) {
      const first = plan.blockers[0];
      const message = plan.blockers.map((b) => b.message).join("; ");
      await this.save(
        object,
        { phase: "Stalled", reason: first?.reason ?? "Blocked", message },
        observedFields,
      );
      this.ctx.events.record(object, "Warning", first?.reason ?? "Blocked", message);
      return { requeueAfterMs: poll };
    }
    if (plan.converged) {
      await this.save(
        object,
        {
          phase: "Ready",
          reason: "Converged",
          message: `${plan.owned.length} instance(s) in scope, all desired`,
        },
        (s) => {
          const { pendingApproval: _, ...rest } = observedFields(s);
          return rest;
        },
      );
      return { requeueAfterMs: poll };
    }
    if (plan.batches.length === 0) {
      const message = `waiting for ${plan.waiting.length} instance(s) being deleted or busy${plan.backingOff.length ? `, ${plan.backingOff.length} backing off after a failed delete` : ""}`;
      await this.save(
        object,
        { phase: "Reconciling", reason: "WaitingForDeletion", message },
        observedFields,
      );
      return { requeueAfterMs: Math.min(poll, deletePoll) };
    }
    if (
      plan.approval.required &&
      object.metadata.annotations?.[APPROVE_PLAN_ANNOTATION] !== plan.approval.hash
    ) {
      const message = `${plan.approval.summary}: approve with kubectl annotate ris ${object.metadata.name} ${APPROVE_PLAN_ANNOTATION}=${plan.approval.hash}`;
      await this.save(object, { phase: "Stalled", reason: "ApprovalRequired", message }, (s) => ({
        ...observedFields(s),
        pendingApproval: {
          hash: plan.approval.hash,
          summary: plan.approval.summary,
          targets: plan.toDelete.map((i) => i.name),
        },
      }));
      this.ctx.events.record(object, "Warning", "ApprovalRequired", message);
      return { requeueAfterMs: poll };
    }
    if (ris.spec.policy.dryRun) {
      const names = plan.batches.flat().map((i) => i.name);
      const message = `dry run: would delete ${names.join(", ")}`;
      await this.save(object, { phase: "DryRun", reason: "DryRun", message }, observedFields);
      this.ctx.events.record(object, "Normal", "DryRun", message);
      return { requeueAfterMs: poll };
    }

    // Re-read each victim by id just before deleting it: still there, still in scope, not already going.
    const victims: ObservedRedis[] = [];
    for (const candidate of plan.batches.flat()) {
      try {
        const fresh = observedRedis(await client.getInstance(candidate.id));
        if (
          inScope(ris.spec.selector, fresh) &&
          fresh.status !== "DELETING" &&
          !fresh.busy &&
          !ris.spec.instances.includes(fresh.name)
        )
          victims.push(fresh);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    if (victims.length === 0) {
      this.listings.invalidate(listingKey);
      return { requeueAfterMs: 0 };
    }
    const requestedAt = timestamp(now);
    const pending = new Map(deletions.map((d) => [d.id, d]));
    for (const v of victims) {
      const previous = pending.get(v.id);
      pending.set(v.id, {
        id: v.id,
        name: v.name,
        requestedAt,
        result: "pending",
        attempts: (previous?.attempts ?? 0) + 1,
      });
    }
    // Intent first: a crash after the call leaves "pending" records that the next pass resolves by looking.
    let current = await this.save(
      object,
      {
        phase: "Reconciling",
        reason: "Deleting",
        message: `deleting ${victims.map((v) => v.name).join(", ")}`,
      },
      (s) => ({
        ...observedFields(s),
        deletions: [...pending.values()],
      }),
    );
    const batchResults: { result: string; instance: string }[] = [];
    const failures: string[] = [];
    this.logs.current.info({ instances: victims.map((v) => `${v.name} (${v.id})`) }, "deleting instances");
    for (let i = 0; i < victims.length; i += 50) {
      const batch = victims.slice(i, i + 50);
      try {
        batchResults.push(
          ...(await client.batchDelete(
            batch.map((v) => v.id),
            { recycle: ris.spec.policy.recycle },
          )),
        );
      } catch (error) {
        if (error instanceof BadRequestError) {
          for (const v of batch) batchResults.push({ result: "failed", instance: v.id });
          failures.push(error.message);
          continue;
        }
        // Unknown outcome: the records stay pending and are resolved from the next listing.
        this.listings.invalidate(listingKey);
        await this.save(current, {
          phase: "Reconciling",
          reason: "DeleteOutcomeUnknown",
          message: `${error instanceof Error ? error.message : String(error)}; the next listing tells what happened`,
        });
        return { requeueAfterMs: deletePoll };
      }
    }
    this.listings.invalidate(listingKey);
    const byId = new Map(victims.map((v) => [v.id, v]));
    for (const r of batchResults) {
      const record = pending.get(r.instance);
      if (!record) continue;
      const v = byId.get(r.instance);
      pending.set(r.instance, {
        ...record,
        result: r.result === "success" ? "success" : "failed",
        ...(r.result === "success"
          ? {}
          : {
              lastError:
                failures[0] ??
                `DCS answered failed (instance status ${v?.status ?? "unknown"}); retried with backoff`,
            }),
      });
    }
    const ok = batchResults.filter((r) => r.result === "success").length;
    const failed = batchResults.length - ok;
    current = await this.save(
      current,
      {
        phase: "Reconciling",
        reason: "DeletionRequested",
        message: `DCS accepted ${ok} deletion(s)${failed ? `, refused ${failed}` : ""}; waiting for them to leave the listing`,
      },
      (s) => ({ ...s, deletions: [...pending.values()], lastBatch: { requestedAt, results: batchResults } }),
    );
    this.ctx.events.record(
      object,
      "Normal",
      "DeletionRequested",
      `batch delete: ${ok} accepted, ${failed} failed`,
    );
    if (failed > 0)
      this.ctx.events.record(
        object,
        "Warning",
        "DeletionFailed",
        `${failed} instance(s) were not deleted; retried with backoff`,
      );
    return { requeueAfterMs: deletePoll };
  }

  /** Marks deletions gone once the listing stops showing them; pending ones are resolved by looking. */
  private resolveDeletions(
    records: readonly DeletionRecord[],
    listed: Map<string, ObservedRedis>,
    now: Date,
  ): DeletionRecord[] {
    const at = timestamp(now);
    const resolved = records.map((r): DeletionRecord => {
      const instance = listed.get(r.id);
      if (!instance)
        return r.goneAt ? r : { ...r, result: r.result === "failed" ? r.result : "success", goneAt: at };
      if (r.result === "pending")
        return instance.status === "DELETING"
          ? { ...r, result: "success" }
          : {
              ...r,
              result: "failed",
              lastError: "the delete's outcome was lost (operator restarted); the instance is still there",
            };
      return r;
    });
    const live = resolved.filter((r) => !r.goneAt);
    const gone = resolved
      .filter((r) => r.goneAt)
      .sort((a, b) => (b.goneAt ?? "").localeCompare(a.goneAt ?? ""));
    return [...live, ...gone.slice(0, GONE_RECORDS_KEPT)];
  }

  private save(
    object: KubeObject,
    outcome: Outcome | undefined,
    edit: (s: Status) => Status = (s) => s,
  ): Promise<KubeObject> {
    if (outcome)
      this.logs.current[outcome.phase === "Stalled" ? "warn" : "debug"](
        { phase: outcome.phase, reason: outcome.reason },
        outcome.message,
      );
    return saveStatus(
      this.ctx.status,
      REDIS_INSTANCE_SET,
      redisInstanceSetStatus,
      object,
      outcome,
      edit,
      this.now(),
    );
  }
}
