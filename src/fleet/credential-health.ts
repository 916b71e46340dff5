// Shared credential health (issue 13, story 7): authentication failures are remembered per credential,
// across sets and restarts, so that one wrong Secret cannot make the operator trip DCS's lockout (five
// bad signatures lock an AK for 5 minutes; specs: API gateway errors) for every user of the key.
//
// Rules, per credential (DCS: endpoint + project + AK; obshell: endpoint + password digest):
// - a secret digest that failed is sent at most once per back-off window (5 min, doubling to 1 h);
// - every set using it is refused without sending, and reports AuthenticationFailed;
// - at most MAX_BAD requests that may be bad per budget key (the DCS AK) in any WINDOW, restarts included:
//   a request with a secret not yet proven good is recorded (persisted) *before* it is sent, and counts
//   until it is proven good; requests in flight count too;
// - a new secret digest (the Secret changed) is not held by the old one's failure: it is tried at once
//   if the budget allows.
// Only digests are kept: AK and endpoint hashed, secrets through scrypt (a weak password must not be
// recoverable from the stored state).
import { createHash, randomBytes, scryptSync } from "node:crypto";
import { z } from "zod";
import { needsHuman } from "../providers/dcs/human-errors.js";
import { AuthError, RemoteError, ThrottledError } from "../providers/errors.js";
import { connectionIdentity } from "./scope.js";

export const WINDOW_MS = 300_000;
export const MAX_BAD_PER_WINDOW = 2;
const BACKOFF_BASE_MS = 300_000;
const BACKOFF_MAX_MS = 3_600_000;
/** A probe whose outcome was never recorded (crash, lost reply) stops blocking others after this. */
const PROBE_TIMEOUT_MS = 60_000;
/** A failing digest no set has tried for this long is forgotten (its Secret was changed). */
const FORGET_FAILING_MS = 86_400_000;
const GOOD_DIGESTS_KEPT = 8;

export interface CredentialRef {
  /** Which credential: DCS endpoint + project + AK; obshell endpoint + password digest. */
  id: string;
  /** Whose lockout counter the request counts against: the DCS AK; for obshell, the credential. */
  budgetKey: string;
  /** Digest of the secret itself: a changed Secret is a new digest under the same id. */
  secretDigest: string;
}

const sha = (...parts: string[]) =>
  createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
const slowDigests = new Map<string, string>();
/** scrypt of a secret, memoised in memory under its SHA-256 (never stored): ~50 ms once per secret. */
function secretDigest(salt: string, secret: string): string {
  const key = sha(salt, secret);
  let digest = slowDigests.get(key);
  if (digest === undefined) {
    digest = scryptSync(secret, `dbfleet-credential-health ${salt}`, 16, { N: 16_384 }).toString("hex");
    if (slowDigests.size > 10_000) slowDigests.clear();
    slowDigests.set(key, digest);
  }
  return digest;
}

export function dcsCredential(
  endpoint: string,
  projectId: string,
  accessKey: string,
  secretKey: string,
): CredentialRef {
  const budgetKey = `dcs-ak:${sha("ak", accessKey)}`;
  const id = `dcs:${sha(connectionIdentity(endpoint), projectId, accessKey)}`;
  return { id, budgetKey, secretDigest: secretDigest(id, secretKey) };
}

export function obshellCredential(endpoint: string, password: string): CredentialRef {
  const identity = connectionIdentity(endpoint);
  const digest = secretDigest(identity, password);
  const id = `obshell:${sha(identity, digest)}`;
  return { id, budgetKey: id, secretDigest: digest };
}

const digestState = z.object({
  state: z.enum(["good", "failing", "unproven"]),
  failures: z.int().min(0),
  lastAttemptAt: z.number(),
  updatedAt: z.number(),
});
const attempt = z.object({
  at: z.number(),
  /** Tells apart requests sent in the same millisecond. */
  seq: z.string(),
  id: z.string(),
  digest: z.string(),
  /** pending until the reply: counts as bad until proven otherwise. */
  outcome: z.enum(["pending", "bad", "ok"]),
});
export const healthState = z.object({
  v: z.literal(1),
  credentials: z.record(z.string(), z.record(z.string(), digestState)),
  budgets: z.record(z.string(), z.array(attempt)),
});
export type HealthState = z.infer<typeof healthState>;
type DigestState = z.infer<typeof digestState>;
type Attempt = z.infer<typeof attempt>;

