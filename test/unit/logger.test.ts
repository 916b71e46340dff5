import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";

describe("logger", () => {
  it("redacts credentials by path, whatever object carries them", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: "info" }, sink);
    log.info(
      {
        password: "pw-1",
        credentials: { secretKey: "sk-2", accessKey: "ak-3" },
        req: { headers: { authorization: "SDK-HMAC-SHA256 Access=ak-4" } },
      },
      "hello",
    );
    log.info({ secret: { data: { password: "c2VjcmV0" } } }, "secret object");
    const text = lines.join("");
    for (const value of ["pw-1", "sk-2", "ak-3", "ak-4", "c2VjcmV0"]) expect(text).not.toContain(value);
    expect(text).toContain("[redacted]");
  });
});
