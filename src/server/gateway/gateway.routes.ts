import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainError } from "../../core/errors.js";
import type { RawUsage } from "../../core/usage.js";
import type { Admitted, Gateway } from "../../services/gateway/gateway.js";
import { modelAllowed } from "../../core/admission.js";
import { RateLimitedError } from "../../services/gateway/gateway.js";
import type { KeyPolicy } from "../../services/gateway/policy-cache.js";
import { requestMeta } from "../http/meta.js";
import { sendError } from "../http/errors.js";
import { SseUsageTap, sseError } from "./sse.js";
import type { Metrics } from "../metrics.js";
import { type Upstream, type UpstreamCall, isTimeout } from "./upstream.js";

/** Request headers never forwarded upstream: hop-by-hop, the client's credentials, Gatehouse-only routing. */
const DROP_REQUEST_HEADERS = new Set([
  "host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection",
  "content-length", "authorization", "x-api-key", "anthropic-workspace-id", "anthropic-user-profile-id", "cookie", "accept-encoding",
  "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
]);

/** Response headers passed back to the client. */
const PASS_RESPONSE_HEADERS = /^(content-type|request-id|retry-after|retry-after-ms|x-should-retry|anthropic-ratelimit-.*|anthropic-priority-.*|anthropic-fast-.*)$/;

const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function upstreamHeaders(request: FastifyRequest, upstreamKey: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || DROP_REQUEST_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(",") : value;
  }
  out["x-api-key"] = upstreamKey;
  out["accept-encoding"] = "identity";
  return out;
}

function clientHeaders(upstream: Record<string, string | string[] | undefined>, requestId: string, workspaceId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value !== undefined && PASS_RESPONSE_HEADERS.test(name)) out[name] = Array.isArray(value) ? value.join(",") : value;
  }
  out["request-id"] ??= requestId;
  out["gatehouse-request-id"] = requestId;
  out["anthropic-workspace-id"] = workspaceId;
  return out;
}

function queryOf(request: FastifyRequest): string {
  const i = request.url.indexOf("?");
  return i === -1 ? "" : request.url.slice(i);
}

function rateLimitHeaders(err: RateLimitedError): Record<string, string> {
  const seconds = Math.min(60, Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  const reset = new Date(Date.now() + err.retryAfterMs).toISOString();
  const family = err.check.type === "requests_per_minute" ? "requests" : err.check.type === "input_tokens_per_minute" ? "input-tokens" : "output-tokens";
  return {
    "retry-after": String(seconds),
    "retry-after-ms": String(err.retryAfterMs),
    [`anthropic-ratelimit-${family}-limit`]: String(err.check.capacity),
    [`anthropic-ratelimit-${family}-remaining`]: String(Math.max(0, err.remaining)),
    [`anthropic-ratelimit-${family}-reset`]: reset,
  };
}

/** Sends a Gatehouse-made error on the data plane (same envelope as Anthropic's). */
function fail(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof RateLimitedError) reply.headers(rateLimitHeaders(err));
  if (err instanceof DomainError) reply.header("gatehouse-denial", err.code);
  return sendError(request, reply, err);
}

interface MessageBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  speed?: string;
  inference_geo?: string;
}

/** The request body as a JSON object (the body itself is forwarded as received). */
function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new DomainError("invalid_request", "request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DomainError("invalid_request", "request body must be a JSON object");
  return body as Record<string, unknown>;
}

function requireModel(b: Record<string, unknown>): string {
  if (typeof b.model !== "string" || b.model.length === 0 || b.model.length > 256) throw new DomainError("invalid_request", "model: Field required");
  return b.model;
}

function parseMessageBody(raw: Buffer): MessageBody {
  const b = parseJsonObject(raw);
  const model = requireModel(b);
  if (typeof b.max_tokens !== "number" || !Number.isSafeInteger(b.max_tokens) || b.max_tokens < 1) {
    throw new DomainError("invalid_request", "max_tokens: Field required (a positive integer)");
  }
  return {
    model, max_tokens: b.max_tokens, stream: b.stream === true,
    ...(typeof b.speed === "string" ? { speed: b.speed } : {}), ...(typeof b.inference_geo === "string" ? { inference_geo: b.inference_geo } : {}),
  };
}