export const emptyHealth = (): HealthState => ({ v: 1, credentials: {}, budgets: {} });

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

export type RefusalReason =
  /** This secret failed; the next try is after its back-off. */
  | "failing"
  /** The AK already had MAX_BAD requests that were or may be bad in the window. */
  | "budget"
  /** Another request with this unproven secret, or too many with this AK, is in flight: wait briefly. */
  | "inFlight"
  /** The persisted state is not loaded yet: nothing is sent blind. */
  | "notLoaded";

export type Decision =
  | { ok: true; probe: boolean }
  | { ok: false; retryAt: Date; reason: RefusalReason; message: string };

const counts = (a: Attempt) => a.outcome !== "ok";

/** When the budget allows one more request, given `inFlight` unrecorded requests; undefined = now. */
function budgetFreeAt(
  state: HealthState,
  ref: CredentialRef,
  now: number,
  inFlight: number,
): number | undefined {
  const risky = (state.budgets[ref.budgetKey] ?? [])
    .filter((a) => counts(a) && a.at >= now - WINDOW_MS)
    .map((a) => a.at)
    .sort((a, b) => b - a);
  const slots = MAX_BAD_PER_WINDOW - inFlight;
  if (risky.length < slots) return undefined;
  // The oldest risky attempt that must leave the window for a slot to open.
  const leaving = risky[Math.max(0, slots - 1)];
  return leaving === undefined ? now + 1_000 : leaving + WINDOW_MS + 1;
}

/**
 * Pure rule: may a request signed with `ref` be sent at `now`? `inFlight` counts requests with this
 * budget key sent and not yet recorded (known-good ones are not persisted before sending).
 */
export function decide(state: HealthState, ref: CredentialRef, now: number, inFlight = 0): Decision {
  const d = state.credentials[ref.id]?.[ref.secretDigest];
  const refuse = (reason: RefusalReason, retryAt: number, message: string): Decision => ({
    ok: false,
    reason,
    retryAt: new Date(retryAt),
    message,
  });
  if (d?.state === "failing") {
    const until = d.lastAttemptAt + backoffMs(d.failures);
    if (now < until)
      return refuse(
        "failing",
        Math.max(until, budgetFreeAt(state, ref, until, 0) ?? until),
        `authentication with these credentials failed ${d.failures} time(s), last at ${iso(d.lastAttemptAt)}; nothing is sent with them before ${iso(until)} (change the Secret to retry at once)`,
      );
  }
  if (d?.state === "unproven" && now < d.lastAttemptAt + PROBE_TIMEOUT_MS)
    return refuse(
      "inFlight",
      d.lastAttemptAt + PROBE_TIMEOUT_MS,
      "another request with these credentials is being tried first",
    );
  const free = budgetFreeAt(state, ref, now, inFlight);
  if (free !== undefined) {
    if (inFlight > 0 && budgetFreeAt(state, ref, now, 0) === undefined)
      return refuse("inFlight", now + 1_000, "other requests with this access key are in flight");
    return refuse(
      "budget",
      free,
      `${MAX_BAD_PER_WINDOW} requests with this access key failed authentication (or have no answer yet) in the last ${WINDOW_MS / 60_000} minutes; nothing is sent with it before ${iso(free)}, so the remote does not lock the key`,
    );
  }
  return { ok: true, probe: d?.state !== "good" };
}

const iso = (ms: number) => new Date(ms).toISOString();

function setDigest(state: HealthState, ref: CredentialRef, next: DigestState): HealthState {
  return {
    ...state,
    credentials: {
      ...state.credentials,
      [ref.id]: { ...state.credentials[ref.id], [ref.secretDigest]: next },
    },
  };
}

/** One request in a budget: when it was sent, and a nonce. */
export interface SentRequest {
  at: number;
  seq: string;
}

export const newRequest = (at: number): SentRequest => ({ at, seq: randomBytes(4).toString("hex") });

const isRequest = (sent: SentRequest) => (a: Attempt) => a.seq === sent.seq && a.at === sent.at;

