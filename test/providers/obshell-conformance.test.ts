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
import { AuthError } from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import { AgentKeyRejectedError, obshellError } from "../../src/providers/obshell/errors.js";
import { destructiveCalls, repeatedTargets } from "../simulators/destructive-calls.js";
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

interface Reply {
  successful: boolean;
  error?: { errCode: string; code?: number };
  data?: unknown;
}

async function call(
  method: "GET" | "DELETE",
  uri: string,
  fields: Record<string, unknown>,
  jsonBody?: unknown,
  opts: { aes?: Buffer; rawBody?: string; publicKey?: string } = {},
) {
  const aes = opts.aes ?? randomBytes(32);
  const headers: Record<string, string> = {
    "x-ocs-header": specHeader(opts.publicKey ?? (await secretKey()), fields, aes),
  };
  let body = opts.rawBody;
  if (jsonBody !== undefined) {
    const cipher = createCipheriv("aes-128-cbc", aes.subarray(0, 16), aes.subarray(16, 32));
    body = Buffer.concat([cipher.update(JSON.stringify(jsonBody)), cipher.final()]).toString("base64");
  }
  const res = await request(`${sim.url}${uri}`, { method, headers, ...(body ? { body } : {}) });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as Reply) : undefined };
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

// Each case below names the place in oceanbase/obshell (github.com/oceanbase/obshell, tag 4.5.0.0, under ob/agent/)
// that the behaviour comes from.
describe("obshell simulator answers as the agent's source does", () => {
  const fresh = (uri: string, extra: Record<string, unknown> = {}) => ({
    auth: PASSWORD,
    ts: ts(),
    uri,
    ...extra,
  });

  // errors/errorcode.go: NewErrorCode's fourth argument is the v1 code (1 for Header.DecryptFailed, 10008 for the
  // other Security.Authentication.* codes, none elsewhere); lib/http/response.go buildErrorResponse copies it to
  // `code`, `json:"code,omitempty"`.
  it.each([
    [
      "an expired ts",
      { ts: String(Math.floor(Date.now() / 1000) - 5) },
      "Security.Authentication.Expired",
      10008,
    ],
    [
      "a uri mismatch",
      { uri: "/api/v1/tenant/billing" },
      "Security.Authentication.Header.UriMismatch",
      10008,
    ],
    ["a wrong password", { auth: "guess" }, "Security.Authentication.IncorrectOceanbasePassword", 10008],
    ["an unparsable ts", { ts: "soon" }, "Security.Authentication.Timestamp.Invalid", 10008],
  ] as const)("puts the legacy code on %s", async (_, extra, errCode, code) => {
    const res = await call("GET", "/api/v1/tenant/orders", fresh("/api/v1/tenant/orders", extra));
    expect(res.json?.error).toMatchObject({ errCode, code });
  });

  it("puts code 1 on DecryptFailed and no code on errors that have none", async () => {
    const other = new ObshellSimulator({ password: PASSWORD, keyBits: 512 });
    const stale = await call("GET", "/api/v1/tenant/orders", fresh("/api/v1/tenant/orders"), undefined, {
      publicKey: other.keyPair.publicKeyBase64,
    });
    expect(stale.status).toBe(401);
    expect(stale.json?.error).toMatchObject({
      errCode: "Security.Authentication.Header.DecryptFailed",
      code: 1,
    });
    const missing = await call("GET", "/api/v1/tenant/nobody", fresh("/api/v1/tenant/nobody"));
    expect(missing.json?.error?.errCode).toBe("OB.Tenant.NotExist");
    expect(missing.json?.error).not.toHaveProperty("code");
  });

  it("after a key rotation answers errCode and code 1, and the client recovers by refetching the key", async () => {
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
    try {
      await client.getTenant("orders");
      const oldKey = sim.keyPair.publicKeyBase64;
      sim.rotateKey();
      const raw = await call("GET", "/api/v1/tenant/orders", fresh("/api/v1/tenant/orders"), undefined, {
        publicKey: oldKey,
      });
      expect(raw.json?.error).toMatchObject({
        errCode: "Security.Authentication.Header.DecryptFailed",
        code: 1,
      });
      const secretsBefore = sim.log.filter((e) => e.path === "/api/v1/secret").length;
      expect((await client.getTenant("orders")).info.tenant_name).toBe("orders");
      expect(sim.log.filter((e) => e.path === "/api/v1/secret").length).toBe(secretsBefore + 1);
    } finally {
      await client.close();
    }
  });

  it("the client treats the legacy code 1 alone as a rejected key (older agents send no errCode)", () => {
    const legacyOnly = obshellError({ operation: "GET /x", status: 401, remoteCode: "1", legacyCode: 1 });
    expect(legacyOnly).toBeInstanceOf(AgentKeyRejectedError);
    const errCodeOnly = obshellError({
      operation: "GET /x",
      status: 401,
      remoteCode: "Security.Authentication.Header.DecryptFailed",
    });
    expect(errCodeOnly).toBeInstanceOf(AgentKeyRejectedError);
    const other = obshellError({ operation: "GET /x", status: 401, remoteCode: "x", legacyCode: 10008 });
    expect(other).toBeInstanceOf(AuthError);
    expect(other).not.toBeInstanceOf(AgentKeyRejectedError);
  });

  // api/agent_route.go: HeaderDecrypt and BodyDecrypt run before the route group's Verify, so a body that does
  // not decrypt is refused even with a wrong password. secure/body.go transferKeys refuses key material shorter
  // than the key size (lib/crypto/aes.go aes_key_size = 16); lib/crypto/aes.go AesDecryptAndReturnBytes refuses
  // a ciphertext that is not whole blocks; api/common/middleware.go BodyDecrypt wraps both with
  // WrapRetain(ErrCommonUnauthorized, err), and errors/wrap.go WrapRetain keeps the inner code (500).
  it("refuses a body that is not whole AES blocks before checking the password", async () => {
    const res = await call(
      "DELETE",
      "/api/v1/tenant/orders/replicas",
      fresh("/api/v1/tenant/orders/replicas", { auth: "guess" }),
      undefined,
      { rawBody: Buffer.from("not sixteen").toString("base64") },
    );
    expect(res.status).toBe(500);
    expect(res.json?.error?.errCode).toBe("Request.Body.Decrypt.AES.ContentLength.Invalid");
    expect(sim.cluster.dags.filter((d) => d.tenant === "orders")).toHaveLength(0);
  });

  it("refuses key material shorter than 16 bytes and does not refuse longer material for its length", async () => {
    const uri = "/api/v1/tenant/orders/replicas";
    const short = await call("DELETE", uri, fresh(uri), undefined, {
      aes: randomBytes(15),
      rawBody: randomBytes(16).toString("base64"),
    });
    expect(short.status).toBe(500);
    expect(short.json?.error?.errCode).toBe("Request.Body.Decrypt.AES.KeyAndIv.Invalid");
    // 16 key bytes + a 32-byte IV pass transferKeys; Go's cipher.NewCBCDecrypter then panics on the IV and the
    // agent's gin recovery answers its generic 500 (middleware.go recoveryResponse).
    const long = await call("DELETE", uri, fresh(uri), undefined, {
      aes: randomBytes(48),
      rawBody: randomBytes(16).toString("base64"),
    });
    expect(long.status).toBe(500);
    expect(long.json?.error?.errCode).toBe("Common.Unexpected");
    // A header with no body never reads the keys (BodyDecrypt returns early on an empty body).
    const noBody = await call("GET", "/api/v1/tenant/orders", fresh("/api/v1/tenant/orders"), undefined, {
      aes: randomBytes(3),
    });
    expect(noBody.status).toBe(200);
  });

  // secure/auth.go VerifyAuth: `if pwd != "" { VerifyTimeStamp(...) }`.
  it("skips the timestamp check when auth is empty", async () => {
    const open = new ObshellSimulator({ password: "", stageMs: 20, keyBits: 512 });
    await open.start();
    try {
      const key = open.keyPair.publicKeyBase64;
      const header = specHeader(key, { auth: "", ts: "1", uri: "/api/v1/tenant/orders" }, randomBytes(32));
      const res = await request(`${open.url}/api/v1/tenant/orders`, { headers: { "x-ocs-header": header } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    } finally {
      await open.stop();
    }
    // With a password set, an empty auth is a wrong password, not an expired one.
    const res = await call("GET", "/api/v1/tenant/orders", {
      auth: "",
      ts: "1",
      uri: "/api/v1/tenant/orders",
    });
    expect(res.json?.error?.errCode).toBe("Security.Authentication.IncorrectOceanbasePassword");
  });

  // api/tenant_handler.go InitTenantRoutes wraps DELETE /replicas in tenantStatusHandlerWrapper
  // (api/tenant_utils.go): the tenant is looked up before tenantRemoveReplicasHandler binds the body.
  it("looks the tenant up before binding the DELETE replicas body", async () => {
    const res = await call(
      "DELETE",
      "/api/v1/tenant/nobody/replicas",
      fresh("/api/v1/tenant/nobody/replicas"),
      {
        zone: ["z1"],
      },
    );
    expect(res.status).toBe(400);
    expect(res.json?.error?.errCode).toBe("OB.Tenant.NotExist");
  });

  // api/tenant_utils.go tenantStatusHandlerWrapper: a tenant whose status is not NORMAL is refused (400
  // OB.Tenant.StatusNotNormal) before the handler runs, so no DAG starts.
  it("refuses to remove replicas of a tenant that is not NORMAL", async () => {
    sim.cluster.addTenant({ name: "locked-t", zones: ["z1", "z2", "z3"], status: "LOCKED" });
    const uri = "/api/v1/tenant/locked-t/replicas";
    const res = await call("DELETE", uri, fresh(uri), { zones: ["z3"] });
    expect(res.status).toBe(400);
    expect(res.json?.error?.errCode).toBe("OB.Tenant.StatusNotNormal");
    expect(sim.cluster.dags.filter((d) => d.tenant === "locked-t")).toEqual([]);
  });

  // scale_in_replicas.go filterZones copies param.Zones as listed (duplicates kept) and the DAG template has one
  // locality node per listed zone.
  it("keeps duplicate zones: one locality change per listed zone", async () => {
    sim.cluster.addTenant({ name: "dup-t", zones: ["z1", "z2", "z3"] });
    const uri = "/api/v1/tenant/dup-t/replicas";
    const res = await call("DELETE", uri, fresh(uri), { zones: ["z3", "z3"] });
    expect(res.status).toBe(200);
    const dag = sim.cluster.dags.find((d) => d.tenant === "dup-t");
    expect(dag?.nodes.filter((n) => n.name === "Alter tenant locality").map((n) => n.zone)).toEqual([
      "z3",
      "z3",
    ]);
  });

  // api/task_handler.go: group.GET(URI_DAG + URI_UNFINISH, task.GetUnfinishedDags) besides /dag/ob/unfinish.
  it("serves GET /api/v1/task/dag/unfinish with the unfinished DAGs", async () => {
    sim.cluster.addTenant({ name: "unfinish-t", zones: ["z1", "z2", "z3"] });
    const del = await call(
      "DELETE",
      "/api/v1/tenant/unfinish-t/replicas",
      fresh("/api/v1/tenant/unfinish-t/replicas"),
      {
        zones: ["z2"],
      },
    );
    const created = del.json?.data as { id: string };
    const all = await call("GET", "/api/v1/task/dag/unfinish", fresh("/api/v1/task/dag/unfinish"));
    expect(all.status).toBe(200);
    const ids =
      (all.json?.data as { contents: { id: string }[] } | undefined)?.contents.map((d) => d.id) ?? [];
    expect(ids).toContain(created.id);
  });

  // engine/task/task_dto.go ConvertToGenericID: "1" + the instance's own row id, for DAGs, nodes and sub-tasks
  // alike; nodes and sub-tasks live in their own tables, so their ids say nothing about the DAG's.
  it("gives nodes and sub-tasks ids of their own, not derived from the DAG id", async () => {
    sim.cluster.addTenant({ name: "ids-t", zones: ["z1", "z2", "z3"] });
    const del = await call(
      "DELETE",
      "/api/v1/tenant/ids-t/replicas",
      fresh("/api/v1/tenant/ids-t/replicas"),
      {
        zones: ["z3"],
      },
    );
    const dagId = (del.json?.data as { id: string } | undefined)?.id ?? "";
    const uri = `/api/v1/task/dag/${dagId}?show_details=true`;
    const detail = await call("GET", uri, fresh(uri));
    const nodes =
      (detail.json?.data as { nodes: { id: string; sub_tasks: { id: string }[] }[] } | undefined)?.nodes ??
      [];
    expect(nodes.length).toBeGreaterThan(0);
    // The derivation the simulator used to make (DAG id + position) must not hold.
    nodes.forEach((node, i) => {
      expect(node.id).toMatch(/^1\d+$/);
      expect(node.id).not.toBe(`${dagId}${i + 1}`);
      for (const sub of node.sub_tasks) {
        expect(sub.id).toMatch(/^1\d+$/);
        expect(sub.id).not.toBe(`${dagId}${i + 1}1`);
        expect(sub.id).not.toBe(node.id);
      }
    });
  });
});

describe("destructive calls read from the obshell request log", () => {
  it("counts a DAG-creating DELETE as accepted and a refused repeat as sent only", async () => {
    sim.cluster.addTenant({ name: "count-t", zones: ["z1", "z2", "z3"] });
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
    try {
      const first = await client.deleteReplicas("count-t", ["z3"]);
      expect(first.kind).toBe("dag");
      // The DAG still runs: the agent refuses a second one (maintenance lock), so nothing is accepted twice.
      await expect(client.deleteReplicas("count-t", ["z3"])).rejects.toMatchObject({ kind: "busy" });
    } finally {
      await client.close();
    }
    const calls = destructiveCalls({ obshell: sim.log }).filter((c) => c.target === "obshell:count-t/z3");
    expect(calls.map((c) => c.accepted)).toEqual([true, false]);
    expect(repeatedTargets(calls)).toEqual([]);
    expect(repeatedTargets(calls, { sent: true })).toEqual([{ target: "obshell:count-t/z3", count: 2 }]);
  });
});
