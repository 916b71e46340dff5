// Where a latency sample's time goes is read from the agent's request log; the operator's polls of other
// sets put their own cluster-wide reads in that log, and must not move the phases of the sample.
import { describe, expect, it } from "vitest";
import { breakdown } from "../../bench/breakdown.js";
import type { ControlLogEntry } from "../simulators/control.js";

function req(method: string, path: string, at: number, repliedAt?: number): ControlLogEntry {
  return {
    at,
    monotonicAt: at,
    ...(repliedAt === undefined ? {} : { repliedAt, monotonicRepliedAt: repliedAt }),
    method,
    path,
    query: "",
    status: 200,
    executed: true,
  };
}

/** The sample's own requests: its tenant and DAG reads at 12, the re-check at 20, the DELETE at 30. */
const own = [
  req("GET", "/api/v1/tenant/lat7", 12, 16),
  req("GET", "/api/v1/task/dag/ob/unfinish", 12, 17),
  req("GET", "/api/v1/ob/info", 18, 20),
  req("DELETE", "/api/v1/tenant/lat7/replicas", 30, 31),
];
const times = { t0: 0, specSeen: 5, statusSeen: 26 };
const expected = {
  watchDelivery: 5,
  queueAndPrologue: 7,
  remoteReads: 8,
  intentWrite: 6,
  deleteSend: 4,
  total: 30,
};

describe("latency sample breakdown", () => {
  it("splits a sample at its tenant read, the re-check's answer, the intent and the DELETE", () => {
    expect(breakdown({ ...times, requests: own })).toEqual(expected);
  });

  it("is not moved by other sets' cluster-wide reads before, around and after the sample's own", () => {
    const foreign = [
      req("GET", "/api/v1/ob/info", 3, 40),
      req("GET", "/api/v1/task/dag/ob/unfinish", 8, 29),
      req("GET", "/api/v1/ob/info", 21, 28),
      req("GET", "/api/v1/task/dag/ob/unfinish", 25, 50),
    ];
    const requests = [...own, ...foreign].sort((a, b) => a.monotonicAt - b.monotonicAt);
    expect(breakdown({ ...times, requests })).toEqual(expected);
  });

  it("has no breakdown without the tenant's read, the DELETE or the spec seen", () => {
    expect(breakdown({ ...times, requests: own.filter((e) => e.method !== "DELETE") })).toBeUndefined();
    expect(breakdown({ ...times, requests: own.slice(1) })).toBeUndefined();
    expect(breakdown({ t0: 0, statusSeen: 26, requests: own })).toBeUndefined();
  });
});
