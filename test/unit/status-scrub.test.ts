// Issue 25, L3: known credential values are scrubbed from status as from logs, but never from what the
// operator reads back and matches again (ids, approval hashes, the operation in flight, its vocabulary).
import { describe, expect, it } from "vitest";
import { scrubStatus } from "../../src/controller/status-writer.js";
import { SecretValues } from "../../src/observability/logger.js";

const secrets = new SecretValues();
secrets.add("hunter22pw");
secrets.add("AKSCRUB0000000000001");
secrets.add("2026");

describe("scrubStatus", () => {
  const status = {
    phase: "Stalled",
    conditions: [
      {
        type: "Stalled",
        status: "True",
        reason: "AuthenticationFailed",
        message: "401: received auth hunter22pw and Access=AKSCRUB0000000000001",
        lastTransitionTime: "2026-12-03T08:00:00Z",
      },
    ],
    deletions: [
      {
        id: "id-2026-hunter22pw",
        name: "echo-hunter22pw",
        result: "failed",
        lastError: "DCS.4000 hunter22pw refused",
        requestedAt: "2026-12-03T08:00:01Z",
      },
    ],
    usedApprovals: [{ hash: "ab2026cd", usedAt: "2026-12-03T08:00:02Z" }],
    operation: { kind: "RemoveZones", zones: ["z2026"], endpoint: "https://ob:2886", dagId: "2026" },
    observedGeneration: 3,
  };
  const scrubbed = scrubStatus(status, secrets);

  it("scrubs free text: condition messages, lastError, names a remote reported", () => {
    expect(scrubbed.conditions[0]?.message).toBe("401: received auth [redacted] and Access=[redacted]");
    expect(scrubbed.deletions[0]?.lastError).toBe("DCS.4000 [redacted] refused");
    expect(scrubbed.deletions[0]?.name).toBe("echo-[redacted]");
  });

  it("keeps timestamps, ids, hashes, the operation and the condition vocabulary verbatim", () => {
    expect(scrubbed.conditions[0]).toMatchObject({
      type: "Stalled",
      status: "True",
      reason: "AuthenticationFailed",
      lastTransitionTime: "2026-12-03T08:00:00Z",
    });
    expect(scrubbed.deletions[0]).toMatchObject({ id: "id-2026-hunter22pw", result: "failed" });
    expect(scrubbed.usedApprovals).toEqual(status.usedApprovals);
    expect(scrubbed.operation).toEqual(status.operation);
    expect(scrubbed.observedGeneration).toBe(3);
    expect(scrubbed.phase).toBe("Stalled");
  });

  it("changes nothing the second time, so a status written again compares equal", () => {
    expect(scrubStatus(scrubbed, secrets)).toEqual(scrubbed);
  });

  it("leaves the status untouched while no credential is known", () => {
    expect(scrubStatus(status, new SecretValues())).toEqual(status);
  });
});

describe("SecretValues.scrub on remote text cut to length", () => {
  it("censors the head of a credential that the cut left at the end", () => {
    expect(secrets.scrub("refused: received auth hunter2…")).toBe("refused: received auth [redacted]…");
  });

  it("leaves a text that merely ends like a short prefix alone", () => {
    expect(secrets.scrub("refused: hun…")).toBe("refused: hun…");
  });

  it("is idempotent even for a credential that is part of the censor", () => {
    const odd = new SecretValues();
    odd.add("redacted");
    const once = odd.scrub("x redacted y");
    expect(once).toBe("x [redacted] y");
    expect(odd.scrub(once)).toBe(once);
  });
});