function setAttempt(
  state: HealthState,
  ref: CredentialRef,
  sent: SentRequest,
  outcome: Attempt["outcome"],
): HealthState {
  const list = state.budgets[ref.budgetKey] ?? [];
  const same = isRequest(sent);
  const next = list.some(same)
    ? list.map((a) => (same(a) ? { ...a, outcome } : a))
    : [...list, { at: sent.at, seq: sent.seq, id: ref.id, digest: ref.secretDigest, outcome }];
  return { ...state, budgets: { ...state.budgets, [ref.budgetKey]: next } };
}

/** Transition: a probe (secret not proven good) is about to be sent; persist this before sending. */
export function reserve(state: HealthState, ref: CredentialRef, sent: SentRequest): HealthState {
  const now = sent.at;
  const d = state.credentials[ref.id]?.[ref.secretDigest];
  const next: DigestState =
    d?.state === "failing"
      ? { ...d, lastAttemptAt: now, updatedAt: now }
      : { state: "unproven", failures: d?.failures ?? 0, lastAttemptAt: now, updatedAt: now };
  return setAttempt(setDigest(state, ref, next), ref, sent, "pending");
}

/** Transition: the remote refused the credentials of request `sent`. */
export function failed(state: HealthState, ref: CredentialRef, sent: SentRequest, now: number): HealthState {
  const d = state.credentials[ref.id]?.[ref.secretDigest];
  const next: DigestState = {
    state: "failing",
    failures: (d?.state === "failing" ? d.failures : 0) + 1,
    lastAttemptAt: Math.max(sent.at, d?.lastAttemptAt ?? 0),
    updatedAt: now,
  };
  return setAttempt(setDigest(state, ref, next), ref, sent, "bad");
}

/** Transition: the remote accepted the credentials (any reply that is not an authentication failure). */
export function succeeded(
  state: HealthState,
  ref: CredentialRef,
  sent: SentRequest,
  now: number,
): HealthState {
  const d = state.credentials[ref.id]?.[ref.secretDigest];
  let next = state;
  if (d?.state !== "good")
    next = setDigest(next, ref, { state: "good", failures: 0, lastAttemptAt: sent.at, updatedAt: now });
  if ((next.budgets[ref.budgetKey] ?? []).some(isRequest(sent))) next = setAttempt(next, ref, sent, "ok");
  return next;
}

/**
 * Whether a probe recorded as `sent` is still the only one allowed, once the stored state (other
 * deployments sharing the Lease) is merged in: no other pending probe of the same secret, and the budget
 * not spent without it. Otherwise it is withdrawn before sending.
 */
export function probeStillAllowed(state: HealthState, ref: CredentialRef, sent: SentRequest): boolean {
  const others = (state.budgets[ref.budgetKey] ?? []).filter((a) => !isRequest(sent)(a));
  const risky = others.filter((a) => counts(a) && a.at >= sent.at - WINDOW_MS);
  const twin = others.some(
    (a) =>
      a.outcome === "pending" &&
      a.id === ref.id &&
      a.digest === ref.secretDigest &&
      a.at > sent.at - PROBE_TIMEOUT_MS,
  );
  return !twin && risky.length < MAX_BAD_PER_WINDOW;
}

/** Transition: a recorded probe was not sent after all. */
export function withdrawn(state: HealthState, ref: CredentialRef, sent: SentRequest): HealthState {
  return setAttempt(state, ref, sent, "ok");
}

const precedence = { unproven: 0, good: 1, failing: 2 } as const;
/** The later record; at the same instant the one that knows more (an outcome over a probe), failing first. */
function newer(x: DigestState, y: DigestState): DigestState {
  if (x.updatedAt !== y.updatedAt) return y.updatedAt > x.updatedAt ? y : x;
  if (precedence[x.state] !== precedence[y.state]) return precedence[y.state] > precedence[x.state] ? y : x;
  return y.failures > x.failures ? y : x;
}