export interface GatewayRoutesOptions {
  gateway: Gateway;
  upstream: Upstream;
  bodyLimitBytes: number;
  metrics?: Metrics | undefined;
}

/**
 * The data plane: `/v1/messages` (JSON and SSE), `/v1/messages/count_tokens` and `/v1/models`,
 * drop-in compatible with Anthropic's API for the official SDKs.
 */
export async function registerGatewayRoutes(app: FastifyInstance, opts: GatewayRoutesOptions): Promise<void> {
  const { gateway, upstream } = opts;
  const metrics = opts.metrics;
  await app.register(async (dp) => {
    dp.removeAllContentTypeParsers();
    // Streams are hijacked and record themselves in forwardMessage.
    dp.addHook("onResponse", (request, reply, done) => {
      if (metrics) {
        metrics.recordRequest(request.routeOptions.url ?? "unknown", reply.statusCode, reply.elapsedTime / 1000);
        if (reply.statusCode >= 400) {
          const reason = reply.getHeader("gatehouse-denial");
          if (typeof reason === "string") metrics.denials.inc({ reason });
        }
      }
      done();
    });
    dp.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimitBytes }, (_req, body, done) => done(null, body));

    /** The caller's key policy; also refuses early when there is no upstream credential to forward with. */
    const authenticate = async (request: FastifyRequest): Promise<KeyPolicy> => {
      const policy = await gateway.authenticate({ xApiKey: header(request, "x-api-key"), authorization: header(request, "authorization") }, header(request, "anthropic-workspace-id"), requestMeta(request));
      if (!policy.upstreamKey) throw new DomainError("upstream_not_configured", "no upstream credential is configured for this workspace or organization");
      return policy;
    };

    dp.post("/v1/messages", { config: { access: "inference" }, bodyLimit: opts.bodyLimitBytes }, async (request, reply) => {
      let admitted: Admitted | null = null;
      let policy: KeyPolicy;
      let body: MessageBody;
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        policy = await authenticate(request);
        body = parseMessageBody(raw);
        gateway.authorize(policy, body.model, request.ip ?? null);
        admitted = await gateway.admit(policy, { model: body.model, maxTokens: body.max_tokens, stream: body.stream === true, bodyBytes: raw.length, speed: body.speed, inferenceGeo: body.inference_geo });
      } catch (err) {
        return fail(request, reply, err);
      }
      return forwardMessage(request, reply, gateway, upstream, admitted, raw, body, policy, metrics);
    });

    dp.post("/v1/messages/count_tokens", { config: { access: "inference" }, bodyLimit: opts.bodyLimitBytes }, async (request, reply) => {
      try {
        const policy = await authenticate(request);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        gateway.authorize(policy, requireModel(parseJsonObject(raw)), request.ip ?? null);
        return await passThrough(request, reply, upstream, policy, "POST", `/v1/messages/count_tokens${queryOf(request)}`, raw);
      } catch (err) {
        return fail(request, reply, err);
      }
    });

    dp.get("/v1/models", { config: { access: "inference" } }, async (request, reply) => {
      try {
        const policy = await authenticate(request);
        const res = await callUpstream(request, upstream, policy, "GET", `/v1/models${queryOf(request)}`);
        const text = (await readUpstreamBody(res)).toString("utf8");
        const headers = clientHeaders(res.headers, request.id, policy.workspace.id);
        if (res.statusCode !== 200) return reply.code(res.statusCode).headers(headers).send(text);
        const list = JSON.parse(text) as { data?: { id: string }[]; first_id?: string | null; last_id?: string | null };
        // Only the models this key may use are listed.
        const data = (list.data ?? []).filter((m) => modelAllowed(policy.key, m.id));
        return reply.code(200).headers(headers).send({ ...list, data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null });
      } catch (err) {
        return fail(request, reply, err);
      }
    });

    dp.get("/v1/models/:model_id", { config: { access: "inference" } }, async (request, reply) => {
      try {
        const policy = await authenticate(request);
        const modelId = (request.params as { model_id: string }).model_id;
        if (!modelAllowed(policy.key, modelId)) throw new DomainError("not_found", `model ${JSON.stringify(modelId)} not found`);
        return await passThrough(request, reply, upstream, policy, "GET", `/v1/models/${encodeURIComponent(modelId)}${queryOf(request)}`);
      } catch (err) {
        return fail(request, reply, err);
      }
    });
  });
}

