// client-go's EventSourceObjectSpamFilter: burst 25 per source+object, one more every five minutes.
import { describe, expect, it } from "vitest";
import { SPAM_BURST, SPAM_REFILL_MS, SpamFilter } from "../../src/controller/events.js";

describe("event spam filter", () => {
  const cases: {
    reason: string;
    steps: { atMs: number; key: string; times: number }[];
    accepted: number[];
  }[] = [
    {
      reason: "the first 25 events about an object pass, the 26th is dropped",
      steps: [{ atMs: 0, key: "a", times: SPAM_BURST + 1 }],
      accepted: [SPAM_BURST],
    },
    {
      reason: "each object has its own bucket",
      steps: [
        { atMs: 0, key: "a", times: SPAM_BURST + 5 },
        { atMs: 0, key: "b", times: 3 },
      ],
      accepted: [SPAM_BURST, 3],
    },
    {
      reason: "once empty, one event passes per five minutes",
      steps: [
        { atMs: 0, key: "a", times: SPAM_BURST },
        { atMs: SPAM_REFILL_MS - 1, key: "a", times: 1 },
        { atMs: SPAM_REFILL_MS, key: "a", times: 2 },
        { atMs: 3 * SPAM_REFILL_MS, key: "a", times: 3 },
      ],
      accepted: [SPAM_BURST, 0, 1, 2],
    },
    {
      reason: "a quiet object refills to the burst, not beyond",
      steps: [
        { atMs: 0, key: "a", times: SPAM_BURST },
        { atMs: 1000 * SPAM_REFILL_MS, key: "a", times: SPAM_BURST + 10 },
      ],
      accepted: [SPAM_BURST, SPAM_BURST],
    },
  ];
  for (const c of cases)
    it(c.reason, () => {
      let now = 0;
      const filter = new SpamFilter(() => now);
      const accepted = c.steps.map((step) => {
        now = step.atMs;
        let n = 0;
        for (let i = 0; i < step.times; i++) if (filter.tryAccept(step.key)) n++;
        return n;
      });
      expect(accepted).toEqual(c.accepted);
    });
});
