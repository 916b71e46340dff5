// `plan --output markdown` as a pull request shows it, then the controller after the merge: the approval
// hash in the comment is the one the controller asks for in status.pendingApproval, and running the
// comment's own `kubectl annotate` line (the real kubectl) lets exactly the listed instances go — judged
// by what the DCS simulator was sent. Admin-owned connection, inline connections refused.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import { plan } from "../../src/cli/plan.js";
import { PlanExit } from "../../src/cli/plan-flags.js";
import { MARKDOWN_MARKER } from "../../src/cli/plan-markdown.js";
import type { Operator } from "../../src/operator.js";
import {
  connectionRef,
  dcsConnection,
  SIMULATOR_FLAGS,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { kubectlOk } from "../harness/kubectl.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { DEMO_PROJECT, demoDcsSeed } from "../simulators/seed.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
// A project of this file's own: plan judges ownership against every namespace's sets (issue 26).
const OTHER_PROJECT = randomBytes(16).toString("hex");
const AK = "AKPLANMARKDOWN000001";
const SK = "SKplanmarkdown000000000000000000000000000";
let ns = "";
let dir = "";
let dcs: DcsSimulator;
let operator: Operator | undefined;

const setPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

function analytics(name: string, instances: string[]): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: { ...connectionRef("dcs"), selector: { namePrefix: "analytics-" }, instances, pollInterval: "1s" },
  };
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "planmd");
  dir = mkdtempSync(join(tmpdir(), "dbfleet-planmd-"));
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: demoDcsSeed({ demo: DEMO_PROJECT, other: OTHER_PROJECT }),
    deleteDelayMs: 50,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: "unused", accessKey: AK, secretKey: SK });
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, OTHER_PROJECT));
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await dcs?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("plan --output markdown and the controller", () => {
  it("the comment's approval hash is the controller's, and its annotate line approves exactly the listed instances", async () => {
    // The pull request: the live set keeps all six; the change keeps one.
    await raw.apply(
      analytics("big", [
        "analytics-1",
        "analytics-2",
        "analytics-3",
        "analytics-4",
        "analytics-5",
        "analytics-6",
      ]),
    );
    const file = join(dir, "big.yaml");
    writeFileSync(file, dump(analytics("big", ["analytics-1"])));
    let comment = "";
    const code = await plan(
      ["-f", file, "-o", "markdown", "--kubeconfig", kubeconfig, ...SIMULATOR_FLAGS],
      (t) => (comment += t),
    );
    expect(code).toBe(PlanExit.Changes);
    expect(comment.split("\n")[0]).toBe(MARKDOWN_MARKER);
    // At the default settle time the plan first settles, then asks (issue 28): the comment already
    // carries the hash the controller will ask for.
    expect(comment).toContain(
      `| RedisInstanceSet ${ns}/big | DatabaseConnection ${ns}/dcs | ${dcs.url} | Wait |`,
    );
    expect(comment).toContain("after the settle time and approval");
    const hash = /Approval hash `([0-9a-f]+)`/.exec(comment)?.[1] ?? "";
    const annotate = /^kubectl annotate .*$/m.exec(comment)?.[0] ?? "";
    expect(annotate).toBe(
      `kubectl annotate --namespace ${ns} redisinstanceset.dbfleet.io/big dbfleet.io/approve-plan=${hash} --overwrite`,
    );
    const listed = /\| Wait \| ([^|]+) \|/.exec(comment)?.[1]?.trim().split(", ").sort() ?? [];
    expect(listed).toEqual(["analytics-2", "analytics-3", "analytics-4", "analytics-5", "analytics-6"]);
    expect(dcs.log.some((e) => e.method !== "GET")).toBe(false);

    // The merge, then the operator: it asks for the very hash the comment printed.
    await raw.apply(analytics("big", ["analytics-1"]));
    operator = startRecommendedOperator(kubeconfig, {
      logger: quietLogger,
      namespaces: [ns],
      redis: { deletePollMs: 100 },
    });
    let status: RedisInstanceSetStatus | undefined;
    await eventually("the controller asks for approval", async () => {
      status = (await raw.call<RawObject & { status?: RedisInstanceSetStatus }>("GET", setPath("big")))
        .status;
      return status?.pendingApproval !== undefined;
    });
    expect(status?.pendingApproval?.hash).toBe(hash);
    expect(dcs.log.filter((e) => e.method === "DELETE")).toEqual([]);

    // A person runs the comment's line, word for word.
    const [command, ...args] = annotate.split(" ");
    expect(command).toBe("kubectl");
    await kubectlOk(args, { kubeconfig });
    await eventually(
      "the approved plan to finish",
      async () => {
        status = (await raw.call<RawObject & { status?: RedisInstanceSetStatus }>("GET", setPath("big")))
          .status;
        return status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      },
      30_000,
    );
    const nameOf = new Map(
      [...dcs.instances(OTHER_PROJECT), ...dcs.deleted].map((i) => [i.instance_id, i.name]),
    );
    const sent = dcs.log
      .filter((e) => e.method === "DELETE")
      .flatMap((e) => (e.body as { instances?: string[] }).instances ?? [])
      .map((id) => nameOf.get(id))
      .sort();
    expect(sent).toEqual(listed);
    expect(status?.usedApprovals?.map((u) => u.hash)).toEqual([hash]);
  }, 60_000);
});
