#!/usr/bin/env node
// dbfleet-operator run | plan | import | version. Exit status: 0 done; 1 failed (the message says why);
// 2 `plan` found deletions pending (`import`: refused a set that would delete); 3 `plan` could not observe
// some set; 4 `import` refused a set for another reason; 64 bad command line (EX_USAGE).
import { InputError, UsageError, version, wantsHelp } from "./flags.js";
import { importCommand } from "./import.js";
import { IMPORT_USAGE } from "./import-flags.js";
import { plan } from "./plan.js";
import { PLAN_USAGE } from "./plan-flags.js";
import { RUN_USAGE, run } from "./run.js";

const USAGE = `usage: dbfleet-operator COMMAND [flags]

commands:
  run      run the controller (what the Deployment runs)
  plan     print what the controller would delete for some manifests, changing nothing
  import   write the sets that declare an existing fleet as it is, proven to change nothing
  version  print the version

dbfleet-operator COMMAND --help lists the command's flags.
exit status: 0 done; 1 failed; 2 plan: deletions pending (import: a set refused, it would delete);
3 plan: some set not observed (import: the connection or remote failed); 4 import: a set refused
for another reason; 64 bad command line.`;

const commands: Record<string, { usage: string; main: (argv: string[]) => Promise<number> }> = {
  run: { usage: RUN_USAGE, main: run },
  plan: { usage: PLAN_USAGE, main: (argv) => plan(argv) },
  import: { usage: IMPORT_USAGE, main: (argv) => importCommand(argv) },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    // Asked for: stdout and 0. Nothing asked: the usage is the error.
    if (command === undefined) {
      console.error(USAGE);
      return 64;
    }
    console.log(USAGE);
    return 0;
  }
  if (command === "version" || command === "--version") {
    console.log(`dbfleet-operator ${version()}`);
    return 0;
  }
  const entry = commands[command];
  if (!entry) {
    console.error(`dbfleet-operator: unknown command "${command}"\n\n${USAGE}`);
    return 64;
  }
  if (wantsHelp(rest)) {
    console.log(entry.usage);
    return 0;
  }
  try {
    return await entry.main(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `dbfleet-operator ${command}: ${error.message}\nSee 'dbfleet-operator ${command} --help'.`,
      );
      return 64;
    }
    // InputError and the rest: one line naming what failed, no stack.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`dbfleet-operator ${command}: ${error instanceof InputError ? "" : "error: "}${message}`);
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
