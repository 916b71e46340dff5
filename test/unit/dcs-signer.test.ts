import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js";
import { describe, expect, it } from "vitest";
import {
  canonicalUri,
  EMPTY_BODY_SHA256,
  percentDecode,
  signRequest,
  urlEncode,
} from "../../src/providers/dcs/signer.js";

const creds = { accessKey: "AKEXAMPLE", secretKey: "SKEXAMPLE" };
const DATE = "20191115T033655Z";

/** The official SDK's signer, fed the same request: the independent oracle. */
function sdkAuthorization(
  method: string,
  url: URL,
  headers: Record<string, string>,
  data?: unknown,
  rawPath?: string,
): string {
  const queryParams: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    queryParams[key] = values.length > 1 ? values : (values[0] ?? "");
  }
  const signed = AKSKSigner.sign(
    {
      method,
      endpoint: `${url.origin}${rawPath ?? url.pathname}`,
      queryParams,
      headers: { ...headers },
      data,
    } as never,
    new BasicCredentials().withAk(creds.accessKey).withSk(creds.secretKey),
  ) as Record<string, string>;
  return signed.Authorization ?? "";
}

function ours(method: string, url: URL, headers: Record<string, string>, body?: string): string {
  return signRequest({ method, url, headers, body }, creds, new Date(0)).Authorization ?? "";
}