/** Two replicas' (or a stale and a fresh) states as one: the newer digest record, every attempt. */
export function merge(a: HealthState, b: HealthState): HealthState {
  const credentials: HealthState["credentials"] = {};
  for (const id of new Set([...Object.keys(a.credentials), ...Object.keys(b.credentials)])) {
    const out: Record<string, DigestState> = {};
    const da = a.credentials[id] ?? {};
    const db = b.credentials[id] ?? {};
    for (const digest of new Set([...Object.keys(da), ...Object.keys(db)])) {
      const x = da[digest];
      const y = db[digest];
      const pick = !x ? y : !y ? x : newer(x, y);
      if (pick) out[digest] = pick;
    }
    credentials[id] = out;
  }
  const rank = { pending: 0, bad: 1, ok: 1 } as const;
  const budgets: HealthState["budgets"] = {};
  for (const key of new Set([...Object.keys(a.budgets), ...Object.keys(b.budgets)])) {
    const byAttempt = new Map<string, Attempt>();
    for (const x of [...(a.budgets[key] ?? []), ...(b.budgets[key] ?? [])]) {
      const k = `${x.at} ${x.seq}`;
      const seen = byAttempt.get(k);
      // A resolved outcome wins over pending; between two resolved ones, bad wins (the safe side).
      if (!seen || rank[x.outcome] > rank[seen.outcome] || (x.outcome === "bad" && seen.outcome === "ok"))
        byAttempt.set(k, x);
    }
    budgets[key] = [...byAttempt.values()].sort((p, q) => p.at - q.at);
  }
  return { v: 1, credentials, budgets };
}

/** What is no longer needed: attempts out of the window, long-untried failures, old good digests. */
export function prune(state: HealthState, now: number): HealthState {
  const budgets: HealthState["budgets"] = {};
  for (const [key, list] of Object.entries(state.budgets)) {
    const kept = list.filter((a) => a.at >= now - WINDOW_MS);
    if (kept.length > 0) budgets[key] = kept;
  }
  const credentials: HealthState["credentials"] = {};
  for (const [id, digests] of Object.entries(state.credentials)) {
    const bad = Object.entries(digests).filter(
      ([, d]) => d.state !== "good" && d.lastAttemptAt >= now - FORGET_FAILING_MS,
    );
    const good = Object.entries(digests)
      .filter(([, d]) => d.state === "good")
      .sort(([, x], [, y]) => y.updatedAt - x.updatedAt)
      .slice(0, GOOD_DIGESTS_KEPT);
    if (bad.length + good.length > 0) credentials[id] = Object.fromEntries([...bad, ...good]);
  }
  return { v: 1, credentials, budgets };
}

/** Where the state is kept between restarts (src/fleet/credential-store.ts: a Lease annotation). */
export interface HealthStore {
  /** The stored state and its version; undefined when nothing is stored yet. */
  read(): Promise<{ state: HealthState; version: string } | undefined>;
  /** Writes if the stored version is still `version` (undefined: create); the new version, or undefined on a conflict. */
  write(state: HealthState, version: string | undefined): Promise<string | undefined>;
}

/**
 * How a failed request bears on its credentials, for `guard`: "auth" when the remote refused them (bad
 * signature or password), "reply" when it answered past authentication (a DCS 403 permission code is a
 * valid signature without the right), "unknown" when there was no trustworthy answer (transport, 5xx,
 * throttling that a gateway may apply before checking the signature).
 */
export function credentialOutcome(error: unknown): "auth" | "reply" | "unknown" {
  if (error instanceof AuthError) return needsHuman(error.remoteCode) ? "reply" : "auth";
  if (error instanceof ThrottledError) return "unknown";
  if (error instanceof RemoteError && error.status !== undefined && error.status < 500) return "reply";
  return "unknown";
}

/** Handed out by mayAttempt; give it back to recordSuccess, recordFailure or recordUnknown. */
export interface AttemptTicket {
  ref: CredentialRef;
  sent: SentRequest;
  /** The attempt was recorded before sending: flush() must succeed before the request goes out. */
  probe: boolean;
}

export class CredentialRefusedError extends Error {
  constructor(readonly decision: Extract<Decision, { ok: false }>) {
    super(decision.message);
    this.name = "CredentialRefusedError";
  }
}

/**
 * The operator's one shared view of credential health: in memory, loaded from and flushed to a store.
 * Only the leader reconciles, so one process writes; optimistic concurrency merges with a previous
 * leader's last writes instead of overwriting them.
 */
export class CredentialHealth {
  private state = emptyHealth();
  private version: string | undefined;
  private loaded = false;
  private dirty = false;
  private writing: Promise<void> | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly store: HealthStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Reads the stored state and merges it in. Call once leading, before the first reconcile (until then
   * everything is refused); again now and then when several deployments share the Lease.
   */
  async load(): Promise<void> {
    const stored = await this.store.read();
    if (stored) {
      this.state = merge(this.state, stored.state);
      this.version = stored.version;
    }
    this.loaded = true;
  }

