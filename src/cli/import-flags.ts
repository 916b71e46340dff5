// The flags and exit codes of `dbfleet-operator import`. The cluster and endpoint-policy flags are plan's,
// with plan's meaning (one table each).
import { z } from "zod";
import { objectName, pollInterval } from "../api/common.js";
import { type FlagSpec, parseFlags, UsageError, usage } from "./flags.js";
import { PLAN_FLAGS, PlanExit, planFlags } from "./plan-flags.js";
import { namespaceName } from "./plan-input.js";

const list = z.array(z.string()).default([]);

const connectionFlag = z.string().transform((text, ctx) => {
  const parts = text.split("/");
  const [kind, ...rest] = parts;
  const names = rest.map((p) => objectName.safeParse(p));
  const ok =
    names.every((n) => n.success) &&
    ((kind === "DatabaseConnection" && (rest.length === 1 || rest.length === 2)) ||
      (kind === "ClusterDatabaseConnection" && rest.length === 1));
  if (!ok) {
    ctx.addIssue({
      code: "custom",
      message:
        "must be DatabaseConnection/NAME, DatabaseConnection/NAMESPACE/NAME or ClusterDatabaseConnection/NAME",
    });
    return z.NEVER;
  }
  return kind === "DatabaseConnection"
    ? {
        kind: "DatabaseConnection" as const,
        name: rest[rest.length - 1] ?? "",
        ...(rest.length === 2 ? { namespace: rest[0] } : {}),
      }
    : { kind: "ClusterDatabaseConnection" as const, name: rest[0] ?? "" };
});

const tag = z.string().regex(/^[^=]+=.*$/, { message: "must be KEY=VALUE" });

const importFlags = planFlags
  .pick({
    kubeconfig: true,
    context: true,
    "allow-inline-connections": true,
    "allowed-endpoints": true,
    "service-cidrs": true,
    "pod-cidrs": true,
  })
  .extend({
    connection: connectionFlag.optional(),
    namespace: namespaceName.optional(),
    tenant: list,
    "name-prefix": z.array(z.string().min(1, { message: "must not be empty" })).default([]),
    tag: z.array(tag).default([]),
    out: z.string().min(1, { message: "must name a folder" }).optional(),
    check: z.string().min(1, { message: "must name a folder" }).optional(),
    "poll-interval": pollInterval.optional(),
    "require-approval": z
      .enum(["true", "false"], { message: "must be true or false" })
      .default("true")
      .transform((v) => v === "true"),
  });

export type ImportFlags = z.output<typeof importFlags>;

export const IMPORT_FLAGS = {
  connection: {
    value: "KIND/[NS/]NAME",
    help: "the connection to import from, read from the cluster: DatabaseConnection/NS/NAME (the sets go to NS) or ClusterDatabaseConnection/NAME; every set names it in spec.connectionRef",
  },
  namespace: {
    short: "n",
    value: "NS",
    default: "DatabaseConnection/NS/NAME's NS, else the context's namespace, else default",
    help: "namespace of the sets written (and of a DatabaseConnection named without one); with --check, of manifests that name none",
  },
  tenant: {
    value: "A,B",
    multiple: true,
    default: "every tenant but sys",
    help: "obshell: the tenants to import, one set each (comma-separated or repeated)",
  },
  "name-prefix": {
    value: "PREFIX",
    multiple: true,
    help: "DCS: one set per prefix, keeping every instance whose name starts with it",
  },
  tag: {
    value: "KEY=VALUE",
    multiple: true,
    help: "DCS: tags every instance in scope carries (all of them); alone, one set for the tags",
  },
  out: {
    value: "DIR",
    default: "stdout, as one YAML stream",
    help: "write one file per set and a kustomization.yaml there; files an earlier import wrote are replaced, any other file is refused",
  },
  check: {
    value: "DIR",
    help: "import nothing: plan the manifests in DIR (an earlier --out) against the live fleet and exit non-zero if applying them would change anything or leave a set not Ready",
  },
  "poll-interval": {
    value: "DURATION",
    default: "the kind's (30s)",
    help: "spec.pollInterval of every set written",
  },
  "require-approval": {
    value: "true|false",
    default: "true",
    help: "write policy.approvalThreshold: 0, so any deletion by an imported set waits for an approval (dbfleet.io/approve-plan) until you remove it",
  },
  kubeconfig: {
    ...PLAN_FLAGS.kubeconfig,
    default: "$KUBECONFIG's files merged as kubectl does; a cluster is required",
  },
  context: PLAN_FLAGS.context,
  "allow-inline-connections": {
    ...PLAN_FLAGS["allow-inline-connections"],
    help: "as the operator runs: whether the live sets with an inline connection count as peers (sets written never have one)",
  },
  "allowed-endpoints": { ...PLAN_FLAGS["allowed-endpoints"], default: "none: any public address" },
  "service-cidrs": PLAN_FLAGS["service-cidrs"],
  "pod-cidrs": PLAN_FLAGS["pod-cidrs"],
} satisfies Record<keyof z.input<typeof importFlags>, FlagSpec>;

