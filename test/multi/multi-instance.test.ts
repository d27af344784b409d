/**
 * B6 and K5 across processes: four `gatehouse serve` processes on one PostgreSQL database and one
 * Redis enforce exactly what one process would; a revoke on one process applies on the others
 * within 2 s; with Redis unreachable the data plane fails closed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PRICES, nanosToMicros, worstCaseNanos } from "../../src/core/pricing.js";
import { POSTGRES_AVAILABLE, REDIS_AVAILABLE, REDIS_URL, freshPostgresDatabase, freshRedisPrefix } from "../support/databases.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";
import { CLI, runCli, startServer } from "../support/server.js";
import { startReceiver } from "../support/receivers.js";

const enabled = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
const INSTANCES = 4;

function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "serve"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`gatehouse serve did not start: ${out}`)), 20_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += String(d);
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.stderr?.on("data", (d: Buffer) => (out += String(d)));
    child.on("exit", (code) => reject(new Error(`gatehouse serve exited with ${code}: ${out}`)));
  });
}

describe.skipIf(!enabled)("several gateway processes on PostgreSQL + Redis", () => {
  let upstream: MockUpstream;
  let db: { url: string; drop: () => Promise<void> };
  let env: Record<string, string>;
  const procs: { child: ChildProcess; url: string }[] = [];
  let adminKey: string;
  let ws: string;

  const admin = async (method: string, path: string, body?: unknown, base = procs[0]!.url) => {
    const res = await fetch(`${base}${path}`, { method, headers: { "x-api-key": adminKey, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const message = (base: string, secret: string, payload: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/messages`, { method: "POST", headers: { "x-api-key": secret, "content-type": "application/json", ...headers }, body: payload }).then(async (r) => {
      await r.text();
      return r.status;
    });

  beforeAll(async () => {
    upstream = await startMockUpstream();
    db = await freshPostgresDatabase();
    env = {
      GATEHOUSE_DATABASE_URL: db.url, GATEHOUSE_REDIS_URL: REDIS_URL, GATEHOUSE_REDIS_PREFIX: freshRedisPrefix(),
      GATEHOUSE_HASH_KEY: randomBytes(32).toString("base64"), GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      GATEHOUSE_UPSTREAM_URL: upstream.url, ANTHROPIC_API_KEY: "sk-ant-api03-multi-instance-default", GATEHOUSE_PORT: "0", GATEHOUSE_LOG_LEVEL: "info",
      GATEHOUSE_SCHEDULER_TICK_MS: "200", GATEHOUSE_ALERT_INTERVAL_MS: "1000",
    };
    const migrated = await runCli(["migrate"], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    for (let i = 0; i < INSTANCES; i++) procs.push(await startProcess(env));
    adminKey = JSON.parse((await runCli(["bootstrap", "--json"], env)).stdout).admin_key;
    ws = (await admin("POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) p.child.kill("SIGTERM");
    await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once("exit", r)))));
    await upstream?.close();
    await db?.drop();
  });

  it("B6: one spend budget across 4 processes admits exactly what one process would (64 concurrent streams)", async () => {
    const payload = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 2000, stream: true, messages: [{ role: "user", content: "hello" }] });
    const c = nanosToMicros(worstCaseNanos(DEFAULT_PRICES["claude-sonnet-4-5"]!, Buffer.byteLength(payload), 2000, {}));
    for (let trial = 0; trial < 5; trial++) {
      const key = await admin("POST", "/v1/organizations/api_keys", { name: `shared-budget-service-${trial}`, workspace_id: ws, tier: 4 });
      const budgetCents = Math.floor((10 * c) / 10_000);
      await admin("POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: key.id }, amount: String(budgetCents), period: "daily" });
      const statuses = await Promise.all(Array.from({ length: 64 }, (_, i) => message(procs[i % INSTANCES]!.url, key.secret, payload, { "x-mock-mode": "max" })));
      expect(statuses.filter((s) => s === 200).length).toBe(Math.floor((budgetCents * 10_000) / c));
      const spent = (await admin("GET", "/v1/organizations/spend_limits/effective")).data.find((r: any) => r.scope.api_key_id === key.id);
      expect(Number(spent.period_to_date_spend)).toBeLessThanOrEqual(budgetCents);
    }
  }, 120_000);

  it("B6: one rate limit across 4 processes (60 requests per minute, 300 concurrent callers)", async () => {
    const key = await admin("POST", "/v1/organizations/api_keys", { name: "shared-rate-service", workspace_id: ws, tier: 4 });
    await admin("POST", `/v1/organizations/api_keys/${key.id}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 60 }] });
    const payload = JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => message(procs[i % INSTANCES]!.url, key.secret, payload)));
    const seconds = (Date.now() - started) / 1000;
    const admitted = statuses.filter((s) => s === 200).length;
    // Exactly the bucket, plus what refills while the burst runs (1 per second).
    expect(admitted).toBeGreaterThanOrEqual(60);
    expect(admitted).toBeLessThanOrEqual(60 + Math.ceil(seconds));
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
  }, 60_000);

  it("scheduled jobs run once across 4 processes: each spend alert reaches the webhook exactly once", async () => {
    const hook = await startReceiver();
    try {
      const key = await admin("POST", "/v1/organizations/api_keys", { name: "alerting-service-prod", workspace_id: ws, tier: 4 });
      // A budget of 1 cent: each request costs a few hundredths of a cent.
      await admin("POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: key.id }, amount: "1", period: "daily" });
      const rule = await admin("POST", "/v1/organizations/alert_rules", { name: "service-budget-watch", scope: { type: "api_key", api_key_id: key.id }, thresholds: [10, 20], projected: false, channels: [{ type: "webhook", url: hook.url }] });
      const payload = JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
      let statuses: number[] = [];
      for (let i = 0; i < 4 && hook.received.length === 0; i++) {
        statuses = statuses.concat(await Promise.all(Array.from({ length: 40 }, (_, j) => message(procs[j % INSTANCES]!.url, key.secret, payload))));
        const deadline = Date.now() + 4000;
        while (hook.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      }
      // Several more scheduler slots pass on every process: nothing is sent twice.
      await new Promise((r) => setTimeout(r, 3000));
      const thresholds = hook.received.map((r) => JSON.parse(r.body).data.threshold_percent).sort();
      expect(thresholds).toEqual([10, 20]);
      const log = await admin("GET", `/v1/organizations/alert_deliveries?rule_id=${rule.id}`);
      expect(log.data).toHaveLength(2);
      expect(log.data.every((d: any) => d.status === "delivered" && d.attempts.length === 1)).toBe(true);
    } finally {
      await hook.close();
    }
  }, 60_000);

  it("K5: a key revoked on one process is refused on every process within 2 s", async () => {
    const key = await admin("POST", "/v1/organizations/api_keys", { name: "soon-revoked-service", workspace_id: ws });
    const payload = JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    for (const p of procs) expect(await message(p.url, key.secret, payload)).toBe(200);
    await admin("POST", `/v1/organizations/api_keys/${key.id}`, { status: "inactive" }, procs[0]!.url);
    const revokedAt = Date.now();
    expect(await message(procs[0]!.url, key.secret, payload)).toBe(401);
    let lastAccepted = revokedAt;
    while (Date.now() - revokedAt < 3000) {
      const statuses = await Promise.all(procs.map((p) => message(p.url, key.secret, payload)));
      if (statuses.some((s) => s === 200)) lastAccepted = Date.now();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lastAccepted - revokedAt).toBeLessThanOrEqual(2000);
  }, 30_000);
});

describe("counter store unreachable", () => {
  it("fails closed with 503 api_error: 0 unmetered requests", async () => {
    const upstream = await startMockUpstream();
    const server = await startServer({ GATEHOUSE_REDIS_URL: "redis://127.0.0.1:1", GATEHOUSE_UPSTREAM_URL: upstream.url, ANTHROPIC_API_KEY: "sk-ant-api03-x" });
    try {
      const boot = JSON.parse((await runCli(["bootstrap", "--json"], server.env)).stdout);
      const h = { "x-api-key": boot.admin_key, "content-type": "application/json" };
      const ws = (await (await fetch(`${server.url}/v1/organizations/workspaces`, { method: "POST", headers: h, body: JSON.stringify({ name: "P" }) })).json()) as any;
      const key = (await (await fetch(`${server.url}/v1/organizations/api_keys`, { method: "POST", headers: h, body: JSON.stringify({ name: "redis-down-service", workspace_id: ws.id }) })).json()) as any;
      const res = await fetch(`${server.url}/v1/messages`, { method: "POST", headers: { "x-api-key": key.secret, "content-type": "application/json" }, body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 5, messages: [] }) });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }, 30_000);
});