  mayAttempt(
    ref: CredentialRef,
    now: Date = new Date(this.clock()),
  ): { ok: true; ticket: AttemptTicket } | Extract<Decision, { ok: false }> {
    const at = now.getTime();
    if (!this.loaded)
      return {
        ok: false,
        reason: "notLoaded",
        retryAt: new Date(at + 1_000),
        message: "credential health is not loaded yet",
      };
    const decision = decide(this.state, ref, at, this.inFlight.get(ref.budgetKey) ?? 0);
    if (!decision.ok) return decision;
    const sent = newRequest(at);
    if (decision.probe) {
      this.state = reserve(this.state, ref, sent);
      this.dirty = true;
    } else this.inFlight.set(ref.budgetKey, (this.inFlight.get(ref.budgetKey) ?? 0) + 1);
    return { ok: true, ticket: { ref, sent, probe: decision.probe } };
  }

  recordFailure(ticket: AttemptTicket, now: Date = new Date(this.clock())): void {
    this.release(ticket);
    this.state = failed(this.state, ticket.ref, ticket.sent, now.getTime());
    this.dirty = true;
  }

  recordSuccess(ticket: AttemptTicket, now: Date = new Date(this.clock())): void {
    this.release(ticket);
    const next = succeeded(this.state, ticket.ref, ticket.sent, now.getTime());
    if (next !== this.state) this.dirty = true;
    this.state = next;
  }

  /** No reply (timeout, reset): a probe keeps counting as possibly bad until it leaves the window. */
  recordUnknown(ticket: AttemptTicket): void {
    this.release(ticket);
  }

  /** Writes the state if it changed; concurrent callers share one write. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  /**
   * Sends `request` under the rules: refused (CredentialRefusedError) without sending, or sent after a
   * probe was persisted, with its outcome recorded. `classify` reads a failure: "auth" (the remote
   * refused the credentials), "reply" (it answered past authentication), "unknown" (no answer).
   */
  async guard<T>(
    ref: CredentialRef,
    request: () => Promise<T>,
    classify: (error: unknown) => "auth" | "reply" | "unknown",
  ): Promise<T> {
    const allowed = this.mayAttempt(ref);
    if (!allowed.ok) throw new CredentialRefusedError(allowed);
    const { ticket } = allowed;
    // A probe goes out only once it is on record: a restart, or another deployment, then counts it.
    if (ticket.probe) {
      await this.flush();
      if (!probeStillAllowed(this.state, ref, ticket.sent)) {
        this.state = withdrawn(this.state, ref, ticket.sent);
        this.dirty = true;
        await this.flush().catch(() => undefined);
        const now = this.clock();
        throw new CredentialRefusedError({
          ok: false,
          reason: "inFlight",
          retryAt: new Date(now + 1_000),
          message: "another operator process is trying these credentials first",
        });
      }
    }
    try {
      const result = await request();
      this.recordSuccess(ticket);
      return result;
    } catch (error) {
      const kind = classify(error);
      if (kind === "auth") this.recordFailure(ticket);
      else if (kind === "reply") this.recordSuccess(ticket);
      else this.recordUnknown(ticket);
      throw error;
    } finally {
      await this.flush().catch(() => undefined);
    }
  }

  /** A copy of the state, for status messages and tests. */
  snapshot(): HealthState {
    return structuredClone(this.state);
  }

  private release(ticket: AttemptTicket): void {
    if (ticket.probe) return;
    const n = (this.inFlight.get(ticket.ref.budgetKey) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(ticket.ref.budgetKey);
    else this.inFlight.set(ticket.ref.budgetKey, n);
  }

  private async write(): Promise<void> {
    try {
      await this.writeMerging();
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  private async writeMerging(): Promise<void> {
    for (let tries = 0; tries < 5; tries++) {
      this.dirty = false;
      const candidate = prune(this.state, this.clock());
      const written = await this.store.write(candidate, this.version);
      if (written !== undefined) {
        this.version = written;
        return;
      }
      // Someone else wrote since we read: take theirs in and try again.
      const stored = await this.store.read();
      if (stored) this.state = merge(this.state, stored.state);
      this.version = stored?.version;
    }
    throw new Error("credential health: the stored state kept changing under us (5 conflicts in a row)");
  }
}
