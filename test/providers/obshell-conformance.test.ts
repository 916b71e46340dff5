// The obshell wire protocol checked with an implementation written from docs/protocols/obshell.md alone
// (node:crypto directly), against both the simulator and the client.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const PASSWORD = "s3cret-root-sys";
let sim: ObshellSimulator;

beforeAll(async () => {
  sim = new ObshellSimulator({ password: PASSWORD, stageMs: 20, keyBits: 1024 });
  await sim.start();
});
afterAll(() => sim.stop());

/** Spec steps 1-4, written independently of src/providers/obshell/auth.ts. */
function specHeader(publicKeyB64: string, fields: Record<string, unknown>, aes: Buffer): string {
  const key = createPublicKey({ key: Buffer.from(publicKeyB64, "base64"), format: "der", type: "pkcs1" });
  const plain = Buffer.from(JSON.stringify({ ...fields, keys: aes.toString("base64") }));
  const out: Buffer[] = [];
  for (let i = 0; i < plain.length; i += 53)
    out.push(publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, plain.subarray(i, i + 53)));
  return Buffer.concat(out).toString("base64");
}

async function secretKey(): Promise<string> {
  const res = await request(`${sim.url}/api/v1/secret`);
  const body = (await res.body.json()) as { data: { public_key: string } };
  return body.data.public_key;
}

async function call(
  method: "GET" | "DELETE",
  uri: string,
  fields: Record<string, unknown>,
  jsonBody?: unknown,
) {
  const aes = randomBytes(32);
  const headers: Record<string, string> = { "x-ocs-header": specHeader(await secretKey(), fields, aes) };
  let body: string | undefined;
  if (jsonBody !== undefined) {
    const cipher = createCipheriv("aes-128-cbc", aes.subarray(0, 16), aes.subarray(16));
    body = Buffer.concat([cipher.update(JSON.stringify(jsonBody)), cipher.final()]).toString("base64");
  }
  const res = await request(`${sim.url}${uri}`, { method, headers, ...(body ? { body } : {}) });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    json: text
      ? (JSON.parse(text) as { successful: boolean; error?: { errCode: string }; data?: unknown })
      : undefined,
  };
}

const ts = () => String(Math.floor(Date.now() / 1000) + 60);

