// Command-line flags: one table per command gives node's parseArgs the syntax and the usage its text;
// zod gives the meaning. Errors name the flag.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { describeIssues } from "../api/parse.js";

/** Bad flags or arguments: exit 64 (EX_USAGE) with the usage. */
export class UsageError extends Error {}

/** A manifest or kubeconfig that cannot be used: exit 1, the message names the file and the place. */
export class InputError extends Error {}

export interface FlagSpec {
  /** One-letter alias (`-f`). */
  short?: string;
  multiple?: boolean;
  /** What the value looks like in the usage (`N`, `PATH`); a flag without one takes `=true|false`. */
  value: string;
  /** A switch that takes no value (`-R`), as kubectl's; zod sees `true` or nothing. */
  boolean?: boolean;
  help: string;
  /** The default as the usage shows it; the schema holds the real one. */
  default?: string;
}

export type FlagTable = Record<string, FlagSpec>;

/** Whether the arguments ask for help (`-h`, `--help`), wherever they are. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === "-h" || a === "--help");
}

export function parseFlags<S extends z.ZodType>(argv: string[], schema: S, table: FlagTable): z.output<S> {
  let values: Record<string, unknown>;
  try {
    const options = Object.fromEntries(
      Object.entries(table).map(([name, spec]) => [
        name,
        {
          type: spec.boolean ? ("boolean" as const) : ("string" as const),
          ...(spec.multiple ? { multiple: true } : {}),
          ...(spec.short ? { short: spec.short } : {}),
        },
      ]),
    );
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success)
    throw new UsageError(describeIssues(parsed.error).replace(/(^|; )([\w-]+)(\[\d+\])?:/g, "$1--$2:"));
  return parsed.data;
}

/** The usage of one command, every flag of its table listed with its default. */
export function usage(synopsis: string, table: FlagTable, footer = ""): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.value ? ` ${spec.value}` : ""}`;
    const extra = [spec.multiple ? "repeatable" : "", spec.default ? `default: ${spec.default}` : ""]
      .filter(Boolean)
      .join("; ");
    return [left, extra ? `${spec.help} (${extra})` : spec.help] as const;
  });
  rows.push(["-h, --help", "print this usage and exit"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
  return [`usage: ${synopsis}`, "", "flags:", ...lines, "", footer]
    .map((l) => l.trimEnd())
    .join("\n")
    .trimEnd();
}

const packageJson = z.object({ name: z.literal("dbfleet-operator"), version: z.string() });

/** The version in the package.json above this file (src/cli in the repository, dist/src/cli in the image). */
export function version(): string {
  let dir = import.meta.dirname;
  for (;;) {
    try {
      const parsed = packageJson.safeParse(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")));
      if (parsed.success) return parsed.data.version;
    } catch {}
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}
