import { z } from "zod";

/** A list whose items must not repeat; the CRD marks it `x-kubernetes-list-type: set` so the API server agrees. */
export function setOf<T extends z.ZodType<string>>(item: T, what: string) {
  return z
    .array(item)
    .refine((items) => new Set(items).size === items.length, { message: `${what} must not repeat` })
    .meta({ "x-kubernetes-list-type": "set" });
}

const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration such as `30s`, `1m30s` or `500ms`. */
export const duration = z
  .string()
  .regex(DURATION, { message: "must be a duration such as 30s, 5m or 1m30s" })
  .meta({ pattern: DURATION.source });

/** The shortest poll interval: `0s` would make a set observe its remote in a tight loop (issue 17). */
export const MIN_POLL_INTERVAL_MS = 1000;
/** The longest remote request: a slow remote must not hold a worker for longer (issue 17). */
export const MAX_REQUEST_TIMEOUT_MS = 300_000;

const NONZERO = "0*[1-9][0-9]*";
// Integer hours, minutes, seconds in Go's order with at least one part non-zero, so at least 1s.
// 1.20 has no CEL: the bound is written as a pattern the API server checks too.
const POLL_INTERVAL = new RegExp(
  `^(${NONZERO}h([0-9]+m)?([0-9]+s)?|([0-9]+h)?${NONZERO}m([0-9]+s)?|([0-9]+h)?([0-9]+m)?${NONZERO}s)$`,
);
// 1ms..300000ms, 1s..300s, 1m..5m, or 1m1s..4m59s: at most 5 minutes, never zero.
const REQUEST_TIMEOUT =
  /^(([1-9][0-9]{0,4}|[12][0-9]{5}|300000)ms|([1-9][0-9]?|[12][0-9]{2}|300)s|[1-5]m|[1-4]m([1-9]|[1-5][0-9])s)$/;

/** How often a set observes its remote: whole hours, minutes and seconds (`30s`, `1m30s`), at least 1s. */
export const pollInterval = z
  .string()
  .regex(POLL_INTERVAL, { message: "must be a duration of at least 1s in whole h, m, s (e.g. 30s, 1m30s)" })
  .meta({ pattern: POLL_INTERVAL.source });

/** Deadline of one remote request: `500ms`, `30s`, `2m` or `1m30s`, at most 5m. */
export const requestTimeout = z
  .string()
  .regex(REQUEST_TIMEOUT, {
    message: "must be a duration between 1ms and 5m (e.g. 500ms, 30s, 2m, 1m30s)",
  })
  .meta({ pattern: REQUEST_TIMEOUT.source });

/** Milliseconds of a duration string that `duration` accepted. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? "s"] ?? 1000);
  }
  return total;
}

/** A Kubernetes object name (RFC 1123 subdomain). */
export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "must be a lower-case RFC 1123 name" });

/** A key inside a Secret's data. */
export const secretKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, { message: "must be a Secret data key ([-._a-zA-Z0-9]+)" });

/**
 * Why an http(s) URL could send a request elsewhere than the host it shows, or undefined (issue 25, L5):
 * a path starting with `//` (also after `..` is resolved) is read as a new authority when a client joins a
 * path to it; a backslash is a slash to URL parsers; user info, a query or a fragment have no place in an
 * endpoint and hide what follows.
 */
export function endpointAmbiguity(text: string): string | undefined {
  if (text.includes("\\")) return "must not contain a backslash";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "") return "must not carry user info (user@host)";
  if (url.pathname.startsWith("//"))
    return "must not have a path starting with // (it reads as another host)";
  if (url.search !== "" || url.hash !== "" || /[?#]/.test(text)) return "must not have a query or fragment";
  return undefined;
}

/** An http(s) URL: the only schemes the clients speak, naming its host unambiguously. */
export const httpEndpoint = z
  .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
  .superRefine((text, ctx) => {
    const why = endpointAmbiguity(text);
    if (why) ctx.addIssue({ code: "custom", message: why });
  })
  .meta({ pattern: "^https?://" });

export const conditionType = z.enum(["Ready", "Reconciling", "Stalled"]);
export type ConditionType = z.infer<typeof conditionType>;

/** A kstatus condition, shaped like metav1.Condition. */
export const condition = z.object({
  type: conditionType.describe(
    "Ready (remote matches spec), Reconciling (work in flight) or Stalled (needs a human).",
  ),
  status: z.enum(["True", "False", "Unknown"]).describe("Whether the condition holds."),
  reason: z.string().min(1).max(1024).describe("CamelCase reason, stable for tooling."),
  message: z.string().max(32768).describe("What happened, where, and what to do."),
  lastTransitionTime: z.iso.datetime({ offset: true }).describe("When status last changed."),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe("metadata.generation the condition was computed for."),
});
export type Condition = z.infer<typeof condition>;

export const conditions = z
  .array(condition)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
  .describe("kstatus conditions: Ready always once seen; Reconciling and Stalled only while True.");

/** A plan waiting for approval through the dbfleet.io/approve-plan annotation. */
export const pendingApproval = z
  .object({
    hash: z.string().describe("Set annotation dbfleet.io/approve-plan to this value to approve."),
    summary: z.string().describe("What the plan would delete."),
    targets: z.array(z.string()).describe("The zones or instances the plan would delete."),
  })
  .describe("The plan that needs approval before it runs.");

/** Approvals already acted on: an approval runs its plan once; the same plan later needs a new annotation. */
export const usedApprovals = z
  .array(
    z.object({
      hash: z.string().describe("The approved plan's hash."),
      usedAt: z.iso.datetime({ offset: true }).describe("When the plan it approved was started."),
    }),
  )
  .max(20)
  .describe("Approval hashes already used (newest first, at most 20).");

/**
 * The remote a set's connection leads to, as the remote itself said (issue 26): written when first learned
 * and when it changes, never on every reconcile. Fleet rules (ownership groups, approvals, budgets) key on
 * `identity`, whatever the URL's spelling.
 */
export const recordedRemote = z
  .object({
    identity: z
      .string()
      .min(1)
      .describe(
        "What the remote is: dcs|<project id>, or obshell|<cluster name>#<cluster id> as its agent reports it.",
      ),
    endpoint: z.string().describe("The endpoint it was learned through."),
    observedAt: z.iso
      .datetime({ offset: true })
      .describe("When this identity was first seen through that endpoint."),
  })
  .describe("The remote the set's connection leads to, as the remote reported it.");
export type RecordedRemote = z.infer<typeof recordedRemote>;

/** What every reconciled object's metadata carries that the controller reads. */
export const objectMeta = z.looseObject({
  name: objectName.describe("Object name."),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  creationTimestamp: z.string().optional(),
});

/** Seconds-precision RFC 3339, as Kubernetes writes times (metav1.Time). */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}
