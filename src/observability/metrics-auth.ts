// Authentication and authorization of /metrics, as controller-runtime's filters.WithAuthenticationAndAuthorization
// (pkg/metrics/filters/filters.go): the bearer token is checked with a TokenReview, then the user it names
// with a SubjectAccessReview for the non-resource URL and the request's verb (`get /metrics`). No token, or
// one the API server does not know: 401. Known but not allowed: 403. The API server cannot answer: 500.
// Answers are cached as its delegating authenticator and authorizer cache them: a token for a minute, an
// allow for five minutes, a deny for thirty seconds. The operator needs `create` on tokenreviews and
// subjectaccessreviews; a scraper needs `get` on the non-resource URL /metrics (ClusterRole dbfleet-metrics-reader).
import { createHash } from "node:crypto";
import { z } from "zod";

/** What the filter needs from the API server: POST a review and get the stored answer back. */
export interface ReviewApi {
  create(path: string, body: unknown): Promise<unknown>;
}

export type MetricsAccess = { allowed: true } | { allowed: false; status: 401 | 403 | 500; message: string };

/** filters.go's cache lifetimes (DelegatingAuthenticatorConfig.CacheTTL, DelegatingAuthorizerConfig TTLs). */
export const TOKEN_CACHE_MS = 60_000;
export const ALLOW_CACHE_MS = 300_000;
export const DENY_CACHE_MS = 30_000;
/** Bound on each cache: a scraper flood of made-up tokens costs one TokenReview each, never memory. */
const MAX_CACHED = 1024;

const userInfo = z.object({
  username: z.string().default(""),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});
type UserInfo = z.infer<typeof userInfo>;

const tokenReview = z.object({
  status: z
    .object({
      authenticated: z.boolean().optional(),
      user: userInfo.optional(),
      error: z.string().optional(),
    })
    .default({}),
});
const subjectAccessReview = z.object({
  status: z.object({ allowed: z.boolean(), reason: z.string().optional() }).default({ allowed: false }),
});

class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(private readonly now: () => number) {}
  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > this.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_CACHED) this.entries.delete(this.entries.keys().next().value ?? "");
    this.entries.set(key, { value, until: this.now() + ttlMs });
  }
}

/** The token of `Authorization: Bearer <token>`, as the API server's bearer token authenticator reads it. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? "").trim().split(" ");
  if (parts.length < 2 || parts[0]?.toLowerCase() !== "bearer") return undefined;
  const token = parts[1] ?? "";
  return token === "" ? undefined : token;
}

export class MetricsAuthorizer {
  private readonly users: TtlCache<UserInfo | null>;
  private readonly decisions: TtlCache<boolean>;

  constructor(
    private readonly api: ReviewApi,
    now: () => number = Date.now,
  ) {
    this.users = new TtlCache(now);
    this.decisions = new TtlCache(now);
  }

  /** Whether the request with this Authorization header may `verb` `path`. */
  async check(authorization: string | undefined, verb: string, path: string): Promise<MetricsAccess> {
    const token = bearerToken(authorization);
    if (token === undefined) return { allowed: false, status: 401, message: "Unauthorized" };
    let user: UserInfo | null;
    try {
      user = await this.authenticate(token);
    } catch {
      return { allowed: false, status: 500, message: "Authentication failed" };
    }
    if (user === null) return { allowed: false, status: 401, message: "Unauthorized" };
    try {
      if (await this.authorize(user, verb.toLowerCase(), path)) return { allowed: true };
    } catch {
      return { allowed: false, status: 500, message: `Authorization for user ${user.username} failed` };
    }
    return { allowed: false, status: 403, message: `Authorization denied for user ${user.username}` };
  }

  private async authenticate(token: string): Promise<UserInfo | null> {
    // Keyed by a digest: the cache never holds a token.
    const key = createHash("sha256").update(token).digest("hex");
    const cached = this.users.get(key);
    if (cached !== undefined) return cached;
    const answer = tokenReview.parse(
      await this.api.create("/apis/authentication.k8s.io/v1/tokenreviews", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token },
      }),
    );
    const user = answer.status.authenticated && answer.status.user ? answer.status.user : null;
    this.users.set(key, user, TOKEN_CACHE_MS);
    return user;
  }

  private async authorize(user: UserInfo, verb: string, path: string): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, path]);
    const cached = this.decisions.get(key);
    if (cached !== undefined) return cached;
    const answer = subjectAccessReview.parse(
      await this.api.create("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb },
        },
      }),
    );
    this.decisions.set(key, answer.status.allowed, answer.status.allowed ? ALLOW_CACHE_MS : DENY_CACHE_MS);
    return answer.status.allowed;
  }
}
