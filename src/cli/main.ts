#!/usr/bin/env node
// dbfleet-operator run | plan
import { UsageError } from "./flags.js";
import { plan } from "./plan.js";
import { run } from "./run.js";
import { operatorVersion } from "./version.js";

const USAGE = `usage:
  dbfleet-operator run  [--namespace NS]... [--label-selector SEL] [--leader-elect=true|false] [--lease-name N]
                        [--workers N] [--metrics-port 8080] [--kubeconfig PATH] [--log-level info]
  dbfleet-operator plan -f FILE|DIR [-f ...] [-o table|json] [--kubeconfig PATH] [--namespace NS]
    exit 0: nothing would change; 2: deletions pending; 1: could not tell`;

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "run") process.exitCode = await run(rest);
  else if (command === "plan") process.exitCode = await plan(rest);
  else if (command === "--version" || command === "version") console.log(operatorVersion());
  else {
    console.error(USAGE);
    process.exitCode = command === "help" || command === "--help" ? 0 : 64;
  }
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`dbfleet-operator ${command}: ${error.message}\n\n${USAGE}`);
    process.exitCode = 64;
  } else {
    console.error(`dbfleet-operator ${command}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
process.exit(process.exitCode ?? 0);