describe("SDK-HMAC-SHA256 signing", () => {
  it("reproduces the spec's vector 1 (DELETE with a JSON body)", () => {
    const body = JSON.stringify({ instances: ["a", "b"] });
    const auth = ours(
      "DELETE",
      new URL("https://dcs.example.test/v2/p1/instances"),
      { "Content-Type": "application/json", "X-Project-Id": "p1", "X-Sdk-Date": DATE },
      body,
    );
    expect(auth).toBe(
      "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=37283d9dba8884c0710851949cc848382f8b8254da3c083a9a782fac85ca5279",
    );
  });

  it("reproduces the spec's vector 2 (GET with unicode and a slash in a query value)", () => {
    const url = new URL("https://dcs.example.test/v2/p1/instances");
    url.searchParams.set("limit", "1000");
    url.searchParams.set("offset", "0");
    url.searchParams.set("name", "dcs ü/x");
    expect(ours("GET", url, { "X-Project-Id": "p1", "X-Sdk-Date": DATE })).toBe(
      "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-project-id;x-sdk-date, Signature=f4a415c1fac9bc77b87095d8a6618cf62f133d2966b10aaa366175a415889e20",
    );
  });

  const cases: [string, string, string, Record<string, string>, unknown][] = [
    ["a paged list", "GET", "https://dcs.example.test/v2/p1/instances?offset=10&limit=10", {}, undefined],
    [
      "filters with reserved characters",
      "GET",
      "https://dcs.example.test/v2/p1/instances?tags=team%3Dcheckout%2Cenv%3Dprod&name=a+b&status=RUNNING",
      {},
      undefined,
    ],
    [
      "unicode in a query value",
      "GET",
      "https://dcs.example.test/v2/p1/instances?name=%E7%BC%93%E5%AD%98-%F0%9F%98%80",
      {},
      undefined,
    ],
    ["an empty query value", "GET", "https://dcs.example.test/v2/p1/instances?name=&limit=5", {}, undefined],
    [
      "a repeated query key",
      "GET",
      "https://dcs.example.test/v2/p1/instances?status=b&status=a",
      {},
      undefined,
    ],
    [
      "a single instance path",
      "GET",
      "https://dcs.example.test/v2/p1/instances/3b1f4a5c-9d2e-4f60-8a71-2c3d4e5f6a7b",
      {},
      undefined,
    ],
    ["a port in the host", "GET", "http://127.0.0.1:8443/v2/p1/instances", {}, undefined],
    [
      "a batch delete body",
      "DELETE",
      "https://dcs.example.test/v2/p1/instances",
      { "Content-Type": "application/json" },
      { instances: ["x", "y"], is_recycle: true },
    ],
    [
      "a body with unicode",
      "DELETE",
      "https://dcs.example.test/v2/p1/instances",
      { "Content-Type": "application/json" },
      { instances: ["ü-é"] },
    ],
  ];

  it.each(cases)("matches the official SDK for %s", (_, method, href, extra, data) => {
    const url = new URL(href);
    const headers = { ...extra, "X-Project-Id": "p1", "X-Sdk-Date": DATE };
    expect(ours(method, url, headers, data === undefined ? undefined : JSON.stringify(data))).toBe(
      sdkAuthorization(method, url, headers, data),
    );
  });

  // The Node SDK substitutes path parameters raw (HcClient.buildRequest) and signs that path; the client sends
  // the id through encodeURIComponent, so the signer must decode the segment before encoding it.
  it.each([
    ["unicode and a colon", "ü-é:x"],
    ["sub-delimiters", "x(1)*!"],
    ["a tilde and dots", "id~1.2_3"],
  ])("signs a percent-encoded path segment (%s) as the SDK signs its raw value", (_, id) => {
    const url = new URL(`https://dcs.example.test/v2/p1/instances/${encodeURIComponent(id)}`);
    const headers = { "X-Project-Id": "p1", "X-Sdk-Date": DATE };
    expect(ours("GET", url, headers)).toBe(
      sdkAuthorization("GET", url, headers, undefined, `/v2/p1/instances/${id}`),
    );
  });

  it("decodes a path once, leaves a stray % alone", () => {
    expect(canonicalUri("/v2/p1/instances/a%20b")).toBe("/v2/p1/instances/a%20b/");
    expect(canonicalUri("/v2/p1/instances/a%2520b")).toBe("/v2/p1/instances/a%2520b/");
    expect(percentDecode("100%")).toBe("100%");
    expect(percentDecode("%zz%C3%BC")).toBe("%zzü");
  });

  it("treats an empty body as the SDK does: the hash of nothing", () => {
    const url = new URL("https://dcs.example.test/v2/p1/instances/abc");
    const headers = { "X-Project-Id": "p1", "X-Sdk-Date": DATE };
    const empty = ours("DELETE", url, headers, "");
    expect(empty).toBe(ours("DELETE", url, headers, undefined));
    expect(empty).toBe(sdkAuthorization("DELETE", url, headers, ""));
    expect(empty).toBe(sdkAuthorization("DELETE", url, headers, undefined));
    expect(EMPTY_BODY_SHA256).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  // sdk-core's processAuthRequest adds X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD to requests without a JSON
  // content type; buildPayloadHash then signs that value instead of the body's hash, and signs the header.
  it.each([
    ["a GET", "GET", undefined],
    ["a DELETE with a body", "DELETE", { instances: ["a"] }],
  ])("signs X-Sdk-Content-Sha256 as the payload hash on %s, as the SDK does", (_, method, data) => {
    const url = new URL("https://dcs.example.test/v2/p1/instances");
    const headers = { "X-Project-Id": "p1", "X-Sdk-Date": DATE, "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD" };
    const auth = ours(method, url, headers, data === undefined ? undefined : JSON.stringify(data));
    expect(auth).toContain("SignedHeaders=host;x-project-id;x-sdk-content-sha256;x-sdk-date,");
    expect(auth).toBe(sdkAuthorization(method, url, headers, data));
  });

  it("encodes reserved and multi-byte characters as the spec says", () => {
    expect(urlEncode("a b/c~d_e.f-g")).toBe("a%20b%2Fc~d_e.f-g");
    expect(urlEncode("ü")).toBe("%C3%BC");
    expect(canonicalUri("/v2/p1/instances")).toBe("/v2/p1/instances/");
    expect(canonicalUri("/v2/p1/instances/")).toBe("/v2/p1/instances/");
  });
});
