// `npm run sim -- obshell --port 2886` / `npm run sim -- dcs --port 8443`: a simulator in the foreground.
// Credentials come from the environment (OBSHELL_PASSWORD, DCS_ACCESS_KEY, DCS_SECRET_KEY), never from flags.
// `--seed-file F` replaces the demo fleet (JSON: a ClusterSeed for obshell, {project: [instance]} for dcs);
// `--control-port N` serves the request log and knobs on loopback (test/simulators/control.ts);
// `--unkind` starts the DCS simulator with UNKIND_DCS_KNOBS; `--rate-limit 0` turns DCS throttling off.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startControl } from "./control.js";
import { DcsSimulator, UNKIND_DCS_KNOBS } from "./dcs/server.js";
import { ObshellSimulator } from "./obshell/server.js";
import { demoDcsSeed, demoObshellSeed } from "./seed.js";

const flags = z.object({
  kind: z.enum(["obshell", "dcs"], { message: "the first argument must be obshell or dcs" }),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.literal("127.0.0.1").or(z.literal("localhost")),
  stageMs: z.coerce.number().int().min(1),
  deleteDelayMs: z.coerce.number().int().min(0),
  seedFile: z.string().min(1).optional(),
  controlPort: z.coerce.number().int().min(0).max(65535).optional(),
  rateLimit: z.coerce.number().min(0),
  unkind: z.boolean(),
});
const env = z.object({
  OBSHELL_PASSWORD: z.string().default("demo-root-password"),
  DCS_ACCESS_KEY: z.string().min(1).default("AKDEMO00000000000001"),
  DCS_SECRET_KEY: z.string().min(1).default("SKdemo000000000000000000000000000000000"),
});
const obshellSeed = z.object({
  zones: z.array(z.object({ name: z.string().min(1), region: z.string() })),
  tenants: z.array(
    z.object({
      name: z.string().min(1),
      zones: z.array(z.string()),
      primaryZone: z.string().optional(),
      readonlyZones: z.array(z.string()).optional(),
      status: z.string().optional(),
    }),
  ),
});
const dcsSeed = z.record(
  z.string(),
  z.array(
    z.object({
      name: z.string(),
      status: z.string().optional(),
      tags: z.record(z.string(), z.string()).optional(),
      chargingMode: z.union([z.literal(0), z.literal(1)]).optional(),
      engineVersion: z.string().optional(),
      capacity: z.number().optional(),
      id: z.string().optional(),
    }),
  ),
);

/** Kept here rather than imported: nothing under test/simulators imports src/. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`).join("; ");
}

function fail(message: string): never {
  console.error(`sim: ${message}`);
  console.error(
    "usage: npm run sim -- obshell|dcs [--port N] [--stage-ms N] [--delete-delay-ms N] [--seed-file F] [--control-port N] [--rate-limit N] [--unkind]",
  );
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "stage-ms": { type: "string", default: "2000" },
    "delete-delay-ms": { type: "string", default: "3000" },
    "seed-file": { type: "string" },
    "control-port": { type: "string" },
    "rate-limit": { type: "string", default: "50" },
    unkind: { type: "boolean", default: false },
  },
});
const parsed = flags.safeParse({
  kind: positionals[0],
  port: values.port ?? (positionals[0] === "dcs" ? "8443" : "2886"),
  host: values.host,
  stageMs: values["stage-ms"],
  deleteDelayMs: values["delete-delay-ms"],
  seedFile: values["seed-file"],
  controlPort: values["control-port"],
  rateLimit: values["rate-limit"],
  unkind: values.unkind,
});
const secrets = env.safeParse(process.env);
if (!parsed.success || !secrets.success)
  fail(
    `${parsed.success ? "" : describeIssues(parsed.error)}${secrets.success ? "" : describeIssues(secrets.error)}`,
  );
const opts = parsed.data;

function seedFrom<S extends z.ZodType>(schema: S): z.output<S> | undefined {
  if (opts.seedFile === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(opts.seedFile, "utf8"));
  } catch (error) {
    fail(`--seed-file ${opts.seedFile}: ${String(error)}`);
  }
  const seed = schema.safeParse(json);
  if (!seed.success) fail(`--seed-file ${opts.seedFile}: ${describeIssues(seed.error)}`);
  return seed.data;
}

const control =
  opts.kind === "obshell"
    ? {
        kind: "obshell" as const,
        sim: new ObshellSimulator({
          password: secrets.data.OBSHELL_PASSWORD,
          seed: seedFrom(obshellSeed) ?? demoObshellSeed,
          stageMs: opts.stageMs,
        }),
      }
    : {
        kind: "dcs" as const,
        sim: new DcsSimulator({
          credentials: [{ accessKey: secrets.data.DCS_ACCESS_KEY, secretKey: secrets.data.DCS_SECRET_KEY }],
          projects: seedFrom(dcsSeed) ?? demoDcsSeed(),
          deleteDelayMs: opts.deleteDelayMs,
          ...(opts.rateLimit > 0
            ? { rateLimit: { perSecond: opts.rateLimit, burst: opts.rateLimit * 2 } }
            : {}),
          ...(opts.unkind ? { unkind: UNKIND_DCS_KNOBS } : {}),
        }),
      };
const url = await control.sim.start(opts.port);
console.log(`${opts.kind} simulator listening on ${url}`);
const controlServer =
  opts.controlPort === undefined ? undefined : await startControl(control, opts.controlPort);
if (controlServer) console.log(`${opts.kind} control listening on ${controlServer.url}`);
const stop = async () => {
  controlServer?.server.close();
  await control.sim.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
