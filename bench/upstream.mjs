// A fast stand-in for the Messages API (JSON and SSE with usage), for benchmarks on 127.0.0.1.
import { createServer } from "node:http";

const json = JSON.stringify({
  id: "msg_bench", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [{ type: "text", text: "ok" }],
  stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 20, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});
const sse = [
  ["message_start", { type: "message_start", message: { id: "msg_bench", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], usage: { input_tokens: 20, output_tokens: 1 } } }],
  ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: " world" } }],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 5 } }],
  ["message_stop", { type: "message_stop" }],
].map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`);

const server = createServer((req, res) => {
  let stream = false;
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    stream = Buffer.concat(chunks).includes('"stream":true');
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json", "request-id": "req_bench" });
      res.end(json);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "request-id": "req_bench" });
    for (const e of sse) res.write(e);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
