// TLS as a connection configures it, against an HTTPS agent whose certificate openssl makes here.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { type RemoteError, TransportError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import type { TlsOptions } from "../../src/providers/transport.js";

let dir = "";
let server: Server;
let port = 0;
let trustedCa = "";
let otherCa = "";
let requests = 0;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA (key + self-signed certificate) named `name` in `dir`. */
function makeCa(name: string): string {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  );
  return readFileSync(join(dir, `${name}.crt`), "utf8");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dbfleet-tls-"));
  trustedCa = makeCa("trusted-ca");
  otherCa = makeCa("other-ca");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:agent.ob.test\nextendedKeyUsage=serverAuth\n");
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=agent.ob.test",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "trusted-ca.crt",
    "-CAkey",
    "trusted-ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "san.ext",
    "-out",
    "server.crt",
  );
  server = createServer(
    { key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.crt")) },
    (_req, res) => {
      requests++;
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          successful: true,
          timestamp: new Date().toISOString(),
          duration: 1,
          status: 200,
          data: { identity: "CLUSTER_AGENT", version: "4.2.5.0" },
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The agent is reached by name; the test's resolver points every name at loopback, which is allowlisted. */
const policy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1", lookup: async () => ["127.0.0.1"] });

async function info(endpoint: string, tls: TlsOptions, withPolicy = true): Promise<unknown> {
  const client = new ObshellClient({
    endpoint,
    password: () => "unused",
    tls,
    timeoutMs: 3000,
    retry: { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} },
    ...(withPolicy ? { endpointPolicy: policy } : {}),
  });
  try {
    return await client.info();
  } catch (error) {
    return error;
  } finally {
    await client.close();
  }
}

describe("TLS to the agent", () => {
  it("trusts a certificate signed by the CA from the connection's Secret", async () => {
    expect(await info(`https://agent.ob.test:${port}`, { ca: trustedCa })).toMatchObject({
      version: "4.2.5.0",
    });
  });

  it("refuses a certificate signed by another CA, saying why", async () => {
    const before = requests;
    const error = await info(`https://agent.ob.test:${port}`, { ca: otherCa });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as RemoteError).message).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|unable to verify/i,
    );
    expect(requests).toBe(before);
  });

  it("refuses the system roots when no CA is given", async () => {
    expect(await info(`https://agent.ob.test:${port}`, {})).toBeInstanceOf(TransportError);
  });

  it("refuses a certificate for another host name", async () => {
    const before = requests;
    const error = await info(`https://other.ob.test:${port}`, { ca: trustedCa });
    expect(error).toBeInstanceOf(TransportError);
    expect((error as RemoteError).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(requests).toBe(before);
  });

  it("verifies against serverName when the endpoint is an address", async () => {
    expect(
      await info(`https://127.0.0.1:${port}`, { ca: trustedCa, serverName: "agent.ob.test" }),
    ).toMatchObject({ version: "4.2.5.0" });
    expect(await info(`https://127.0.0.1:${port}`, { ca: trustedCa })).toBeInstanceOf(TransportError);
  });

  it("honours CA and serverName without an endpoint policy too", async () => {
    expect(
      await info(`https://127.0.0.1:${port}`, { ca: trustedCa, serverName: "agent.ob.test" }, false),
    ).toMatchObject({ version: "4.2.5.0" });
    expect(
      await info(`https://127.0.0.1:${port}`, { ca: otherCa, serverName: "agent.ob.test" }, false),
    ).toBeInstanceOf(TransportError);
  });

  it("accepts anything with insecureSkipVerify (the switch tests use)", async () => {
    expect(await info(`https://other.ob.test:${port}`, { insecureSkipVerify: true })).toMatchObject({
      version: "4.2.5.0",
    });
  });
});
