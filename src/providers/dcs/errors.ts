// DCS and API gateway error replies -> typed RemoteErrors (docs/protocols/dcs.md "Errors").
import {
  AuthError,
  BadRequestError,
  NotFoundError,
  type RemoteError,
  type RemoteErrorDetails,
  ServerError,
  StateForbidsError,
  ThrottledError,
} from "../errors.js";

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
  if (
    details.status === 401 ||
    details.status === 403 ||
    TOKEN_CODES.has(code) ||
    code.startsWith("APIGW.0301")
  )
    return new AuthError("authentication failed", full);
  if (details.status === 404 || code === "DCS.3022") return new NotFoundError("not found", full);
  if (BUSY_CODES.has(code)) return new StateForbidsError("instance state forbids the operation now", full);
  if (details.status >= 400 && details.status < 500) return new BadRequestError("refused", full);
  return new ServerError("server error", full);
}
