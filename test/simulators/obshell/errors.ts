// The agent's error replies: errCode, HTTP status and the legacy integer code.

/**
 * The error's deprecated integer code, as the agent fills `error.code` (obshell ob/agent/errors/errorcode.go: the
 * fourth argument of NewErrorCode; lib/http/response.go buildErrorResponse copies ErrorCode().OldCode, omitted
 * when 0). Only these codes carry one.
 */
export function legacyCodeOf(errCode: string): number | undefined {
  if (errCode === "Security.Authentication.Header.DecryptFailed") return 1;
  if (errCode === "Common.Unauthorized") return 10008;
  if (LEGACY_AUTH_CODES.has(errCode)) return 10008;
  return undefined;
}

const LEGACY_AUTH_CODES = new Set([
  "Security.Authentication.Unauthorized",
  "Security.Authentication.Header.UriMismatch",
  "Security.Authentication.WithAgentPassword",
  "Security.Authentication.IncorrectAgentPassword",
  "Security.Authentication.IncorrectOceanbasePassword",
  "Security.Authentication.UnknownPasswordType",
  "Security.Authentication.Expired",
  "Security.Authentication.Timestamp.Invalid",
  "Security.Authentication.IncorrectToken",
  "Security.Authentication.WithOceanBasePassword",
  "Security.Authentication.AgentPasswordNotInitialized",
  "Security.Authentication.SessionInvalid",
  "Security.Authentication.SessionExpired",
]);

export class AgentError extends Error {
  readonly legacyCode: number | undefined;
  constructor(
    readonly status: number,
    readonly errCode: string,
    message: string,
  ) {
    super(message);
    this.legacyCode = legacyCodeOf(errCode);
  }
}
