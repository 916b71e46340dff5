// Signature verification for the DCS simulator with Huawei's own code (@huaweicloud/huaweicloud-sdk-core's
// AKSKSigner building blocks), never the project's signer: a bug in src/providers/dcs/signer.ts then shows as a
// 401 in the provider tests instead of agreeing with itself.
import { createHash } from "node:crypto";
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";

/** The SDK's protected static helpers, reached as the SDK's own sign() reaches them. */
interface SdkSignerParts {
  urlEncode(text: string): string;
  CanonicalQueryString(request: { queryParams: Record<string, string | string[]> }): string;
  buildCanonicalHeaders(headers: Record<string, string>): string;
  buildCanonicalRequest(
    method: string,
    canonicalURI: string,
    canonicalQueryString: string,
    canonicalHeaders: string,
    signedHeaderNames: string,
    payloadHash: string,
  ): string;
  getStringToSign(algorithm: string, date: string, canonicalRequestHash: string): string;
  Hex(text: string): string;
  hmacSHA256(secretKey: string, text: string): string;
  EMPTY_BODY_SHA256: string;
  SDK_SIGNING_ALGORITHM: string;
}

const sdk = AKSKSigner as unknown as SdkSignerParts;

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

/** `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`, as the API gateway documents it. */
export function readAuthorization(value: string): ParsedAuthorization | undefined {
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      value.trim(),
    );
  if (!match) return undefined;
  return { accessKey: match[1] ?? "", signedHeaders: (match[2] ?? "").split(";"), signature: match[3] ?? "" };
}

/** A path as it arrived, decoded once (the gateway signs values, not their percent-encoding). */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The signature the gateway expects: canonical request over exactly the signed headers, the payload hash from
 * X-Sdk-Content-Sha256 when signed, else of the exact body bytes.
 */
export function expectedSignature(
  request: { method: string; target: string; headers: Record<string, string>; body: Buffer },
  secretKey: string,
  date: string,
): string {
  const url = new URL(request.target, "http://gateway.invalid");
  const segments = decodePath(url.pathname)
    .split("/")
    .map((s) => sdk.urlEncode(s));
  let canonicalUri = segments.join("/");
  if (!canonicalUri.endsWith("/")) canonicalUri += "/";
  const queryParams: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    queryParams[key] = values.length > 1 ? values : (values[0] ?? "");
  }
  const names = Object.keys(request.headers).sort();
  const contentSha = request.headers["x-sdk-content-sha256"];
  const payloadHash =
    contentSha !== undefined && contentSha !== ""
      ? contentSha
      : request.body.length === 0
        ? sdk.EMPTY_BODY_SHA256
        : createHash("sha256").update(request.body).digest("hex");
  const canonicalRequest = sdk.buildCanonicalRequest(
    request.method.toUpperCase(),
    canonicalUri,
    sdk.CanonicalQueryString({ queryParams }),
    sdk.buildCanonicalHeaders(request.headers),
    names.join(";"),
    payloadHash,
  );
  const stringToSign = sdk.getStringToSign(sdk.SDK_SIGNING_ALGORITHM, date, sdk.Hex(canonicalRequest));
  return sdk.hmacSHA256(secretKey, stringToSign);
}
