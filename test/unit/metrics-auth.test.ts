// The /metrics filter's decisions and caches, as controller-runtime's filters.WithAuthenticationAndAuthorization
// (pkg/metrics/filters/filters.go) makes them, against a recorded stand-in for the two review APIs; the real
// API server's answers are in test/integration/metrics-auth.test.ts. And the self-signed certificate.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ALLOW_CACHE_MS,
  bearerToken,
  DENY_CACHE_MS,
  MetricsAuthorizer,
  TOKEN_CACHE_MS,
} from "../../src/observability/metrics-auth.js";
import { selfSignedCertificate } from "../../src/observability/self-signed.js";

const TOKENS: Record<string, { username: string; groups: string[] }> = {
  reader: { username: "system:serviceaccount:monitoring:prometheus", groups: ["system:authenticated"] },
  stranger: { username: "system:serviceaccount:a:b", groups: ["system:authenticated"] },
};

function world() {
  let now = 0;
  const calls: { path: string; body: { spec: Record<string, unknown> } }[] = [];
  let failing = false;
  const api = {
    async create(path: string, body: unknown) {
      const b = body as { spec: Record<string, unknown> };
      calls.push({ path, body: b });
      if (failing) throw new Error("connection refused");
      if (path.endsWith("/tokenreviews")) {
        const user = TOKENS[String(b.spec.token)];
        return { status: user ? { authenticated: true, user } : { authenticated: false } };
      }
      return { status: { allowed: b.spec.user === TOKENS.reader?.username } };
    },
  };
  const authorizer = new MetricsAuthorizer(api, () => now);
  return {
    authorizer,
    calls,
    advance: (ms: number) => (now += ms),
    fail: (on: boolean) => (failing = on),
  };
}

describe("bearerToken", () => {
  it.each<[string | undefined, string | undefined, string]>([
    ["Bearer abc", "abc", "the usual header"],
    ["bearer abc", "abc", "the scheme in any case"],
    [undefined, undefined, "no header"],
    ["Basic YTpi", undefined, "another scheme"],
    ["Bearer ", undefined, "an empty token"],
    ["Bearer", undefined, "no token at all"],
  ])("%s -> %s (%s)", (header, want) => expect(bearerToken(header)).toBe(want));
});

describe("MetricsAuthorizer", () => {
  it("401 without a token or with one the API server does not know; no SubjectAccessReview then", async () => {
    const w = world();
    expect(await w.authorizer.check(undefined, "GET", "/metrics")).toEqual({
      allowed: false,
      status: 401,
      message: "Unauthorized",
    });
    expect((await w.authorizer.check("Bearer nobody", "GET", "/metrics")).allowed).toBe(false);
    expect(w.calls.map((c) => c.path)).toEqual(["/apis/authentication.k8s.io/v1/tokenreviews"]);
  });

  it("asks get /metrics for the user the token names, with its groups, and answers 403 or allows", async () => {
    const w = world();
    expect(await w.authorizer.check("Bearer stranger", "GET", "/metrics")).toEqual({
      allowed: false,
      status: 403,
      message: "Authorization denied for user system:serviceaccount:a:b",
    });
    expect(w.calls[1]?.body.spec).toEqual({
      user: "system:serviceaccount:a:b",
      groups: ["system:authenticated"],
      nonResourceAttributes: { path: "/metrics", verb: "get" },
    });
    expect(await w.authorizer.check("Bearer reader", "GET", "/metrics")).toEqual({ allowed: true });
  });

  it("caches a token a minute, an allow five minutes and a deny thirty seconds", async () => {
    const w = world();
    const count = () => w.calls.length;
    await w.authorizer.check("Bearer reader", "GET", "/metrics");
    await w.authorizer.check("Bearer stranger", "GET", "/metrics");
    expect(count()).toBe(4);
    await w.authorizer.check("Bearer reader", "GET", "/metrics");
    await w.authorizer.check("Bearer stranger", "GET", "/metrics");
    expect(count()).toBe(4);
    w.advance(DENY_CACHE_MS);
    await w.authorizer.check("Bearer stranger", "GET", "/metrics");
    expect(count()).toBe(5); // the deny expired, the token did not
    w.advance(TOKEN_CACHE_MS - DENY_CACHE_MS);
    await w.authorizer.check("Bearer reader", "GET", "/metrics");
    expect(w.calls.slice(5).map((c) => c.path)).toEqual(["/apis/authentication.k8s.io/v1/tokenreviews"]);
    w.advance(ALLOW_CACHE_MS);
    await w.authorizer.check("Bearer reader", "GET", "/metrics");
    expect(w.calls.slice(6).map((c) => c.path)).toEqual([
      "/apis/authentication.k8s.io/v1/tokenreviews",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    ]);
  });

  it("500 when the API server cannot answer, and no decision is cached from it", async () => {
    const w = world();
    w.fail(true);
    expect(await w.authorizer.check("Bearer reader", "GET", "/metrics")).toEqual({
      allowed: false,
      status: 500,
      message: "Authentication failed",
    });
    w.fail(false);
    expect(await w.authorizer.check("Bearer reader", "GET", "/metrics")).toEqual({ allowed: true });
  });
});

describe("selfSignedCertificate", () => {
  it("is a self-signed server certificate for localhost and 127.0.0.1, valid from an hour ago for a year", () => {
    const now = new Date("2026-12-03T08:00:00Z");
    const { cert } = selfSignedCertificate(["localhost"], ["127.0.0.1"], now);
    const x = new X509Certificate(cert);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.issuer).toBe(x.subject);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(x.checkHost("localhost")).toBe("localhost");
    expect(new Date(x.validFrom).toISOString()).toBe("2026-12-03T07:00:00.000Z");
    expect(new Date(x.validTo).toISOString()).toBe("2027-12-03T08:00:00.000Z");
  });

  it("writes times from 2050 on as GeneralizedTime", () => {
    const x = new X509Certificate(
      selfSignedCertificate(undefined, undefined, new Date("2049-06-01T00:00:00Z")).cert,
    );
    expect(new Date(x.validTo).toISOString()).toBe("2050-06-01T00:00:00.000Z");
  });
});