/** import's exit codes: plan's, and one of its own. */
export const ImportExit = {
  /** Every set in scope written (--check: every set would stay as it is, Ready). */
  Complete: PlanExit.Unchanged,
  Failed: PlanExit.Failed,
  /** Some set's plan would delete, retry or roll back, or wait for an approval: it was refused (not written). */
  Changes: PlanExit.Changes,
  /** The connection could not be used or the remote failed (nothing written); --check: some set not observed. */
  Blind: PlanExit.Blind,
  /** Some set was refused for another reason (its plan is not Ready: a conflict, a guard, a tenant or instance changing); the others were written. */
  Refused: 4,
  Usage: PlanExit.Usage,
} as const;

export const IMPORT_USAGE = usage(
  "dbfleet-operator import --connection KIND/[NS/]NAME [--tenant A,B | --name-prefix P --tag K=V ...] [--out DIR] | import --check DIR",
  IMPORT_FLAGS,
  `Writes the sets (of the kind whose remote the connection reaches) that declare exactly
what exists now in the scope: one per tenant with the zones holding its replicas; one per name prefix (and
tags) keeping every instance in scope by name. Output is deterministic: sorted, names from the tenant or
the prefix (lower-cased to DNS-1123, a short hash added where two would collide), no timestamps.
Before writing, each set is planned by the same code as \`plan\` and the controller (resolver, endpoint
policy, decision), with the cluster's sets and the other sets written as its fleet: a set whose step is
not Ready is refused with its reason (a tenant with a DAG running, an instance busy or being deleted, a
scope or tenant another set already owns, in the cluster or in this output), and the rest are written.
Reads only (get/list on sets and connections, get on the connection's Secret); changes nothing anywhere.
An instance added in scope after the import is one the set would delete: re-check with --check before
applying (with --require-approval, the default, such a deletion waits for an approval instead).

exit status:
  ${ImportExit.Complete}   every set in scope written; --check: applying DIR would change nothing, every set Ready
  ${ImportExit.Changes}   some set would delete (or retry, roll back, or wait for an approval): refused; with --check,
      applying DIR would do it; wins over ${ImportExit.Refused}
  ${ImportExit.Blind}   the connection could not be used (missing, refused, credentials, authentication) or the remote
      failed: nothing written; --check: some set not observed; wins over ${ImportExit.Changes}
  ${ImportExit.Refused}   some set refused for another reason (not Ready: conflict, guard, changing); the others written
  ${ImportExit.Failed}   failed: the cluster could not be read, the connection or a manifest is invalid, DIR holds
      files import did not write
  ${ImportExit.Usage}  bad flags`,
);

export function parseImportFlags(argv: string[]): ImportFlags {
  const flags = parseFlags(argv, importFlags, IMPORT_FLAGS);
  if ((flags.check === undefined) === (flags.connection === undefined))
    throw new UsageError("give --connection (to import) or --check DIR (to re-plan an import), not both");
  const writing = ["out", "tenant", "name-prefix", "tag", "poll-interval"] as const;
  const given = writing.filter((f) => {
    const v = flags[f];
    return Array.isArray(v) ? v.length > 0 : v !== undefined;
  });
  if (flags.check !== undefined && given.length > 0)
    throw new UsageError(
      `--check re-plans the manifests in DIR as they are; it takes no ${given.map((f) => `--${f}`).join(", ")}`,
    );
  return flags;
}
