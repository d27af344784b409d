/**
 * The built `gatehouse serve` on embedded SQLite, as a user runs it: the ledger goes through its
 * worker thread, charges show up in the admin API, and the process stops cleanly on SIGTERM.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";
import { CLI, runCli } from "../support/server.js";

describe("gatehouse serve on embedded SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-served-"));
  let upstream: MockUpstream | undefined;
  afterAll(async () => {
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("meters every request into the durable ledger and exits cleanly", async () => {
    upstream = await startMockUpstream();
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_PORT: "0", GATEHOUSE_UPSTREAM_URL: upstream.url, ANTHROPIC_API_KEY: "sk-ant-api03-served", GATEHOUSE_LOG_LEVEL: "info" };
    const child = spawn(process.execPath, [CLI, "serve"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(out)), 20_000);
      child.stdout.on("data", (d: Buffer) => {
        out += String(d);
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1] as string);
        }
      });
    });
    try {
      const boot = JSON.parse((await runCli(["bootstrap", "--json"], env)).stdout);
      const h = { "x-api-key": boot.admin_key, "content-type": "application/json" };
      const ws = (await (await fetch(`${url}/v1/organizations/workspaces`, { method: "POST", headers: h, body: JSON.stringify({ name: "Production", environment: "production" }) })).json()) as any;
      const key = (await (await fetch(`${url}/v1/organizations/api_keys`, { method: "POST", headers: h, body: JSON.stringify({ name: "served-ledger-check", workspace_id: ws.id }) })).json()) as any;
      const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        fetch(`${url}/v1/messages`, { method: "POST", headers: { "x-api-key": key.secret, "content-type": "application/json" }, body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 50, stream: i % 2 === 0, messages: [{ role: "user", content: "hi" }] }) })
          .then(async (r) => { await r.text(); return r.status; })));
      expect(statuses.every((s) => s === 200)).toBe(true);
      const k = (await (await fetch(`${url}/v1/organizations/api_keys/${key.id}`, { headers: h })).json()) as any;
      // 20 × (25 input × $3/M + 10 output × $15/M) = 20 × 225 micro-USD = 0.45 cents.
      expect(k.spend.month_to_date_spend).toBe("0.45");
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/gatehouse_spend_micro_usd_total\{model="claude-sonnet-4-5",estimated="false"\} 4500/);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect((await runCli(["audit", "verify"], { GATEHOUSE_DATA_DIR: dir })).code).toBe(0);
  }, 60_000);
});
