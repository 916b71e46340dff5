// `dbfleet-operator run`'s policy flags reach the EndpointPolicy the operator is built with: `run` itself
// parses the argv, reads a kubeconfig and builds the policy; only createOperator is replaced, to capture what
// it is given (the engine behind it is tested elsewhere). Wrong versions this is written against: a flag
// parsed but never passed on, --pod-cidrs passed as --service-cidrs, the API server's address left out.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/flags.js";
import type { EndpointPolicy } from "../../src/providers/endpoint-policy.js";

const built = vi.hoisted(() => ({ options: [] as { endpointPolicy?: unknown }[] }));

vi.mock("../../src/operator.js", () => ({
  createOperator: (options: { endpointPolicy?: unknown; onLeadershipLost?: () => void }) => {
    built.options.push(options);
    return {
      manager: {
        ready: true,
        // Leadership is lost at once, so `run` shuts down and returns.
        start: async () => options.onLeadershipLost?.(),
      },
      stop: async () => undefined,
    };
  },
}));

const { run } = await import("../../src/cli/run.js");

const API_SERVER = "10.99.0.1";

function kubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "dbfleet-run-flags-"));
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
      clusters: [{ name: "k", cluster: { server: `https://${API_SERVER}:6443` } }],
      users: [{ name: "u", user: { token: "t" } }],
    }),
  );
  return path;
}

let signalListeners: { SIGTERM: unknown[]; SIGINT: unknown[] };
beforeEach(() => {
  built.options.length = 0;
  signalListeners = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
});
afterEach(() => {
  // `run` waits for SIGTERM/SIGINT with once-listeners; those of a run that returned otherwise are removed.
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    for (const l of process.listeners(signal))
      if (!signalListeners[signal].includes(l)) process.removeListener(signal, l as () => void);
});

async function policyOf(flags: string[]): Promise<EndpointPolicy> {
  const code = await run([
    `--kubeconfig=${kubeconfig()}`,
    "--leader-elect=false",
    "--metrics-port=0",
    "--metrics-host=127.0.0.1",
    "--log-level=error",
    ...flags,
  ]);
  expect(code).toBe(1); // leadership lost, as the fake manager says
  expect(built.options).toHaveLength(1);
  return built.options[0]?.endpointPolicy as EndpointPolicy;
}

const refused = (policy: EndpointPolicy, host: string, address: string) => {
  const verdict = policy.checkAddress(host, address);
  return verdict.ok ? "allowed" : verdict.message;
};

describe("run's flags reach the EndpointPolicy it builds the operator with", () => {
  it("--allowed-endpoints: only the listed hosts and CIDRs are reached", async () => {
    const policy = await policyOf(["--allowed-endpoints=dcs.example.test,10.20.0.0/16"]);
    expect(refused(policy, "dcs.example.test", "203.0.113.7")).toBe("allowed");
    expect(refused(policy, "10.20.1.1", "10.20.1.1")).toBe("allowed");
    expect(refused(policy, "other.example.test", "203.0.113.8")).toMatch(/not in --allowed-endpoints/);
  });

  it("--service-cidrs and --pod-cidrs: each range refused under its own name", async () => {
    const policy = await policyOf(["--service-cidrs=10.96.0.0/12", "--pod-cidrs=10.244.0.0/16"]);
    expect(refused(policy, "10.96.0.10", "10.96.0.10")).toMatch(/service range/);
    expect(refused(policy, "10.244.1.5", "10.244.1.5")).toMatch(/pod range/);
    expect(refused(policy, "dcs.example.test", "203.0.113.7")).toBe("allowed");
  });

  it("the kubeconfig's API server is refused as a remote", async () => {
    const policy = await policyOf([]);
    expect(refused(policy, API_SERVER, API_SERVER)).toMatch(/API server/);
    // The built-in refusals hold too.
    expect(refused(policy, "169.254.169.254", "169.254.169.254")).toMatch(/link-local/);
  });

  it("all of them at once, none lost", async () => {
    const policy = await policyOf([
      "--allowed-endpoints=*.example.test,10.0.0.0/8",
      "--service-cidrs=10.96.0.0/12",
      "--pod-cidrs=10.244.0.0/16",
    ]);
    // An allowlisted CIDR lifts the cluster ranges it covers (README): 10.0.0.0/8 covers all three.
    expect(refused(policy, "10.96.0.10", "10.96.0.10")).toBe("allowed");
    expect(refused(policy, "dcs.example.test", "203.0.113.7")).toBe("allowed");
    expect(refused(policy, "dcs.example.org", "203.0.113.7")).toMatch(/not in --allowed-endpoints/);
    // An allowlisted name does not lift a refused range.
    expect(refused(policy, "meta.example.test", "169.254.169.254")).toMatch(/link-local/);
  });

  it("a policy flag that does not parse stops run before any operator is built, naming the flag", async () => {
    for (const [flag, name] of [
      ["--pod-cidrs=10.0.0.0/33", "--pod-cidrs"],
      ["--service-cidrs=ten.zero/8", "--service-cidrs"],
      ["--allowed-endpoints=http://dcs.example.test", "--allowed-endpoints"],
    ] as const) {
      const error = await run([`--kubeconfig=${kubeconfig()}`, "--metrics-port=0", flag]).catch(
        (e: unknown) => e,
      );
      expect(error, flag).toBeInstanceOf(UsageError);
      expect(String(error)).toContain(name);
    }
    expect(built.options).toHaveLength(0);
  });
});
