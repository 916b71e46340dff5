// The flags of `dbfleet-operator plan`, apart from the planning itself.
import { z } from "zod";
import { type FlagSpec, parseFlags, usage } from "./flags.js";

const planFlags = z.object({
  filename: z
    .array(z.string().min(1, { message: "must name a file or folder" }), {
      message: "name at least one file or folder with -f",
    })
    .min(1, { message: "name at least one file or folder with -f" }),
  output: z.enum(["table", "json"], { message: "must be table or json" }).default("table"),
  kubeconfig: z.string().optional(),
  context: z.string().min(1).optional(),
  namespace: z
    .string()
    .regex(/^[a-z0-9-]+$/, { message: "must be a namespace name" })
    .default("default"),
  "allowed-endpoints": z.string().default(""),
});

export type PlanFlags = z.output<typeof planFlags>;

export const PLAN_FLAGS = {
  filename: {
    short: "f",
    value: "FILE|DIR",
    multiple: true,
    help: "manifests (multi-document YAML or JSON; a folder is read recursively)",
  },
  output: { short: "o", value: "table|json", default: "table", help: "output format" },
  kubeconfig: {
    value: "PATH",
    default: "$KUBECONFIG's files merged as kubectl does, if set; else no cluster",
    help: "read credentials from the cluster's Secrets through this kubeconfig",
  },
  context: { value: "NAME", default: "the kubeconfig's current-context", help: "kubeconfig context to use" },
  namespace: { value: "NS", default: "default", help: "namespace of manifests that name none" },
  "allowed-endpoints": {
    value: "HOSTS/CIDRS",
    default: "none; required without a cluster",
    help: "hosts and CIDRs credentials from the environment may be sent to",
  },
} satisfies Record<keyof z.input<typeof planFlags>, FlagSpec>;

export const PLAN_USAGE = usage(
  "dbfleet-operator plan -f FILE|DIR [flags]",
  PLAN_FLAGS,
  `With a cluster (--kubeconfig or KUBECONFIG), connection settings and credentials come from the
cluster's objects (connections, Secrets, the live set), never from the manifests under review. Without
one, inline connections use OBSHELL_PASSWORD, DCS_ACCESS_KEY and DCS_SECRET_KEY, sent only to endpoints
--allowed-endpoints names. Nothing is changed, here or remotely.

exit status: 0 nothing would change; 2 deletions pending; 1 could not tell (a remote or the cluster
failed, or a manifest is invalid: the message names the file, the document and the field); 64 bad flags.`,
);

export function parsePlanFlags(argv: string[]): PlanFlags {
  return parseFlags(argv, planFlags, PLAN_FLAGS);
}
