import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { DomainError, ERROR_CODES, type ErrorCode } from "../../core/errors.js";
import { AuditWriteError } from "../../core/audit.js";
import { SCIM_ERROR_SCHEMA } from "../../core/scim.js";

/** Anthropic's error envelope, used on the data plane and the admin API. */
export interface ErrorEnvelope {
  type: "error";
  error: { type: string; message: string; details?: Record<string, string> };
  request_id: string;
}

export function envelope(code: ErrorCode, message: string, requestId: string, details?: Record<string, string>): ErrorEnvelope {
  return { type: "error", error: { type: ERROR_CODES[code].type, message, ...(details ? { details } : {}) }, request_id: requestId };
}

/** Maps any error to (status, envelope). The only place where codes become HTTP. */
export function toHttpError(err: unknown, requestId: string): { status: number; body: ErrorEnvelope; log: boolean } {
  if (err instanceof DomainError) {
    return { status: ERROR_CODES[err.code].status, body: envelope(err.code, err.message, requestId, err.details), log: false };
  }
  if (err instanceof AuditWriteError) {
    return { status: 503, body: envelope("audit_unavailable", "the audit log could not be written; nothing was changed", requestId), log: true };
  }
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (fe.validation) {
    const first = fe.validation[0];
    const where = fe.validationContext ?? "body";
    const path = first?.instancePath ? first.instancePath.replace(/^\//, "").replace(/\//g, ".") : "";
    const extra = first?.keyword === "additionalProperties" ? `: unknown field ${JSON.stringify((first.params as { additionalProperty?: string }).additionalProperty)}` : "";
    const message = `${where}${path ? `.${path}` : ""}: ${first?.message ?? "invalid"}${extra}`;
    return { status: 400, body: envelope("validation_failed", message.slice(0, 500), requestId), log: false };
  }
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: envelope("request_too_large", "request body is too large", requestId), log: false };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, body: envelope("unsupported_media_type", "content-type must be application/json", requestId), log: false };
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 413 ? "request_too_large" : fe.statusCode === 404 ? "not_found" : "invalid_request";
    const status = fe.statusCode === 413 || fe.statusCode === 404 ? fe.statusCode : 400;
    return { status, body: envelope(code, publicMessage(fe), requestId), log: false };
  }
  return { status: 500, body: envelope("internal_error", "internal error", requestId), log: true };
}

function publicMessage(fe: Partial<FastifyError>): string {
  if (fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return "request body must not be empty";
  if (fe instanceof SyntaxError || fe.name === "SyntaxError") return "request body is not valid JSON";
  return "invalid request";
}

/** SCIM's error envelope (RFC 7644 §3.12) for the same catalog, used under /scim. */
export function toScimError(err: unknown, requestId: string): { status: number; body: { schemas: string[]; status: string; scimType?: string; detail: string }; log: boolean } {
  const mapped = toHttpError(err, requestId);
  const scimType = err instanceof DomainError && err.details?.scim_type !== undefined ? err.details.scim_type : mapped.status === 400 ? "invalidValue" : undefined;
  return { status: mapped.status, body: { schemas: [SCIM_ERROR_SCHEMA], status: String(mapped.status), ...(scimType ? { scimType } : {}), detail: mapped.body.error.message }, log: mapped.log };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (request.url.startsWith("/scim/")) {
    const scim = toScimError(err, request.id);
    if (scim.log) request.log.error({ err }, "request failed");
    return reply.code(scim.status).header("content-type", "application/scim+json").send(scim.body);
  }
  const mapped = toHttpError(err, request.id);
  if (mapped.log) request.log.error({ err }, "request failed");
  return reply.code(mapped.status).header("content-type", "application/json").send(mapped.body);
}
