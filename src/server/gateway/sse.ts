import { StringDecoder } from "node:string_decoder";
import { type RawUsage, overlayUsage } from "../../core/usage.js";

/**
 * Watches a Messages SSE stream as it passes through (the bytes are forwarded untouched): usage
 * from `message_start` overlaid with each cumulative `message_delta`, whether `message_stop` was
 * seen, and any `error` event.
 */
export class SseUsageTap {
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";
  usage: RawUsage | null = null;
  model: string | null = null;
  stopSeen = false;
  errorSeen = false;

  /** Feeds a chunk; returns true if the chunk completes a `message_stop` event. */
  push(chunk: Buffer): boolean {
    this.buffer += this.decoder.write(chunk);
    let stopped = false;
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buffer);
      if (!m) break;
      const block = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (this.onEvent(block)) stopped = true;
    }
    // A runaway line without an event boundary must not grow without bound.
    if (this.buffer.length > 8 * 1024 * 1024) this.buffer = "";
    return stopped;
  }

  private onEvent(block: string): boolean {
    // Only the events that carry usage, the stop or an error are parsed; content deltas (most of
    // a stream) are passed over without JSON parsing.
    const m = /^event:\s*(message_start|message_delta|message_stop|error)\s*$/m.exec(block);
    if (!m) return false;
    const event = m[1] as string;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    const payload = event === "message_stop" ? null : parsePayload(data);
    switch (event) {
      case "message_start":
        if (payload?.message?.usage) this.usage = { ...payload.message.usage };
        if (typeof payload?.message?.model === "string") this.model = payload.message.model;
        return false;
      case "message_delta":
        if (payload?.usage) this.usage = overlayUsage(this.usage ?? {}, payload.usage);
        return false;
      case "message_stop":
        this.stopSeen = true;
        return true;
      case "error":
        this.errorSeen = true;
        return false;
      default:
        return false;
    }
  }
}

/** An SSE `error` event in Anthropic's envelope. */
export function sseError(type: string, message: string, requestId: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type, message }, request_id: requestId })}\n\n`;
}

interface EventPayload {
  message?: { usage?: RawUsage; model?: string };
  usage?: RawUsage;
}

function parsePayload(data: string[]): EventPayload | null {
  if (data.length === 0) return null;
  try {
    const v: unknown = JSON.parse(data.join("\n"));
    return typeof v === "object" && v !== null ? (v as EventPayload) : null;
  } catch {
    return null;
  }
}
