/**
 * The official SDKs (1.x and the last 0.x), unmodified — only baseURL and apiKey set — against the
 * gateway in front of a faithful mock upstream: JSON and streaming messages, count_tokens, models,
 * and the SDK error classes for Gatehouse's refusals.
 */
import Anthropic from "@anthropic-ai/sdk";
import AnthropicV0 from "anthropic-sdk-v0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";

describe("data plane through the official SDKs", () => {
  let upstream: MockUpstream;
  let h: Harness;
  let baseURL: string;
  let ws: string;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    upstream = await startMockUpstream();
    h = await createHarness("sqlite", { dataPlane: { upstreamUrl: upstream.url } });
    baseURL = await h.listen();
    ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
    await ok(h, "POST", `/v1/organizations/workspaces/${ws}/upstream_credential`, { api_key: "sk-ant-api03-production-upstream-key" });
    key = await ok(h, "POST", "/v1/organizations/api_keys", { name: "checkout-service-production", workspace_id: ws, tier: 4 });
  });
  afterAll(async () => {
    await h.close();
    await upstream.close();
  });

  const lastUpstream = () => upstream.requests[upstream.requests.length - 1]!;

  it("SDK 1.x: a JSON message, sent with Bearer auth, forwarded with the workspace's upstream key", async () => {
    const client = new Anthropic({ baseURL, apiKey: key.secret, maxRetries: 0 });
    const msg = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] });
    expect(msg.content[0]).toMatchObject({ type: "text", text: "Hello from the mock" });
    expect(msg.usage).toMatchObject({ input_tokens: 25, output_tokens: 10 });
    const sent = lastUpstream();
    expect(sent.headers["x-api-key"]).toBe("sk-ant-api03-production-upstream-key");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers["anthropic-version"]).toBe("2026-10-21");
    expect(JSON.stringify(sent.headers)).not.toContain(key.secret.slice(-20));
    expect(JSON.parse(sent.body)).toEqual({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] });
    const records = await h.deps.store.usage.list(h.orgId, { apiKeyId: key.id }, 100);
    expect(records.at(-1)).toMatchObject({ input_tokens: 25, output_tokens: 10, cost_micros: (25 * 3000 + 10 * 15000) / 1000, stream: false, status: 200, price_estimated: false });
  });

  it("SDK 1.x: streaming passes every named event through and meters the last cumulative usage", async () => {
    const client = new Anthropic({ baseURL, apiKey: key.secret, maxRetries: 0 });
    const stream = client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Stream please" }] });
    const types: string[] = [];
    stream.on("streamEvent", (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ text: "Hello from the mock" });
    expect(final.usage).toMatchObject({ input_tokens: 25, output_tokens: 10 });
    expect(types).toEqual(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_delta", "message_delta", "message_stop"]);
    const records = await h.deps.store.usage.list(h.orgId, { apiKeyId: key.id }, 100);
    expect(records.at(-1)).toMatchObject({ stream: true, input_tokens: 25, output_tokens: 10, cost_micros: 225, uncharged_reason: null });
  });

  it("SDK 0.x: x-api-key auth, ?beta=true and anthropic-beta pass through, JSON and stream", async () => {
    const client = new AnthropicV0({ baseURL, apiKey: key.secret, maxRetries: 0 });
    const msg = await client.beta.messages.create({ model: "claude-haiku-4-5", max_tokens: 50, messages: [{ role: "user", content: "Hi" }], betas: ["context-1m-2025-08-07", "fine-grained-tool-streaming-2025-05-14"] });
    expect(msg.usage.output_tokens).toBe(10);
    const sent = lastUpstream();
    expect(sent.url).toBe("/v1/messages?beta=true");
    expect(sent.headers["anthropic-beta"]).toBe("context-1m-2025-08-07,fine-grained-tool-streaming-2025-05-14");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    const text: string[] = [];
    const stream = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 50, messages: [{ role: "user", content: "Hi" }], stream: true });
    for await (const e of stream) if (e.type === "content_block_delta" && e.delta.type === "text_delta") text.push(e.delta.text);
    expect(text.join("")).toBe("Hello from the mock");
  });

  it("count_tokens and models (only the models the key may use)", async () => {
    const client = new Anthropic({ baseURL, apiKey: key.secret, maxRetries: 0 });
    expect(await client.messages.countTokens({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "count me" }] })).toEqual({ input_tokens: 25 });
    const all: string[] = [];
    for await (const m of client.models.list()) all.push(m.id);
    expect(all).toEqual(["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-sonnet-5"]);
    const limited = await ok(h, "POST", "/v1/organizations/api_keys", { name: "haiku-only-batch-job", workspace_id: ws, allowed_models: ["claude-haiku-4-5"] });
    const lc = new Anthropic({ baseURL, apiKey: limited.secret, maxRetries: 0 });
    const some: string[] = [];
    for await (const m of lc.models.list()) some.push(m.id);
    expect(some).toEqual(["claude-haiku-4-5"]);
    expect((await lc.models.retrieve("claude-haiku-4-5")).id).toBe("claude-haiku-4-5");
    await expect(lc.models.retrieve("claude-opus-4-5")).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(lc.messages.create({ model: "claude-opus-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it("SDK error classes: 401 for bad keys, 429 with retry-after for rate limits, 400 spend_limit_reached for spend limits", async () => {
    const bad = new Anthropic({ baseURL, apiKey: "gth_prod_not-a-key", maxRetries: 0 });
    await expect(bad.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

    const limited = await ok(h, "POST", "/v1/organizations/api_keys", { name: "rate-limited-cron-job", workspace_id: ws });
    await ok(h, "POST", `/v1/organizations/api_keys/${limited.id}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 1 }] });
    const lc = new Anthropic({ baseURL, apiKey: limited.secret, maxRetries: 0 });
    await lc.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] });
    const err = await lc.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const rl = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(Number(rl.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(rl.headers?.get("anthropic-ratelimit-requests-limit")).toBe("1");
    expect(rl.requestID).toMatch(/^req_/);

    // Spend limits through the SDK's own admin client.
    const admin = new Anthropic({ baseURL, apiKey: h.adminKey, maxRetries: 0 });
    const spender = await ok(h, "POST", "/v1/organizations/api_keys", { name: "budgeted-summarizer", workspace_id: ws });
    const limit = await admin.beta.organization.spendLimits.set({ scope: { type: "api_key", api_key_id: spender.id } as never, amount: "1", period: "daily" });
    expect(limit).toMatchObject({ type: "spend_limit", amount: "1", period: "daily", currency: "USD" });
    const sc = new Anthropic({ baseURL, apiKey: spender.secret, maxRetries: 2 });
    // Worst case of this request: ~100 bytes × $6.25/M + 1000 × $15/M ≈ 1.6 cents > 1 cent.
    const denied = await sc.messages.create({ model: "claude-sonnet-4-5", max_tokens: 1000, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Anthropic.BadRequestError);
    expect((denied as any).errorCode).toBe("spend_limit_reached");
    expect((denied as any).error.error.message).toContain("API key daily spend limit");
  });

  it("workspace rate limits through the SDK admin client, and the anthropic-workspace-id header", async () => {
    const admin = new Anthropic({ baseURL, apiKey: h.adminKey, maxRetries: 0 });
    const updated = await admin.beta.organization.workspaces.rateLimits.update("rl_messages", { workspace_id: ws, limits: [{ type: "output_tokens_per_minute", value: 100_000 }] } as never);
    expect(updated).toMatchObject({ type: "workspace_rate_limit", workspace_id: ws, limits: [{ type: "output_tokens_per_minute", value: 100_000, source: { type: "workspace" } }] });
    const listed: unknown[] = [];
    for await (const e of admin.beta.organization.workspaces.rateLimits.list(ws)) listed.push(e);
    expect(listed).toHaveLength(1);
    const client = new Anthropic({ baseURL, apiKey: key.secret, maxRetries: 0 });
    const ok1 = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }], workspace_id: ws } as never);
    expect(ok1).toMatchObject({ type: "message", role: "assistant" });
    await expect(client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] }, { headers: { "anthropic-workspace-id": "wrkspc_someoneelse" } })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("upstream errors reach the client unchanged and nothing is charged", async () => {
    const client = new Anthropic({ baseURL, apiKey: key.secret, maxRetries: 0 });
    const before = (await h.deps.store.usage.list(h.orgId, { apiKeyId: key.id }, 1000)).length;
    await expect(client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] }, { headers: { "x-mock-mode": "overloaded" } })).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    const e429 = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] }, { headers: { "x-mock-mode": "rate-limited" } }).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(Anthropic.RateLimitError);
    expect((e429 as any).headers.get("retry-after")).toBe("7");
    expect((await h.deps.store.usage.list(h.orgId, { apiKeyId: key.id }, 1000)).length).toBe(before);
  });

  it("exposes Prometheus metrics: requests, latency, upstream latency, denials and spend", async () => {
    const res = await fetch(`${baseURL}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/gatehouse_requests_total\{route="\/v1\/messages",status="200"\} \d+/);
    expect(text).toMatch(/gatehouse_request_duration_seconds_bucket\{le="0.05",route="\/v1\/messages"\}/);
    expect(text).toMatch(/gatehouse_upstream_duration_seconds_count\{route="\/v1\/messages",status="200"\} \d+/);
    expect(text).toMatch(/gatehouse_denials_total\{reason="rate_limited"\} [1-9]/);
    expect(text).toMatch(/gatehouse_denials_total\{reason="spend_limit_reached"\} [1-9]/);
    expect(text).toMatch(/gatehouse_spend_micro_usd_total\{model="claude-sonnet-4-5",estimated="false"\} [1-9]/);
    expect(text).not.toContain(key.secret);
  });

  it("usage and cost reports in both API generations match the ledger", async () => {
    const records = await h.deps.store.usage.list(h.orgId, {}, 100_000);
    const cost = records.reduce((a, r) => a + r.cost_micros, 0);
    const output = records.reduce((a, r) => a + r.output_tokens, 0);
    const day = h.clock.now().toISOString().slice(0, 10);
    const usage = await ok(h, "GET", `/v1/organizations/usage_report/messages?starting_at=${day}T00:00:00Z&bucket_width=1d&limit=1&group_by[]=api_key_id`);
    expect(usage.data).toHaveLength(1);
    expect(usage.data[0].starting_at).toBe(`${day}T00:00:00Z`);
    const perKey = usage.data[0].results;
    expect(perKey.reduce((a: number, r: any) => a + r.output_tokens, 0)).toBe(output);
    expect(perKey.find((r: any) => r.api_key_id === key.id)).toMatchObject({ model: null, workspace_id: null });
    const hourly = await ok(h, "GET", `/v1/organizations/usage_report/messages?starting_at=${day}T00:00:00Z&bucket_width=1h&limit=24`);
    expect(hourly.data).toHaveLength(24);
    expect(hourly.next_page).toBeNull();
    const costReport = await ok(h, "GET", `/v1/organizations/cost_report?starting_at=${day}T00:00:00Z&group_by[]=workspace_id&group_by[]=description`);
    const totalCents = costReport.data.flatMap((b: any) => b.results).reduce((a: number, r: any) => a + Number(r.amount), 0);
    expect(Math.round(totalCents * 10_000)).toBe(cost);
    // SDK 1.x analytics client, with its report pagination.
    const admin = new Anthropic({ baseURL, apiKey: h.adminKey, maxRetries: 0 });
    let analyticsOutput = 0;
    let rows = 0;
    for await (const row of admin.beta.organization.analytics.usage.list({ starting_at: `${day}T00:00:00Z`, ending_at: `${day}T23:59:59Z`, time_bucket_width: "1h", group_by: ["model"], limit: 1 } as never)) {
      analyticsOutput += (row as any).usage.output_tokens;
      rows++;
    }
    expect(rows).toBeGreaterThan(1);
    expect(analyticsOutput).toBe(output);
    let analyticsCost = 0;
    for await (const row of admin.beta.organization.analytics.cost.list({ starting_at: `${day}T00:00:00Z`, ending_at: `${day}T23:59:59Z`, time_bucket_width: "1d" } as never)) {
      analyticsCost += Number((row as any).cost.amount);
    }
    expect(Math.round(analyticsCost * 10_000)).toBe(cost);
    expect((await h.call("GET", "/v1/organizations/usage_report/messages?starting_at=nonsense")).status).toBe(400);
    expect((await h.call("GET", `/v1/organizations/usage_report/messages?starting_at=${day}T00:00:00Z&bucket_width=1m&ending_at=2026-12-30T00:00:00Z`)).status).toBe(400);
  });

  it("keys, workspaces and the organization show month-to-date spend and remaining budget", async () => {
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "workspace", workspace_id: ws }, amount: "100000", period: "monthly" });
    const records = await h.deps.store.usage.list(h.orgId, { apiKeyId: key.id }, 100_000);
    const keySpent = records.reduce((a, r) => a + r.cost_micros, 0);
    const k = await ok(h, "GET", `/v1/organizations/api_keys/${key.id}`);
    expect(Math.round(Number(k.spend.month_to_date_spend) * 10_000)).toBe(keySpent);
    expect(k.spend.monthly_limit).toBeNull();
    const w = await ok(h, "GET", `/v1/organizations/workspaces/${ws}`);
    expect(w.spend.monthly_limit).toBe("100000");
    expect(Number(w.spend.remaining_budget)).toBeCloseTo(100000 - Number(w.spend.month_to_date_spend), 4);
    const me = await ok(h, "GET", "/v1/organizations/me");
    expect(Number(me.spend.month_to_date_spend)).toBeGreaterThanOrEqual(Number(w.spend.month_to_date_spend));
    const listed = await ok(h, "GET", "/v1/organizations/api_keys?limit=100");
    expect(listed.data.find((x: any) => x.id === key.id).spend).toEqual(k.spend);
  });

  it("allowed_cidrs: a key is refused outside its networks and accepted inside", async () => {
    const outside = await ok(h, "POST", "/v1/organizations/api_keys", { name: "vpc-only-service", workspace_id: ws, allowed_cidrs: ["10.0.0.0/8"] });
    const inside = await ok(h, "POST", "/v1/organizations/api_keys", { name: "loopback-only-service", workspace_id: ws, allowed_cidrs: ["127.0.0.0/8", "::1/128"] });
    const call = (secret: string) => new Anthropic({ baseURL, apiKey: secret, maxRetries: 0 }).messages.create({ model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] });
    await expect(call(outside.secret)).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((await call(inside.secret)).type).toBe("message");
  });
});
