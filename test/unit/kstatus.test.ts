// Our kstatus function against sigs.k8s.io/cli-utils' own vectors (pkg/kstatus/status/status_compute_test.go
// TestCRDGenericStatus, status_augment_test.go's custom kind) and the rules of generic.go and status.go that
// those tests leave uncovered; and `kubectl wait` as pkg/cmd/wait/condition.go decides it.
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { type Assessable, assessKstatus, kubectlWaitSatisfied } from "../../src/observability/kstatus.js";

const y = (text: string) => load(text) as Assessable;

// Verbatim from cli-utils status_compute_test.go (crdNoStatus ... crdNoCondition) and status_augment_test.go (custom).
const cliUtilsVectors: [string, string, string, string | undefined][] = [
  [
    "crdNoStatus",
    `
apiVersion: something/v1
kind: MyCR
metadata:
   generation: 1
   name: test
   namespace: qual
`,
    "Current",
    undefined,
  ],
  [
    "crdMismatchStatusGeneration",
    `
apiVersion: something/v1
kind: MyCR
metadata:
   name: test
   namespace: qual
   generation: 2
status:
   observedGeneration: 1
`,
    "InProgress",
    "LatestGenerationNotObserved",
  ],
  [
    "crdReady",
    `
apiVersion: something/v1
kind: MyCR
metadata:
   name: test
   namespace: qual
   generation: 1
status:
   conditions:
    - type: Ready 
      status: "True"
      message: All looks ok
      reason: AllOk
`,
    "Current",
    undefined,
  ],
  [
    "crdNotReady",
    `
apiVersion: something/v1
kind: MyCR
metadata:
   generation: 1
   name: test
   namespace: qual
status:
   observedGeneration: 1
   conditions:
    - type: Ready 
      status: "False"
      reason: NotReadyYet
`,
    "InProgress",
    "NotReadyYet",
  ],
  [
    "crdNoCondition",
    `
apiVersion: something/v1
kind: MyCR
metadata:
   name: test
   namespace: qual
   generation: 1
status:
   conditions:
    - type: SomeCondition 
      status: "False"
`,
    "Current",
    undefined,
  ],
  [
    "custom resource with no conditions (status_augment_test.go)",
    `
apiVersion: v1beta1
kind: SomeCustomKind
metadata:
   generation: 1
   name: test
   namespace: default
`,
    "Current",
    undefined,
  ],
];

const cr = (metadata: Record<string, unknown>, status?: Record<string, unknown>): Assessable => ({
  kind: "TenantReplicaSet",
  metadata: { name: "orders", generation: 2, ...metadata },
  ...(status ? { status } : {}),
});
const c = (type: string, status: string, reason = "Why", observedGeneration?: number) => ({
  type,
  status,
  reason,
  message: `${reason} message`,
  ...(observedGeneration === undefined ? {} : { observedGeneration }),
});

