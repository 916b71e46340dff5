// DCS and API gateway error replies -> typed RemoteErrors (docs/protocols/dcs.md "Errors").
import {
  AuthError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  type RemoteError,
  type RemoteErrorDetails,
  ServerError,
  StateForbidsError,
  ThrottledError,
} from "../errors.js";
import { camelErrorReply, errorReply, legacyErrorReply } from "./schemas.js";

/** Codes Huawei's Terraform provider treats as "the instance is busy: try later". */
export const BUSY_CODES = new Set([
  "DCS.4026",
  "DCS.4049",
  "DCS.4096",
  "DCS.4097",
  "DCS.4099",
  "DCS.4111",
  "DCS.4113",
  "DCS.4114",
  "DCS.4115",
  "DCS.4116",
  "DCS.4117",
  "DCS.4118",
  "DCS.4120",
  "DCS.4121",
  "DCS.4231",
  "DCS.4975",
  "CBC.99003651",
]);
const TOKEN_CODES = new Set(["DCS.1001", "DCS.1002", "DCS.1003", "DCS.1004"]);

export function dcsError(
  details: Omit<RemoteErrorDetails, "provider"> & { status: number; retryAfterMs?: number | undefined },
): RemoteError {
  const full: RemoteErrorDetails = { ...details, provider: "dcs" };
  const code = details.remoteCode ?? "";
  if (details.status === 429 || code === "APIGW.0308")
    return new ThrottledError("throttled", { ...full, retryAfterMs: details.retryAfterMs });
  if (details.status === 401 || TOKEN_CODES.has(code) || code.startsWith("APIGW.0301"))
    return new AuthError("authentication failed", full);
  // 403: who the caller is was accepted; what it asked is not allowed (IAM). Not a bad credential.
  if (details.status === 403) return new PermissionDeniedError("permission denied", full);
  if (details.status === 404 || code === "DCS.3022") return new NotFoundError("not found", full);
  if (BUSY_CODES.has(code)) return new StateForbidsError("instance state forbids the operation now", full);
  if (details.status >= 400 && details.status < 500) return new BadRequestError("refused", full);
  return new ServerError("server error", full);
}

export interface ParsedErrorBody {
  code: string;
  message?: string | undefined;
  requestId?: string | undefined;
}

function flatShape(json: unknown): ParsedErrorBody | undefined {
  const current = errorReply.safeParse(json);
  if (current.success)
    return {
      code: current.data.error_code,
      message: current.data.error_msg ?? undefined,
      requestId: current.data.request_id,
    };
  const camel = camelErrorReply.safeParse(json);
  if (camel.success)
    return {
      code: camel.data.errorCode,
      message: camel.data.errorMsg ?? undefined,
      requestId: camel.data.request_id,
    };
  const legacy = legacyErrorReply.safeParse(json);
  if (legacy.success)
    return {
      code: legacy.data.code,
      message: legacy.data.message ?? undefined,
      requestId: legacy.data.request_id,
    };
  return undefined;
}

/**
 * The code and message of an error body in any shape the official SDKs read: `{error_code, error_msg}`,
 * `{errorCode, errorMsg}`, `{code, message}`, or one of them one level down (`{"error": {...}}` first, then any
 * other member, as huaweicloud-sdk-core's SignerUtil.getErr and ExceptionUtil do). Undefined when none fits.
 */
export function parseErrorBody(json: unknown): ParsedErrorBody | undefined {
  const top = flatShape(json);
  if (top) return top;
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
  const members = Object.entries(json as Record<string, unknown>);
  members.sort(([a], [b]) => (a === "error" ? -1 : b === "error" ? 1 : 0));
  for (const [, value] of members) {
    const nested = flatShape(value);
    if (nested) return nested;
  }
  return undefined;
}
