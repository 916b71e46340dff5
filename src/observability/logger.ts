// pino JSON logs; anything that can carry a credential is redacted by path before it is written.
import { randomUUID } from "node:crypto";
import { type DestinationStream, type Logger, pino } from "pino";

export const REDACT_PATHS = [
  "password",
  "*.password",
  "secretKey",
  "*.secretKey",
  "accessKey",
  "*.accessKey",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["x-ocs-header"]',
  '*.headers["x-ocs-header"]',
  'headers["x-auth-token"]',
  "data",
  "*.data",
  "stringData",
  "*.stringData",
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? "dbfleet-operator",
      level: options.level ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
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