/** Sends the request upstream with the workspace's credential; the response arrives through the call. */
function startUpstream(request: FastifyRequest, upstream: Upstream, policy: KeyPolicy, method: "GET" | "POST", path: string, body?: Buffer): UpstreamCall {
  return upstream.start({ method, path, headers: upstreamHeaders(request, policy.upstreamKey ?? ""), body });
}

/** Waits for the call's status and headers; failures become the data plane's errors. */
async function upstreamHead(call: UpstreamCall): Promise<UpstreamCall> {
  try {
    await call.head();
    return call;
  } catch (err) {
    throw upstreamError(err, "the upstream API could not be reached");
  }
}

function callUpstream(request: FastifyRequest, upstream: Upstream, policy: KeyPolicy, method: "GET" | "POST", path: string, body?: Buffer): Promise<UpstreamCall> {
  return upstreamHead(startUpstream(request, upstream, policy, method, path, body));
}

function upstreamError(err: unknown, message: string): DomainError {
  if (isTimeout(err)) return new DomainError("upstream_timeout", "the upstream API did not answer in time", { cause: err });
  return new DomainError("upstream_unavailable", message, { cause: err });
}

async function readUpstreamBody(call: UpstreamCall): Promise<Buffer> {
  try {
    return await call.readAll(MAX_JSON_RESPONSE_BYTES);
  } catch (err) {
    throw upstreamError(err, "the upstream response was cut off");
  }
}

async function passThrough(request: FastifyRequest, reply: FastifyReply, upstream: Upstream, policy: KeyPolicy, method: "GET" | "POST", path: string, body?: Buffer): Promise<FastifyReply> {
  const res = await callUpstream(request, upstream, policy, method, path, body);
  const payload = await readUpstreamBody(res);
  return reply.code(res.statusCode).headers(clientHeaders(res.headers, request.id, policy.workspace.id)).send(payload);
}

/**
 * Forwards an admitted Messages request and meters it. JSON responses are settled before they are
 * sent; streams pass through as they arrive, and the final `message_stop` event is held back until
 * the usage record is durable. Every exit path settles exactly once.
 */
