import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, isSecretKey, SecretValues } from "../../src/observability/logger.js";

function capture(secrets?: SecretValues) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: "info", ...(secrets ? { secrets } : {}) }, sink);
  return { log, text: () => lines.join("") };
}

describe("logger", () => {
  it("redacts credentials by key, whatever object carries them", () => {
    const { log, text } = capture();
    log.info(
      {
        password: "pw-1",
        credentials: { secretKey: "sk-2", accessKey: "ak-3" },
        req: { headers: { authorization: "SDK-HMAC-SHA256 Access=ak-4" } },
      },
      "hello",
    );
    log.info({ secret: { data: { password: "c2VjcmV0" } } }, "secret object");
    for (const value of ["pw-1", "sk-2", "ak-3", "ak-4", "c2VjcmV0"]) expect(text()).not.toContain(value);
    expect(text()).toContain("[redacted]");
  });

  it("redacts keys in any letter case at any depth, as the DCS client spells its headers", () => {
    const { log, text } = capture();
    log.info(
      {
        request: {
          options: {
            headers: { Authorization: "SDK-HMAC-SHA256 Access=AK-deep-1", "X-Auth-Token": "tok-deep-2" },
          },
        },
        list: [
          {
            nested: {
              deeper: { SecretKey: "sk-deep-3", "X-OCS-Header": "ocs-deep-4", secret_key: "sk-deep-5" },
            },
          },
        ],
      },
      "nested",
    );
    for (const value of ["AK-deep-1", "tok-deep-2", "sk-deep-3", "ocs-deep-4", "sk-deep-5"])
      expect(text()).not.toContain(value);
    const line = JSON.parse(text()) as { request: { options: { headers: Record<string, string> } } };
    expect(line.request.options.headers.Authorization).toBe("[redacted]");
  });

  it("scrubs a known secret value out of messages, errors and their causes", () => {
    const secrets = new SecretValues();
    secrets.add('S3cr3t-Pa"ss');
    secrets.add("SKtestSecretKey0000000000000000000000abcd");
    const { log, text } = capture(secrets);
    const cause = new Error("signature for SKtestSecretKey0000000000000000000000abcd refused");
    log.error({ err: new Error('login with S3cr3t-Pa"ss failed', { cause }) }, "connect failed");
    log.warn('password S3cr3t-Pa"ss in a message');
    log.info({ headers: { "x-note": 'S3cr3t-Pa"ss' } }, "under a harmless key");
    expect(text()).not.toContain("S3cr3t-Pa");
    expect(text()).not.toContain("SKtestSecretKey");
    expect(text()).toContain("login with [redacted] failed");
  });

  it("survives cycles and keeps the non-secret fields", () => {
    const { log, text } = capture();
    const loop: Record<string, unknown> = { name: "orders" };
    loop.self = loop;
    log.info({ loop }, "cycle");
    expect(JSON.parse(text())).toMatchObject({ loop: { name: "orders", self: "[circular]" }, msg: "cycle" });
  });

  it.each([
    ["Authorization", true],
    ["x-auth-token", true],
    ["secret_key", true],
    ["SecretKey", true],
    ["stringData", true],
    ["namespace", false],
    ["endpoint", false],
    ["tokenizer", false],
  ])("isSecretKey(%s) is %s", (key, expected) => expect(isSecretKey(key)).toBe(expected));
});
