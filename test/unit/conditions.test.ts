import { describe, expect, it } from "vitest";
import { setCondition } from "../../src/controller/conditions.js";

const t0 = new Date("2026-11-23T07:00:00Z");
const t1 = new Date("2026-11-23T07:05:00Z");

describe("kstatus conditions", () => {
  it("moves lastTransitionTime only when the status moves", () => {
    let c = setCondition(
      [],
      { type: "Ready", status: "False", reason: "DagRunning", message: "stage 1/2" },
      1,
      t0,
    );
    c = setCondition(
      c,
      { type: "Ready", status: "False", reason: "DagRunning", message: "stage 2/2" },
      2,
      t1,
    );
    expect(c).toEqual([
      {
        type: "Ready",
        status: "False",
        reason: "DagRunning",
        message: "stage 2/2",
        lastTransitionTime: "2026-11-23T07:00:00Z",
        observedGeneration: 2,
      },
    ]);
    c = setCondition(c, { type: "Ready", status: "True", reason: "Converged", message: "ok" }, 2, t1);
    expect(c[0]?.lastTransitionTime).toBe("2026-11-23T07:05:00Z");
  });

  it("removes Reconciling and Stalled instead of storing them False; keeps Ready False", () => {
    let c = setCondition(
      [],
      { type: "Stalled", status: "True", reason: "ApprovalRequired", message: "approve" },
      1,
      t0,
    );
    c = setCondition(
      c,
      { type: "Ready", status: "False", reason: "ApprovalRequired", message: "approve" },
      1,
      t0,
    );
    c = setCondition(c, { type: "Stalled", status: "False", reason: "", message: "" }, 1, t1);
    expect(c.map((x) => x.type)).toEqual(["Ready"]);
    expect(c[0]?.status).toBe("False");
  });
});
