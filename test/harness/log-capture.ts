// An operator logger whose lines a test can read: the recommended identity must never be refused (403).
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  /** Lines that report a request the API server refused as Forbidden. */
  forbidden(): string[];
}

export function captureLog(level = "info"): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(line);
      done();
    },
  });
  return {
    logger: pino({ level }, stream),
    lines,
    forbidden: () => lines.filter((l) => /"code":403\b|\b403 Forbidden\b/.test(l)),
  };
}
