import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A faithful stand-in for Anthropic's Messages API, for tests: JSON and SSE responses with real
 * event names and cumulative usage, count_tokens, models, and failure modes chosen per request
 * with the `x-mock-mode` header (forwarded by the gateway like any other header):
 * `max` (output = max_tokens), `no-usage`, `error-500`, `overloaded`, `rate-limited`, `hang`,
 * `cut` (drop the connection mid-stream), `slow` (pause between events), `gated` (stream the
 * first event, then wait for `openGates()`), `flood` (64 MB of text deltas, waiting for the
 * connection to drain whenever it is full; each wait is counted in `stalls`).
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface MockUpstream {
  url: string;
  requests: RecordedRequest[];
  inputTokens: number;
  outputTokens: number;
  /** Lets every `gated` stream waiting after its first event go on. */
  openGates(): void;
  /** How many times a `flood` stream found its connection full and waited for it to drain. */
  readonly stalls: number;
  /** Bytes written by `flood` streams so far. */
  readonly floodBytes: number;
  close(): Promise<void>;
}

const MODELS = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-sonnet-5"];

function usage(input: number, output: number) {
  return { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: "standard" };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": `req_up_${Date.now()}` });
  res.end(JSON.stringify({ type: "error", error: { type, message }, request_id: `req_up_${Date.now()}` }));
}

export async function startMockUpstream(options: { inputTokens?: number; outputTokens?: number } = {}): Promise<MockUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { inputTokens: options.inputTokens ?? 25, outputTokens: options.outputTokens ?? 10 };
  let counter = 0;
  const gated: (() => void)[] = [];
  let stalls = 0;
  let floodBytes = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const mode = String(req.headers["x-mock-mode"] ?? "");
      const path = (req.url ?? "").split("?")[0];
      if (mode === "hang") return; // never answers
      if (mode === "error-500") return sendError(res, 500, "api_error", "Internal server error");
      if (mode === "overloaded") return sendError(res, 529, "overloaded_error", "Overloaded");
      if (mode === "rate-limited") {
        res.setHeader("retry-after", "7");
        return sendError(res, 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit");
      }
      if (req.method === "GET" && path === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json", "request-id": "req_up_models" });
        return res.end(JSON.stringify({ data: MODELS.map((id) => ({ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" })), has_more: false, first_id: MODELS[0], last_id: MODELS[MODELS.length - 1] }));
      }
      if (req.method === "GET" && path?.startsWith("/v1/models/")) {
        const id = decodeURIComponent(path.slice("/v1/models/".length));
        if (!MODELS.includes(id)) return sendError(res, 404, "not_found_error", `model: ${id}`);
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" }));
      }
      let parsed: { model?: string; max_tokens?: number; stream?: boolean };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return sendError(res, 400, "invalid_request_error", "invalid JSON");
      }
      if (path === "/v1/messages/count_tokens") {
        res.writeHead(200, { "content-type": "application/json", "request-id": "req_up_count" });
        return res.end(JSON.stringify({ input_tokens: state.inputTokens }));
      }
      if (path !== "/v1/messages") return sendError(res, 404, "not_found_error", "Not found");
      const id = `msg_mock_${++counter}`;
      const output = mode === "max" || mode === "exact" ? (parsed.max_tokens ?? 1) : Math.min(state.outputTokens, parsed.max_tokens ?? state.outputTokens);
      // `exact`: the response costs exactly the gateway's worst case (every body byte a 1-hour cache write).
      const bytes = Buffer.byteLength(body);
      const fullUsage = (out: number) => mode === "exact"
        ? { input_tokens: 0, output_tokens: out, cache_creation_input_tokens: bytes, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: bytes }, service_tier: "standard" }
        : usage(state.inputTokens, out);
      const requestId = `req_up_${counter}`;
      if (!parsed.stream) {
        res.writeHead(200, { "content-type": "application/json", "request-id": requestId, "anthropic-ratelimit-requests-limit": "4000" });
        return res.end(JSON.stringify({
          id, type: "message", role: "assistant", model: parsed.model, content: [{ type: "text", text: "Hello from the mock" }], stop_reason: "end_turn", stop_sequence: null,
          ...(mode === "no-usage" ? {} : { usage: fullUsage(output) }),
        }));
      }
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "request-id": requestId, "cache-control": "no-cache" });
      const events: [string, unknown][] = [
        ["message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model: parsed.model, content: [], stop_reason: null, stop_sequence: null, ...(mode === "no-usage" ? {} : { usage: fullUsage(1) }) } }],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
        ["ping", { type: "ping" }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: " from the mock" } }],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ];
      if (mode === "flood") {
        const text = "x".repeat(64 * 1024);
        const deltas: [string, unknown][] = Array.from({ length: 1024 }, () => ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }]);
        events.splice(events.length - 1, 0, ...deltas);
      }
      // Three cumulative deltas: a gateway that sums them bills too much.
      if (mode !== "no-usage") {
        for (const part of [Math.floor(output / 3), Math.floor((2 * output) / 3), output]) {
          events.push(["message_delta", { type: "message_delta", delta: { stop_reason: part === output ? "end_turn" : null, stop_sequence: null }, usage: { output_tokens: part } }]);
        }
      } else {
        events.push(["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null } }]);
      }
      events.push(["message_stop", { type: "message_stop" }]);
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (mode === "cut" && i === 4) {
          res.socket?.destroy();
          return;
        }
        const e = events[i++];
        if (!e) return res.end();
        const frame = `event: ${e[0]}\ndata: ${JSON.stringify(e[1])}\n\n`;
        const room = res.write(frame);
        if (mode === "flood") floodBytes += frame.length;
        if (mode === "flood" && !room) {
          stalls++;
          res.once("drain", next);
        } else if (mode === "gated" && i === 1) gated.push(next);
        else if (mode === "slow") setTimeout(next, 50);
        else setImmediate(next);
      };
      next();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get inputTokens() { return state.inputTokens; },
    set inputTokens(v: number) { state.inputTokens = v; },
    get outputTokens() { return state.outputTokens; },
    set outputTokens(v: number) { state.outputTokens = v; },
    get stalls() { return stalls; },
    get floodBytes() { return floodBytes; },
    openGates: () => {
      for (const go of gated.splice(0)) go();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
