import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JsonBudgetMeter, replyArray } from "../../src/providers/reply-budget.js";

const budget = { bytes: 1 << 20, depth: 3, values: 10, containers: 4 };
const meter = (text: string, split = 1) => {
  const m = new JsonBudgetMeter(budget);
  const bytes = Buffer.from(text);
  let over: string | undefined;
  for (let i = 0; i < bytes.length && !over; i += split) over = m.feed(bytes.subarray(i, i + split));
  return over;
};

describe("JsonBudgetMeter", () => {
  it.each([
    { reason: "a small object", text: '{"a":1,"b":[true,null],"c":"x"}', over: undefined },
    {
      reason: "brackets and quotes inside a string are text",
      text: '["[[[[\\"{{{{", "]]"]',
      over: undefined,
    },
    { reason: "multi-byte UTF-8 split anywhere", text: '["ü€😀","[[[["]', over: undefined },
    { reason: "nesting past the depth", text: "[[[[1]]]]", over: "nests deeper than 3 levels" },
    { reason: "values past the count", text: `[${"1,".repeat(10)}1]`, over: "holds more than 10 values" },
    {
      reason: "keys count as values",
      text: `{${'"k":0,'.repeat(5)}"k":0}`,
      over: "holds more than 10 values",
    },
    {
      reason: "containers past the count",
      text: "[{},{},{},{}]",
      over: "holds more than 4 objects and arrays",
    },
    { reason: "a long number is one value", text: `[${"9".repeat(100)}]`, over: undefined },
  ])("$reason", ({ text, over }) => {
    for (const split of [1, 3, 1024]) expect(meter(text, split), `split ${split}`).toBe(over);
  });
});

describe("replyArray", () => {
  it("parses every item when all match", () => {
    expect(replyArray(z.number()).parse([1, 2, 3])).toEqual([1, 2, 3]);
  });
  it("reports only the first failing item, whatever follows", () => {
    const result = replyArray(z.object({ id: z.string() })).safeParse([{ id: "a" }, ...Array(1000).fill({})]);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.path).toEqual([1, "id"]);
  });
});