// generic.go and status.go rules, each with the line of reasoning in the name.
const ruleCases: [string, Assessable, string, string | undefined][] = [
  [
    "a deletionTimestamp wins over everything (generic.go)",
    cr(
      { deletionTimestamp: "2026-01-01T00:00:00Z" },
      { observedGeneration: 2, conditions: [c("Stalled", "True")] },
    ),
    "Terminating",
    undefined,
  ],
  [
    "observedGeneration ahead also counts as not observed (!=, not <)",
    cr({}, { observedGeneration: 3, conditions: [c("Ready", "True")] }),
    "InProgress",
    "LatestGenerationNotObserved",
  ],
  [
    "a CRD default status.observedGeneration: 0 makes a set not yet seen InProgress, not Current",
    cr({ generation: 1 }, { observedGeneration: 0 }),
    "InProgress",
    "LatestGenerationNotObserved",
  ],
  [
    "no observedGeneration: the generation check is skipped",
    cr({}, { conditions: [c("Ready", "True")] }),
    "Current",
    undefined,
  ],
  [
    "Reconciling=True is InProgress",
    cr(
      {},
      { observedGeneration: 2, conditions: [c("Ready", "False"), c("Reconciling", "True", "DagRunning")] },
    ),
    "InProgress",
    "DagRunning",
  ],
  [
    "Stalled=True is Failed",
    cr({}, { observedGeneration: 2, conditions: [c("Ready", "False"), c("Stalled", "True", "DagFailed")] }),
    "Failed",
    "DagFailed",
  ],
  [
    "with both True, the first in the list wins",
    cr({}, { observedGeneration: 2, conditions: [c("Reconciling", "True", "A"), c("Stalled", "True", "B")] }),
    "InProgress",
    "A",
  ],
  [
    "a present Reconciling=False or Stalled=False is ignored; Ready decides",
    cr(
      {},
      {
        observedGeneration: 2,
        conditions: [c("Reconciling", "False"), c("Stalled", "False"), c("Ready", "True")],
      },
    ),
    "Current",
    undefined,
  ],
  [
    "Ready=Unknown is InProgress (status.go checkReadyCondition)",
    cr({}, { observedGeneration: 2, conditions: [c("Ready", "Unknown", "Checking")] }),
    "InProgress",
    "Checking",
  ],
  [
    "paused: Ready=False with no Reconciling is InProgress through Ready",
    cr({}, { observedGeneration: 2, conditions: [c("Ready", "False", "Paused")] }),
    "InProgress",
    "Paused",
  ],
];

describe("kstatus, as sigs.k8s.io/cli-utils computes it", () => {
  it.each(cliUtilsVectors)("cli-utils vector %s", (_, manifest, status, reason) => {
    const result = assessKstatus(y(manifest));
    expect(result.status).toBe(status);
    expect(result.reason).toBe(reason);
  });

  it("words the generation message as cli-utils does", () => {
    expect(assessKstatus(y(cliUtilsVectors[1]?.[1] ?? "")).message).toBe(
      "MyCR generation is 2, but latest observed generation is 1",
    );
  });

  it.each(ruleCases)("%s", (_, obj, status, reason) => {
    const result = assessKstatus(obj);
    expect(result.status).toBe(status);
    expect(result.reason).toBe(reason);
  });
});

describe("kubectl wait --for=condition=Ready, as kubectl decides it", () => {
  it.each([
    ["no status: keeps waiting", cr({}), false],
    ["Ready=True", cr({}, { observedGeneration: 2, conditions: [c("Ready", "True", "Converged", 2)] }), true],
    ["condition type matched case-insensitively", cr({}, { conditions: [c("ready", "True")] }), true],
    [
      "the condition's observedGeneration behind the generation: ignored",
      cr({}, { observedGeneration: 2, conditions: [c("Ready", "True", "Converged", 1)] }),
      false,
    ],
    [
      "without one on the condition, status.observedGeneration is used",
      cr({}, { observedGeneration: 1, conditions: [c("Ready", "True")] }),
      false,
    ],
    ["Ready=False", cr({}, { observedGeneration: 2, conditions: [c("Ready", "False", "Paused", 2)] }), false],
    [
      "a deleting object still counts (kubectl does not read deletionTimestamp)",
      cr(
        { deletionTimestamp: "2026-01-01T00:00:00Z" },
        { observedGeneration: 2, conditions: [c("Ready", "True")] },
      ),
      true,
    ],
    [
      "a deleting set as the API server leaves it: deletionTimestamp bumped the generation past Ready's",
      cr(
        { generation: 3, deletionTimestamp: "2026-01-01T00:00:00Z" },
        { observedGeneration: 2, conditions: [c("Ready", "True", "Converged", 2)] },
      ),
      false,
    ],
  ])("%s", (_, obj, satisfied) => {
    expect(kubectlWaitSatisfied(obj as Assessable, "Ready")).toBe(satisfied);
  });
});
