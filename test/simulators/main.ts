// `npm run sim -- obshell --port 2886` / `npm run sim -- dcs --port 8443`: a simulator in the foreground.
// Credentials come from the environment (OBSHELL_PASSWORD, DCS_ACCESS_KEY, DCS_SECRET_KEY), never from flags.
import { parseArgs } from "node:util";
import { z } from "zod";
import { DcsSimulator } from "./dcs/server.js";
import { ObshellSimulator } from "./obshell/server.js";
import { demoDcsSeed, demoObshellSeed } from "./seed.js";

const flags = z.object({
  kind: z.enum(["obshell", "dcs"], { message: "the first argument must be obshell or dcs" }),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.literal("127.0.0.1").or(z.literal("localhost")),
  stageMs: z.coerce.number().int().min(1),
  deleteDelayMs: z.coerce.number().int().min(0),
});
const env = z.object({
  OBSHELL_PASSWORD: z.string().default("demo-root-password"),
  DCS_ACCESS_KEY: z.string().min(1).default("AKDEMO00000000000001"),
  DCS_SECRET_KEY: z.string().min(1).default("SKdemo000000000000000000000000000000000"),
});

/** Kept here rather than imported: nothing under test/simulators imports src/. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`).join("; ");
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "stage-ms": { type: "string", default: "2000" },
    "delete-delay-ms": { type: "string", default: "3000" },
  },
});
const parsed = flags.safeParse({
  kind: positionals[0],
  port: values.port ?? (positionals[0] === "dcs" ? "8443" : "2886"),
  host: values.host,
  stageMs: values["stage-ms"],
  deleteDelayMs: values["delete-delay-ms"],
});
const secrets = env.safeParse(process.env);
if (!parsed.success || !secrets.success) {
  console.error(
    `sim: ${parsed.success ? "" : describeIssues(parsed.error)}${secrets.success ? "" : describeIssues(secrets.error)}`,
  );
  console.error("usage: npm run sim -- obshell|dcs [--port N] [--stage-ms N] [--delete-delay-ms N]");
  process.exit(2);
}
const opts = parsed.data;

const sim =
  opts.kind === "obshell"
    ? new ObshellSimulator({
        password: secrets.data.OBSHELL_PASSWORD,
        seed: demoObshellSeed,
        stageMs: opts.stageMs,
      })
    : new DcsSimulator({
        credentials: [{ accessKey: secrets.data.DCS_ACCESS_KEY, secretKey: secrets.data.DCS_SECRET_KEY }],
        projects: demoDcsSeed(),
        deleteDelayMs: opts.deleteDelayMs,
        rateLimit: { perSecond: 50, burst: 100 },
      });
const url = await sim.start(opts.port);
console.log(`${opts.kind} simulator listening on ${url}`);
const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