async function forwardMessage(request: FastifyRequest, reply: FastifyReply, gateway: Gateway, upstream: Upstream, admitted: Admitted, raw: Buffer, body: MessageBody, policy: KeyPolicy, metrics: Metrics | undefined): Promise<FastifyReply> {
  const forwardedAt = process.hrtime.bigint();
  const res = startUpstream(request, upstream, policy, "POST", `/v1/messages${queryOf(request)}`, raw);
  // The response closing before it finished means the client went away: stop the upstream call.
  const onClientGone = () => {
    if (!reply.raw.writableFinished) res.abort(new Error("client disconnected"));
  };
  reply.raw.once("close", onClientGone);
  const base = { requestId: request.id, model: body.model };
  try {
    await upstreamHead(res);
    metrics?.recordUpstream("/v1/messages", res.statusCode, Number(process.hrtime.bigint() - forwardedAt) / 1e9);
  } catch (err) {
    reply.raw.off("close", onClientGone);
    await gateway.release(admitted);
    return fail(request, reply, err);
  }
  const headers = clientHeaders(res.headers, request.id, policy.workspace.id);
  const upstreamRequestId = typeof res.headers["request-id"] === "string" ? res.headers["request-id"] : null;
  const isStream = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");

  if (res.statusCode < 200 || res.statusCode >= 300) {
    // Anthropic does not bill refused requests: release the reservation, pass the error through.
    const text = await res.readAll(MAX_JSON_RESPONSE_BYTES).then((b) => b.toString("utf8"), () => "");
    reply.raw.off("close", onClientGone);
    await gateway.release(admitted);
    return reply.code(res.statusCode).headers(headers).send(text);
  }

  if (!isStream) {
    let usage: RawUsage | null = null;
    let payload: Buffer;
    try {
      payload = await readUpstreamBody(res);
      try {
        usage = (JSON.parse(payload.toString("utf8")) as { usage?: RawUsage }).usage ?? null;
      } catch {
        usage = null;
      }
    } catch (err) {
      reply.raw.off("close", onClientGone);
      await gateway.settle(admitted, { ...base, usage: null, status: 502, stream: false, upstreamRequestId, chargeReservationReason: "upstream_body_failed" });
      return fail(request, reply, err);
    }
    reply.raw.off("close", onClientGone);
    await gateway.settle(admitted, { ...base, usage, status: res.statusCode, stream: false, upstreamRequestId, ...(usage === null ? { chargeReservationReason: "response_without_usage" } : {}) });
    return reply.code(res.statusCode).headers(headers).send(payload);
  }

  // Streaming: we own the socket from here.
  reply.hijack();
  const out = reply.raw;
  out.writeHead(res.statusCode, { ...headers, "cache-control": "no-cache" });
  const tap = new SseUsageTap();
  const held: Buffer[] = [];
  let reason: string | undefined;
  const onDrain = () => res.resume();
  out.on("drain", onDrain);
  // Chunks that arrive together (one read of the upstream socket) go out together, at the end of
  // the tick; if the stop event is among them, they all wait for the ledger with it.
  let pending: Buffer[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (pending.length === 0 || out.destroyed) return;
    const chunks = pending;
    pending = [];
    if (held.length > 0) {
      held.unshift(...chunks);
      return;
    }
    // A full socket pauses the upstream until it drains; a closed one aborts the call (onClientGone).
    if (!out.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks))) res.pause();
  };
  try {
    await res.forEach((buf) => {
      const stop = tap.push(buf);
      if (held.length > 0 || stop) held.push(buf);
      else {
        pending.push(buf);
        if (!flushQueued) {
          flushQueued = true;
          process.nextTick(flush);
        }
      }
    });
    flush();
  } catch (err) {
    if (out.destroyed) reason = "client_disconnected";
    else {
      flush();
      reason = isTimeout(err) ? "upstream_stream_timeout" : "upstream_stream_failed";
      held.push(Buffer.from(sseError(isTimeout(err) ? "timeout_error" : "api_error", "the upstream stream was interrupted", request.id)));
    }
  }
  out.off("drain", onDrain);
  if (out.destroyed && reason === undefined) reason = "client_disconnected";
  reply.raw.off("close", onClientGone);
  // A stream with no usage at all is charged its reservation, never 0.
  const chargeReservation = tap.usage === null ? (reason ?? "stream_ended_without_usage") : undefined;
  try {
    await gateway.settle(admitted, { ...base, model: tap.model ?? body.model, usage: tap.usage, status: res.statusCode, stream: true, upstreamRequestId, chargeReservationReason: chargeReservation });
  } catch (err) {
    request.log.error({ err }, "usage record could not be written");
    held.length = 0;
    held.push(Buffer.from(sseError("api_error", "the usage record could not be written", request.id)));
  }
  if (!out.destroyed) {
    for (const b of held) out.write(b);
    out.end();
  }
  metrics?.recordRequest("/v1/messages", res.statusCode, reply.elapsedTime / 1000);
  return reply;
}
