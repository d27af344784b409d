/**
 * The closed error catalog. Every error a caller can see has a code here; `server/http/errors.ts`
 * maps codes to HTTP status and envelope in one place. Messages are safe to show; they never
 * carry secrets.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, type: "invalid_request_error" },
  validation_failed: { status: 400, type: "invalid_request_error" },
  name_not_descriptive: { status: 400, type: "invalid_request_error" },
  invalid_state_transition: { status: 400, type: "invalid_request_error" },
  already_member: { status: 400, type: "invalid_request_error" },
  invite_already_exists: { status: 400, type: "invalid_request_error" },
  authentication_failed: { status: 401, type: "authentication_error" },
  permission_denied: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  conflict: { status: 409, type: "conflict_error" },
  request_too_large: { status: 413, type: "request_too_large" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  internal_error: { status: 500, type: "api_error" },
  audit_unavailable: { status: 503, type: "api_error" },
  setup_already_done: { status: 410, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  spend_limit_reached: { status: 400, type: "invalid_request_error" },
  model_not_allowed: { status: 403, type: "permission_error" },
  source_not_allowed: { status: 403, type: "permission_error" },
  unpriced_model: { status: 400, type: "invalid_request_error" },
  upstream_not_configured: { status: 503, type: "api_error" },
  upstream_unavailable: { status: 502, type: "api_error" },
  upstream_timeout: { status: 504, type: "timeout_error" },
  counters_unavailable: { status: 503, type: "api_error" },
  storage_unavailable: { status: 503, type: "api_error" },
  key_already_rotated: { status: 400, type: "invalid_request_error" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure the caller can act on. `message` is public; `cause` is logged only. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, string> | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DomainError";
    this.code = code;
    this.details = options?.details;
  }
}

/** The single public message of every authentication failure (K4: no oracle). */
export const AUTHENTICATION_FAILED_MESSAGE = "invalid x-api-key";

export function notFound(what: string, id: string): DomainError {
  return new DomainError("not_found", `${what} ${JSON.stringify(id)} not found`);
}

export function forbidden(permission: string): DomainError {
  return new DomainError("permission_denied", `This credential lacks the permission ${permission}`);
}
