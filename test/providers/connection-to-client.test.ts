// From admin-owned objects to a client that reaches the remote: resolve, then the client options.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/api/group.js";
import { dcsClientOptions, obshellClientOptions } from "../../src/connections/client-options.js";
import { type ResolveContext, resolveConnection } from "../../src/connections/resolve.js";
import { SecretValues } from "../../src/observability/logger.js";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy, isEndpointRefused } from "../../src/providers/endpoint-policy.js";
import { AuthError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const PASSWORD = "p@ss-Root-9f2";
const AK = "AKTESTDCS000000000001";
const SK = "SKtestSecretKey0000000000000000000000abcd";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const retry = { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function secretObject(data: Record<string, string>) {
  return {
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

function ctx(connection: Record<string, unknown>, secrets: Record<string, unknown>): ResolveContext {
  return {
    connections: { get: (key) => (key === "team-a/conn" ? connection : undefined) },
    clusterConnections: { get: () => undefined },
    secrets: { get: (key) => secrets[key] },
    operatorNamespace: "dbfleet-system",
    allowInlineConnections: false,
    secretValues: new SecretValues(),
  };
}

const simulatorPolicy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1" });

describe("a resolved connection drives the client", () => {
  it("obshell: password and pin from the connection reach the agent; a stale pin sends nothing", async () => {
    const sim = new ObshellSimulator({ password: PASSWORD, stageMs: 10 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const pin = createHash("sha256").update(Buffer.from(sim.keyPair.publicKeyBase64, "base64")).digest("hex");
    for (const [agentPublicKeySha256, works] of [
      [pin, true],
      ["1".repeat(64), false],
    ] as const) {
      const connection = {
        apiVersion: API_VERSION,
        kind: "DatabaseConnection",
        metadata: { name: "conn", namespace: "team-a" },
        spec: {
          obshell: {
            endpoint: sim.url,
            allowInsecureHTTP: true,
            agentPublicKeySha256,
            credentialsSecretRef: { name: "ob" },
          },
        },
      };
      const resolved = resolveConnection(
        {
          kind: "TenantReplicaSet",
          namespace: "team-a",
          spec: { connectionRef: { kind: "DatabaseConnection", name: "conn" } },
        },
        ctx(connection, { "team-a/ob": secretObject({ password: PASSWORD }) }),
      );
      if (!resolved.ok || resolved.connection.kind !== "obshell") throw new Error(JSON.stringify(resolved));
      const client = new ObshellClient({
        ...obshellClientOptions(resolved.connection, { endpointPolicy: simulatorPolicy }),
        retry,
      });
      cleanups.push(() => client.close());
      const result = await client.getTenant("audit").then(
        (t) => t.info.tenant_name,
        (e: unknown) => e,
      );
      if (works) expect(result).toBe("audit");
      else expect(result).toBeInstanceOf(AuthError);
    }
  });

  it("dcs: the policy passed with the connection refuses loopback unless allowlisted", async () => {
    const sim = new DcsSimulator({
      credentials: [{ accessKey: AK, secretKey: SK }],
      projects: { [PROJECT]: [] },
    });
    await sim.start();
    cleanups.push(() => sim.stop());
    const connection = {
      apiVersion: API_VERSION,
      kind: "DatabaseConnection",
      metadata: { name: "conn", namespace: "team-a" },
      spec: {
        dcs: {
          endpoint: sim.url,
          projectId: PROJECT,
          allowInsecureHTTP: true,
          credentialsSecretRef: { name: "dcs" },
        },
      },
    };
    const resolved = resolveConnection(
      {
        kind: "RedisInstanceSet",
        namespace: "team-a",
        spec: { connectionRef: { kind: "DatabaseConnection", name: "conn" } },
      },
      ctx(connection, { "team-a/dcs": secretObject({ accessKey: AK, secretKey: SK }) }),
    );
    if (!resolved.ok || resolved.connection.kind !== "dcs") throw new Error(JSON.stringify(resolved));
    const refused = new DcsClient({
      ...dcsClientOptions(resolved.connection, { endpointPolicy: new EndpointPolicy() }),
      retry,
    });
    const allowed = new DcsClient({
      ...dcsClientOptions(resolved.connection, { endpointPolicy: simulatorPolicy }),
      retry,
    });
    cleanups.push(
      () => refused.close(),
      () => allowed.close(),
    );
    expect(isEndpointRefused(await refused.listInstances().catch((e: unknown) => e))).toBe(true);
    expect(sim.log).toHaveLength(0);
    expect((await allowed.listInstances()).instances).toEqual([]);
  });
});
