import type { FastifyRequest } from "fastify";
import type { RequestMeta } from "../../services/context.js";

/** Request id, source address and user agent of a request, for audit events. */
export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers["user-agent"];
  return { requestId: request.id, ip: request.ip ?? null, userAgent: typeof ua === "string" ? ua.slice(0, 512) : null };
}