describe("obshell simulator accepts the spec's auth v2 and refuses everything else", () => {
  it("accepts a header built from the spec, with field names in any case", async () => {
    const lower = await call("GET", "/api/v1/tenant/orders", {
      auth: PASSWORD,
      ts: ts(),
      uri: "/api/v1/tenant/orders",
    });
    expect(lower.status).toBe(200);
    expect(lower.json?.successful).toBe(true);
    const upper = await call("GET", "/api/v1/tenant/orders", {
      Auth: PASSWORD,
      Ts: ts(),
      Uri: "/api/v1/tenant/orders",
    });
    expect(upper.status).toBe(200);
  });

  it("decrypts an AES body and acts on it", async () => {
    const res = await call(
      "DELETE",
      "/api/v1/tenant/billing/replicas",
      { auth: PASSWORD, ts: ts(), uri: "/api/v1/tenant/billing/replicas" },
      { zones: ["nowhere"] },
    );
    expect(res.status).toBe(204);
  });

  it.each([
    ["a missing header", undefined, 400, "Request.Header.NotFound"],
    ["v1 auth (X-OCS-Auth only)", "v1", 400, "Request.Header.NotFound"],
    [
      "ts sent as a number",
      { auth: PASSWORD, ts: Math.floor(Date.now() / 1000) + 60, uri: "/api/v1/tenant/orders" },
      401,
      "Security.Authentication.Header.DecryptFailed",
    ],
    [
      "an expired ts",
      { auth: PASSWORD, ts: String(Math.floor(Date.now() / 1000) - 5), uri: "/api/v1/tenant/orders" },
      401,
      "Security.Authentication.Expired",
    ],
    [
      "a ts that is not an integer",
      { auth: PASSWORD, ts: "soon", uri: "/api/v1/tenant/orders" },
      401,
      "Security.Authentication.Timestamp.Invalid",
    ],
    [
      "a uri that differs from the request-target",
      { auth: PASSWORD, ts: "9999999999", uri: "/api/v1/tenant/billing" },
      401,
      "Security.Authentication.Header.UriMismatch",
    ],
    [
      "a wrong password",
      { auth: "guess", ts: "9999999999", uri: "/api/v1/tenant/orders" },
      401,
      "Security.Authentication.IncorrectOceanbasePassword",
    ],
  ] as const)("refuses %s", async (_, fields, status, errCode) => {
    let res: { status: number; json?: { error?: { errCode: string } } | undefined };
    if (fields === undefined || fields === "v1") {
      const headers: Record<string, string> =
        fields === "v1"
          ? { "x-ocs-auth": Buffer.from(JSON.stringify({ password: PASSWORD, ts: 1 })).toString("base64") }
          : {};
      const raw = await request(`${sim.url}/api/v1/tenant/orders`, { headers });
      res = { status: raw.statusCode, json: (await raw.body.json()) as { error?: { errCode: string } } };
    } else {
      res = await call("GET", "/api/v1/tenant/orders", fields);
    }
    expect(res.status).toBe(status);
    expect(res.json?.error?.errCode).toBe(errCode);
  });

  it("refuses a header encrypted with another key", async () => {
    const other = new ObshellSimulator({ password: PASSWORD, keyBits: 512 });
    const wrongKey = other.keyPair.publicKeyBase64;
    const header = specHeader(
      wrongKey,
      { auth: PASSWORD, ts: ts(), uri: "/api/v1/tenant/orders" },
      randomBytes(32),
    );
    const raw = await request(`${sim.url}/api/v1/tenant/orders`, { headers: { "x-ocs-header": header } });
    expect(raw.statusCode).toBe(401);
    expect(((await raw.body.json()) as { error: { errCode: string } }).error.errCode).toBe(
      "Security.Authentication.Header.DecryptFailed",
    );
  });
});

describe("obshell client requests decrypt to exactly the JSON the spec describes", () => {
  it("sends X-OCS-Header {auth, ts as a string expiry, uri, keys} and an AES-CBC base64 body", async () => {
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
    const before = sim.log.length;
    const started = Math.floor(Date.now() / 1000);
    await client.deleteReplicas("orders", ["z9"]);
    await client.close();
    const entry = sim.log.slice(before).find((e) => e.method === "DELETE");
    expect(entry).toBeDefined();
    const header = String(entry?.headers["x-ocs-header"]);
    const fields = JSON.parse(sim.keyPair.decrypt(Buffer.from(header, "base64")).toString("utf8")) as Record<
      string,
      string
    >;
    expect(Object.keys(fields).sort()).toEqual(["auth", "keys", "ts", "uri"]);
    expect(fields.auth).toBe(PASSWORD);
    expect(fields.uri).toBe("/api/v1/tenant/orders/replicas");
    expect(typeof fields.ts).toBe("string");
    expect(Number(fields.ts) - started).toBeGreaterThanOrEqual(59);
    expect(Number(fields.ts) - started).toBeLessThanOrEqual(61);
    const aes = Buffer.from(fields.keys ?? "", "base64");
    expect(aes.length).toBe(32);
    const decipher = createDecipheriv("aes-128-cbc", aes.subarray(0, 16), aes.subarray(16));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(entry?.rawBody ?? "", "base64")),
      decipher.final(),
    ]).toString("utf8");
    expect(JSON.parse(plain)).toEqual({ zones: ["z9"] });
  });

  it("signs the request-target with its query string byte for byte", async () => {
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
    const before = sim.log.length;
    const dags = await client.unfinishedDags();
    expect(Array.isArray(dags)).toBe(true);
    await client.getDag("11", false).catch(() => undefined);
    await client.close();
    const entry = sim.log.slice(before).find((e) => e.path === "/api/v1/task/dag/11");
    const fields = JSON.parse(
      sim.keyPair.decrypt(Buffer.from(String(entry?.headers["x-ocs-header"]), "base64")).toString(),
    ) as { uri: string };
    expect(fields.uri).toBe("/api/v1/task/dag/11?show_details=false");
  });
});
