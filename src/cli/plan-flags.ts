// The flags of `dbfleet-operator plan`, apart from the planning itself.
import { z } from "zod";
import { type FlagSpec, parseFlags, usage } from "./flags.js";
import { namespaceName } from "./plan-input.js";

const trueOrFalse = z
  .enum(["true", "false"], { message: "must be true or false" })
  .default("false")
  .transform((v) => v === "true");

export const planFlags = z.object({
  filename: z.array(z.string().min(1, { message: "must name a file, a folder or -" })).default([]),
  kustomize: z.string().min(1, { message: "must name a kustomization folder" }).optional(),
  recursive: z.boolean().default(false),
  output: z
    .enum(["table", "json", "markdown"], { message: "must be table, json or markdown" })
    .default("table"),
  kubeconfig: z.string().optional(),
  context: z.string().min(1).optional(),
  namespace: namespaceName.optional(),
  "allow-inline-connections": trueOrFalse,
  "allowed-endpoints": z.string().default(""),
  "service-cidrs": z.string().default(""),
  "pod-cidrs": z.string().default(""),
});

export type PlanFlags = z.output<typeof planFlags>;

export const PLAN_FLAGS = {
  filename: {
    short: "f",
    value: "FILE|DIR|-",
    multiple: true,
    help: "manifests, as kubectl apply -f: multi-document YAML or JSON, a folder's .yaml/.yml/.json files, - for stdin",
  },
  kustomize: {
    short: "k",
    value: "DIR",
    help: "a kustomization, rendered by `kubectl kustomize` (what kubectl apply -k runs); not with -f",
  },
  recursive: { short: "R", value: "", boolean: true, help: "read -f folders recursively, as kubectl -R" },
  output: {
    short: "o",
    value: "table|json|markdown",
    default: "table",
    help: "output format; markdown is a pull-request comment (the same input gives the same text)",
  },
  kubeconfig: {
    value: "PATH",
    default: "$KUBECONFIG's files merged as kubectl does, if set; else no cluster",
    help: "read connections, Secrets and the sets' status from the cluster through this kubeconfig",
  },
  context: { value: "NAME", default: "the kubeconfig's current-context", help: "kubeconfig context to use" },
  namespace: {
    short: "n",
    value: "NS",
    default: "the context's namespace, else default",
    help: "namespace of manifests that name none; one that names another is refused, as kubectl apply does",
  },
  "allow-inline-connections": {
    value: "true|false",
    default: "false",
    help: "accept spec.obshell/spec.dcs: only where the operator runs with it too (its Secret goes to the manifest's endpoint)",
  },
  "allowed-endpoints": {
    value: "HOSTS/CIDRS",
    default: "none: any public address; required without a cluster",
    help: "as run's: hosts and CIDRs remotes may be reached at; allowlisted addresses pass the refusals below",
  },
  "service-cidrs": {
    value: "CIDRS",
    default: "none",
    help: "as run's: the cluster's service ranges, refused",
  },
  "pod-cidrs": { value: "CIDRS", default: "none", help: "as run's: the cluster's pod ranges, refused" },
} satisfies Record<keyof z.input<typeof planFlags>, FlagSpec>;

/** plan's exit codes: one table for --help, main and the tests. */
export const PlanExit = {
  /** Every set observed, or paused; nothing would change. */
  Unchanged: 0,
  /** The command failed: a manifest is invalid, the cluster could not be read. */
  Failed: 1,
  /** Every set observed; at least one would change (delete, retry or roll back, or waits for approval). */
  Changes: 2,
  /** At least one set was not observed: its connection was refused or missing, or its remote failed. */
  Blind: 3,
  Usage: 64,
} as const;

export const PLAN_USAGE = usage(
  "dbfleet-operator plan (-f FILE|DIR|- ... | -k DIR) [flags]",
  PLAN_FLAGS,
  `Computes, read-only, the step the controller would take for each set: the same resolver, endpoint policy
and planner as \`run\`. With a cluster (--kubeconfig or KUBECONFIG), connections and Secrets come from it,
through the connection the manifest names; the cluster's copy of a set gives only its status and hand-set
annotations, never its spec or connection. An inline connection is refused unless
--allow-inline-connections=true. Without a cluster, only inline connections (so that flag is needed),
with OBSHELL_PASSWORD, DCS_ACCESS_KEY and DCS_SECRET_KEY sent only to endpoints --allowed-endpoints names.
Loopback, link-local (cloud metadata) and the API server are refused unless --allowed-endpoints names them.
Namespaces as kubectl apply: the manifest's, else --namespace, else the context's, else default.
Nothing is changed, here or remotely.

exit status:
  ${PlanExit.Unchanged}   every set was observed (or is paused) and nothing would change
  ${PlanExit.Changes}   every set was observed and some would change: deletions to run (after the settle time) or to approve
  ${PlanExit.Blind}   some set could not be observed: connection missing or refused (inline, endpoint policy,
      credentials), authentication failed, or the remote failed; this wins over ${PlanExit.Changes}
  ${PlanExit.Failed}   failed: a manifest is invalid (the message names the file, document and field), or the
      cluster could not be read
  ${PlanExit.Usage}  bad flags`,
);

export function parsePlanFlags(argv: string[]): PlanFlags {
  return parseFlags(argv, planFlags, PLAN_FLAGS);
}
