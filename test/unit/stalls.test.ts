import { describe, expect, it } from "vitest";
import {
  type DeletionOutcome,
  describeStalls,
  MAX_DELETE_ATTEMPTS,
  stalledDeletions,
} from "../../src/fleet/stalls.js";
import { BUSY_CODES } from "../../src/providers/dcs/errors.js";
import { HUMAN_ERRORS, instanceNeedsHuman, needsHuman } from "../../src/providers/dcs/human-errors.js";

describe("needsHuman", () => {
  const cases: { reason: string; code: string | undefined; human: boolean }[] = [
    { reason: "unpaid scale-up orders", code: "DCS.4107", human: true },
    { reason: "IAM role without the permission", code: "DCS.2003", human: true },
    { reason: "IAM policy forbids", code: "DCS.2007", human: true },
    { reason: "read-only account", code: "DCS.3002", human: true },
    { reason: "billing: part of an unpaid order", code: "CBC.30050010", human: true },
    { reason: "surrounding whitespace", code: " DCS.4107 ", human: true },
    { reason: "cannot delete while restarting: busy, retried", code: "DCS.4099", human: false },
    { reason: "freezing in progress: busy, retried", code: "DCS.4120", human: false },
    { reason: "another operation in progress: busy, retried", code: "CBC.99003651", human: false },
    { reason: "instance not found", code: "DCS.3022", human: false },
    { reason: "no code at all", code: undefined, human: false },
    { reason: "an unknown code is not guessed at", code: "DCS.9999", human: false },
    { reason: "a prototype key is not a code", code: "constructor", human: false },
  ];
  it.each(cases)("$code: $reason -> $human", ({ code, human }) => {
    expect(needsHuman(code)).toBe(human);
  });

  it("never calls a code busy (retry later) and human at once", () => {
    for (const code of Object.keys(HUMAN_ERRORS)) expect(BUSY_CODES.has(code)).toBe(false);
  });

  const states: {
    reason: string;
    instance: { status: string; chargingMode?: number | null };
    human: boolean;
  }[] = [
    { reason: "frozen for low balance", instance: { status: "FROZEN" }, human: true },
    { reason: "being frozen", instance: { status: "FREEZING" }, human: true },
    {
      reason: "yearly/monthly must be unsubscribed",
      instance: { status: "RUNNING", chargingMode: 1 },
      human: true,
    },
    { reason: "pay-per-use and running", instance: { status: "RUNNING", chargingMode: 0 }, human: false },
    {
      reason: "charging mode unknown (null)",
      instance: { status: "RUNNING", chargingMode: null },
      human: false,
    },
    {
      reason: "restarting is waited for, not a person's job",
      instance: { status: "RESTARTING" },
      human: false,
    },
  ];
  it.each(states)("instance $reason -> $human", ({ instance, human }) => {
    expect(instanceNeedsHuman(instance) !== undefined).toBe(human);
  });
});

describe("stalledDeletions", () => {
  const rec = (over: Partial<DeletionOutcome> & { name: string }): DeletionOutcome => ({
    id: `id-${over.name}`,
    result: "failed",
    attempts: 1,
    ...over,
  });
  const cases: {
    reason: string;
    records: DeletionOutcome[];
    observed?: Map<string, { status: string; chargingMode?: number }>;
    stalled: string[];
  }[] = [
    { reason: "a first failure is retried", records: [rec({ name: "a" })], stalled: [] },
    {
      reason: `failed ${MAX_DELETE_ATTEMPTS - 1} times: still retried`,
      records: [rec({ name: "a", attempts: MAX_DELETE_ATTEMPTS - 1 })],
      stalled: [],
    },
    {
      reason: `failed ${MAX_DELETE_ATTEMPTS} times: a person is needed`,
      records: [rec({ name: "a", attempts: MAX_DELETE_ATTEMPTS })],
      stalled: ["a"],
    },
    {
      reason: "a code that needs a person, on the first failure",
      records: [rec({ name: "a", lastErrorCode: "DCS.4107" })],
      stalled: ["a"],
    },
    {
      reason: "a busy code is retried",
      records: [rec({ name: "a", lastErrorCode: "DCS.4099", attempts: 2 })],
      stalled: [],
    },
    {
      reason: "a frozen instance, on the first failure",
      records: [rec({ name: "a" })],
      observed: new Map([["id-a", { status: "FROZEN" }]]),
      stalled: ["a"],
    },
    {
      reason: "a yearly/monthly instance, on the first failure",
      records: [rec({ name: "a" })],
      observed: new Map([["id-a", { status: "RUNNING", chargingMode: 1 }]]),
      stalled: ["a"],
    },
    {
      reason: "a pending delete is not a failure",
      records: [rec({ name: "a", result: "pending", attempts: 5 })],
      stalled: [],
    },
    {
      reason: "a success is not a failure",
      records: [rec({ name: "a", result: "success", attempts: 5 })],
      stalled: [],
    },
    {
      reason: "gone from the listing: nothing to do",
      records: [rec({ name: "a", attempts: 5, goneAt: "2026-11-23T10:00:00Z" })],
      stalled: [],
    },
    {
      reason: "only the ones that need a person, sorted by name",
      records: [
        rec({ name: "c", attempts: 3 }),
        rec({ name: "b" }),
        rec({ name: "a", lastErrorCode: "DCS.2007" }),
      ],
      stalled: ["a", "c"],
    },
  ];
  it.each(cases)("$reason", ({ records, observed, stalled }) => {
    expect(stalledDeletions(records, observed).map((s) => s.name)).toEqual(stalled);
  });

  it("names every instance, its id and its code in the message", () => {
    const message = describeStalls(
      stalledDeletions([
        { id: "i-1", name: "cache-eu-1", result: "failed", attempts: 1, lastErrorCode: "DCS.4107" },
        { id: "i-2", name: "cache-eu-2", result: "failed", attempts: 3, lastError: "DCS answered failed" },
      ]),
    );
    expect(message).toContain("cache-eu-1 (i-1) DCS.4107: the instance has unpaid scale-up orders");
    expect(message).toContain("cache-eu-2 (i-2): the deletion failed 3 times (last: DCS answered failed)");
    expect(message).toMatch(/^2 deletion\(s\) need a person/);
  });
});
