// pino JSON logs; anything that can carry a credential is redacted by path before it is written.
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
