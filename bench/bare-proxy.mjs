// The baseline: a bare pass-through proxy (Node http + undici pool, streaming both ways, no checks).
import { createServer } from "node:http";
import { Agent } from "undici";

const upstream = new URL(process.env.UPSTREAM_URL);
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers["content-length"];
      delete headers.connection;
      const up = await agent.request({ origin: upstream.origin, path: req.url, method: req.method, headers, body: Buffer.concat(chunks) });
      res.writeHead(up.statusCode, { "content-type": up.headers["content-type"] ?? "application/json" });
      for await (const c of up.body) res.write(c);
      res.end();
    } catch {
      res.writeHead(502);
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
process.on("SIGTERM", () => process.exit(0));
