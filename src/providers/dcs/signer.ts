// Huawei Cloud SDK-HMAC-SHA256 request signing (docs/protocols/dcs.md "AK/SK signing"), as the official SDKs do it.
import { createHash, createHmac } from "node:crypto";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** Bytes A-Z a-z 0-9 - _ . ~ stay; every other byte of the UTF-8 form becomes %XX (upper-case hex). */
export function urlEncode(text: string): string {
  let out = "";
  for (const char of text) {
    if (UNRESERVED.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8"))
      out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * `%XX` sequences -> the bytes they name, read as UTF-8; a `%` not followed by two hex digits stays, as Python's
 * urllib.parse.unquote leaves it.
 */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) ?? 0);
    bytes.push(...Buffer.from(char, "utf8"));
    i += char.length;
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * `/v2/p/instances` -> `/v2/p/instances/`: the path as sent is decoded first (a segment that arrives
 * percent-encoded, like an id through encodeURIComponent, is signed by its value, as the Python SDK's
 * unquote-then-quote and the Node SDK's raw path parameters both do), then each segment encoded, a trailing
 * slash added.
 */
export function canonicalUri(pathname: string): string {
  const encoded = percentDecode(pathname).split("/").map(urlEncode).join("/");
  return encoded.endsWith("/") ? encoded : `${encoded}/`;
}

export function canonicalQuery(params: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of params) byKey.set(key, [...(byKey.get(key) ?? []), value]);
  const parts: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    for (const value of (byKey.get(key) ?? []).sort()) parts.push(`${urlEncode(key)}=${urlEncode(value)}`);
  }
  return parts.join("&");
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface SignableRequest {
  method: string;
  url: URL;
  /** Header name -> value; every one of them is signed. */
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
}

export interface SignatureParts {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
}

/** The canonical request and signature over exactly the headers given. */
export function computeSignature(req: SignableRequest, secretKey: string, date: string): SignatureParts {
  const headers = Object.entries(req.headers).map(
    ([name, value]) => [name.toLowerCase(), value.trim()] as const,
  );
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(";");
  const canonicalHeaders = headers.map(([name, value]) => `${name}:${value}\n`).join("");
  // As huaweicloud-sdk-core's buildPayloadHash: a non-empty X-Sdk-Content-Sha256 (e.g. UNSIGNED-PAYLOAD) is the
  // payload hash as signed among the headers; else the body's hash, an empty body hashing as "".
  const contentSha = headers.find(([name]) => name === "x-sdk-content-sha256")?.[1];
  const payloadHash =
    contentSha !== undefined && contentSha !== ""
      ? contentSha
      : req.body === undefined || req.body.length === 0
        ? EMPTY_BODY_SHA256
        : sha256Hex(req.body);
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.url.pathname),
    canonicalQuery(req.url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const stringToSign = `${SIGNING_ALGORITHM}\n${date}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac("sha256", secretKey).update(stringToSign).digest("hex");
  return { canonicalRequest, stringToSign, signedHeaders, signature };
}

/** `20191115T033655Z` */
export function sdkDate(at: Date): string {
  return `${at.toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`;
}

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/**
 * Adds X-Sdk-Date (unless present), host and Authorization to `headers`, signing every header sent,
 * as the Node, Java and Python SDKs do.
 */
export function signRequest(
  req: SignableRequest,
  credentials: Credentials,
  now: Date,
): Record<string, string> {
  const headers: Record<string, string> = { ...req.headers };
  const dateHeader = Object.keys(headers).find((h) => h.toLowerCase() === "x-sdk-date");
  const date = dateHeader ? (headers[dateHeader] ?? sdkDate(now)) : sdkDate(now);
  if (!dateHeader) headers["X-Sdk-Date"] = date;
  if (!Object.keys(headers).some((h) => h.toLowerCase() === "host")) headers.host = req.url.host;
  const parts = computeSignature({ ...req, headers }, credentials.secretKey, date);
  headers.Authorization = `${SIGNING_ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${parts.signedHeaders}, Signature=${parts.signature}`;
  return headers;
}

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      value.trim(),
    );
  if (!match) return undefined;
  return { accessKey: match[1] ?? "", signedHeaders: (match[2] ?? "").split(";"), signature: match[3] ?? "" };
}
