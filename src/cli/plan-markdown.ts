// `plan --output markdown`: the plan as a pull-request comment. The same rows give the same bytes (no
// time, no host, sets sorted), so a bot can find its comment by the first line and replace it.
import { APPROVE_PLAN_ANNOTATION, GROUP } from "../api/group.js";
import { kindModule } from "../reconcilers/kinds.js";
import type { PlanRow } from "./plan.js";
import { PlanExit } from "./plan-flags.js";

/** The first line of every comment: what a bot searches for to update its own comment. */
export const MARKDOWN_MARKER = "<!-- dbfleet-operator plan -->";

/** Text from remotes and manifests inside a table cell or a line: no markup of its own. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .trim();
}

/** The command that approves exactly this plan (names and hash are checked names and hex: shell-safe). */
export function annotateCommand(row: Pick<PlanRow, "kind" | "namespace" | "name">, hash: string): string {
  // kubectl's fully qualified resource: the lower-case kind and the group.
  return `kubectl annotate --namespace ${row.namespace} ${row.kind.toLowerCase()}.${GROUP}/${row.name} ${APPROVE_PLAN_ANNOTATION}=${hash} --overwrite`;
}

const HEADLINE: Record<number, (n: number) => string> = {
  [PlanExit.Unchanged]: () => "nothing would change",
  [PlanExit.Changes]: (n) => `${n} ${n === 1 ? "set" : "sets"} would change`,
  [PlanExit.Blind]: (n) =>
    `${n} ${n === 1 ? "set was" : "sets were"} not observed: this plan cannot tell what a merge would do`,
};

function what(row: PlanRow): string {
  const targets = row.wouldDelete.join(", ");
  const unit = kindModule(row.kind).targetsNoun;
  const added = row.wouldAdd?.join(", ") ?? "";
  if (added !== "")
    return `Would add ${unit} ${added}${row.step === "AwaitApproval" ? ", after approval" : ""}`;
  if (row.step === "AwaitApproval") return `Would remove ${unit} ${targets}, after approval`;
  if (row.reason === "PlanSettling")
    return `Would remove ${unit} ${targets}, after the settle time${row.planHash ? " and approval" : ""}`;
  if (row.wouldDelete.length > 0) return `Would remove ${unit} ${targets}`;
  if (row.step === "RetryDag") return "Would retry the failed DAG";
  if (row.step === "RollbackDag") return "Would roll back the failed DAG";
  return "";
}

export function markdown(rows: readonly PlanRow[], exitCode: number): string {
  const sorted = [...rows].sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind),
  );
  const blind = sorted.filter((r) => !r.observed && r.step !== "Paused").length;
  const changing = sorted.filter((r) => what(r) !== "").length;
  const headline = HEADLINE[exitCode]?.(exitCode === PlanExit.Blind ? blind : changing) ?? "";
  const lines = [
    MARKDOWN_MARKER,
    `### dbfleet-operator plan: ${headline}`,
    "",
    "| set | connection | endpoint | step | would delete | would add | why |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...sorted.map(
      (r) =>
        `| ${r.kind} ${r.namespace}/${r.name} | ${cell(r.connection)} | ${cell(r.endpoint)} | ${r.step}${r.observed || r.step === "Paused" ? "" : " (not observed)"} | ${r.wouldDelete.length ? cell(r.wouldDelete.join(", ")) : "-"} | ${r.wouldAdd?.length ? cell(r.wouldAdd.join(", ")) : "-"} | ${cell(`${r.reason}: ${r.message}`)} |`,
    ),
  ];
  for (const r of sorted) {
    const action = what(r);
    if (!action) continue;
    lines.push("", `#### ${r.kind} ${r.namespace}/${r.name}`, "", `${cell(action)} (${r.reason}).`);
    if (r.planHash)
      lines.push(
        "",
        `Approval hash \`${r.planHash}\`: it covers this set, its endpoint, its tenant or project and exactly these targets. After the merge, when the set reports ApprovalRequired, approve it with:`,
        "",
        "```sh",
        annotateCommand(r, r.planHash),
        "```",
      );
  }
  return lines.join("\n");
}
