// pino JSON logs. Two guards keep credentials out (issue 17): any key that names a credential is
// redacted at any depth whatever its case, and every credential value the operator has read is
// scrubbed from the final line, so one inside an error message or a URL is caught too.
import { randomUUID } from "node:crypto";
import { type DestinationStream, type Logger, pino } from "pino";

export const CENSOR = "[redacted]";
/** How src/providers/errors.ts marks remote text it cut. */
const ELLIPSIS = "…";

/** Keys whose values are credentials, compared lower-cased with `-` and `_` removed. */
const SECRET_KEYS = new Set([
  "password",
  "passwd",
  "secret",
  "secretkey",
  "secretaccesskey",
  "accesskey",
  "accesskeyid",
  "token",
  "authtoken",
  "xauthtoken",
  "xsecuritytoken",
  "authorization",
  "proxyauthorization",
  "xocsheader",
  "cookie",
  "setcookie",
  "privatekey",
  "apikey",
  "credentials",
  // A Secret's payload, whichever object carries it.
  "data",
  "stringdata",
]);

/** Whether a key names a credential: `Authorization`, `X-Auth-Token`, `secret_key` and `secretKey` all do. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ""));
}

const MAX_DEPTH = 12;

/** A copy of `value` with every credential-named key censored, at any depth; errors become plain objects. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out.type = value.name;
      out.message = value.message;
      out.stack = value.stack;
      if (value.cause !== undefined) out.cause = redactDeep(value.cause, depth + 1, seen);
    }
    for (const [key, child] of Object.entries(value)) {
      out[key] = isSecretKey(key) ? CENSOR : redactDeep(child, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Shorter values are not scrubbed: a one-letter "secret" would garble every line. */
const MIN_SCRUBBED_LENGTH = 4;
/** Bound on the registry: values of rotated Secrets stay, so it only grows. */
const MAX_SCRUBBED_VALUES = 10_000;

/**
 * Credential values the operator has read (the connection resolver adds them). Every log line, status
 * and Event is scrubbed of them, as written and as JSON escapes them.
 */
export class SecretValues {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string): void {
    if (value.length < MIN_SCRUBBED_LENGTH || this.values.has(value)) return;
    if (this.values.size >= MAX_SCRUBBED_VALUES) {
      const oldest = this.values.values().next().value;
      if (oldest !== undefined) this.values.delete(oldest);
    }
    this.values.add(value);
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  scrub(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= this.compile();
    return this.scrubCutTail(text.replace(this.pattern, CENSOR));
  }

  /**
   * Remote text is cut to a length and ends with "…" (src/providers/errors.ts excerpt): a credential cut
   * there leaves its head, which no whole-value match finds. The longest head of at least the minimum length
   * that ends the text is censored.
   */
  private scrubCutTail(text: string): string {
    if (!text.endsWith(ELLIPSIS)) return text;
    const body = text.slice(0, -ELLIPSIS.length);
    // Censored already: scrubbing again must change nothing.
    if (body.endsWith(CENSOR)) return text;
    let longest = 0;
    for (const value of this.values) {
      for (let n = Math.min(value.length - 1, body.length); n >= MIN_SCRUBBED_LENGTH && n > longest; n--) {
        if (body.endsWith(value.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest === 0 ? text : `${body.slice(0, -longest)}${CENSOR}${ELLIPSIS}`;
  }

  private compile(): RegExp {
    // The censor itself is one of the forms, so scrubbing scrubbed text changes nothing (a status written
    // again must compare equal), even when a credential is a part of "[redacted]".
    const forms = new Set<string>([CENSOR]);
    for (const value of this.values) {
      forms.add(value);
      forms.add(JSON.stringify(value).slice(1, -1));
    }
    // Longest first, so a secret that contains another is replaced whole.
    const alternatives = [...forms]
      .sort((a, b) => b.length - a.length)
      .map((form) => form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(alternatives.join("|"), "g");
  }
}

export function createLogger(
  options: { level?: string; name?: string; secrets?: SecretValues } = {},
  destination?: DestinationStream,
): Logger {
  const secrets = options.secrets ?? new SecretValues();
  return pino(
    {
      name: options.name ?? "dbfleet-operator",
      level: options.level ?? "info",
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
      hooks: { streamWrite: (line) => secrets.scrub(line) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * The logger of one reconcile: the controller, the object as one `namespace/name` field (pino's own
 * `name` is the logger's, so the object's must not be a second `name`) and a fresh reconcile id, as
 * controller-runtime's `reconcileID`.
 */
export function reconcileLogger(base: Logger, controller: string, key: string): Logger {
  return base.child({ controller, object: key, reconcileID: randomUUID() });
}

/**
 * An error as two short fields for a log line that repeats (a retry loop): no stack, which would
 * repeat with every try. `code` is the system code (ECONNREFUSED) or the HTTP status when there is one.
 */
export function describeError(error: unknown): { error: string; code?: string | number } {
  if (!(error instanceof Error)) return { error: String(error) };
  const withCode = error as Error & { code?: unknown; status?: unknown; errors?: unknown };
  // Node's connect with address-family fallback throws an AggregateError whose own message is empty.
  const inner = Array.isArray(withCode.errors)
    ? withCode.errors.map((e) => (e instanceof Error ? e.message : String(e)))
    : [];
  const message = error.message || [...new Set(inner)].join("; ") || error.name;
  const code =
    typeof withCode.code === "string" || typeof withCode.code === "number"
      ? withCode.code
      : typeof withCode.status === "number"
        ? withCode.status
        : undefined;
  const cause =
    error.cause instanceof Error && !message.includes(error.cause.message) ? error.cause : undefined;
  const described = cause ? `${message}: ${describeError(cause).error}` : message;
  return code === undefined ? { error: described } : { error: described, code };
}
