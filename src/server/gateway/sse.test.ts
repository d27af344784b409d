import { describe, expect, it } from "vitest";
import { SseUsageTap } from "./sse.js";

const stream = [
  'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":3}}}\n\n',
  "event: ping\ndata: {}\n\n",
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"héllo"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":10}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":15,"input_tokens":null}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

describe("SseUsageTap", () => {
  it("finds usage and the stop event whatever the chunking (byte by byte, CRLF)", () => {
    for (const text of [stream, stream.replace(/\n/g, "\r\n")]) {
      const bytes = Buffer.from(text);
      for (const size of [1, 3, 7, 64, bytes.length]) {
        const tap = new SseUsageTap();
        let stops = 0;
        for (let i = 0; i < bytes.length; i += size) if (tap.push(bytes.subarray(i, i + size))) stops++;
        expect(stops).toBe(1);
        expect(tap.usage).toMatchObject({ input_tokens: 25, output_tokens: 15, cache_read_input_tokens: 3 });
        expect(tap.model).toBe("claude-sonnet-4-5");
        expect(tap.stopSeen).toBe(true);
      }
    }
  });
  it("notes error events and survives junk", () => {
    const tap = new SseUsageTap();
    tap.push(Buffer.from('event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}\n\nevent: message_delta\ndata: {not json\n\n'));
    expect(tap.errorSeen).toBe(true);
    expect(tap.usage).toBeNull();
  });
});
