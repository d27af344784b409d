/**
 * Limits under concurrency and failure: K5, Z3, B1–B5, B8 and the failure paths (upstream down,
 * timeout, client disconnect mid-stream), against a mock upstream, on the gateway's in-process
 * counters with a fake clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PRICES, nanosToMicros, worstCaseNanos } from "../../src/core/pricing.js";
import { MemoryCounterStore } from "../../src/storage/memory/counters.js";
import { Gateway } from "../../src/services/gateway/gateway.js";
import { PolicyCache } from "../../src/services/gateway/policy-cache.js";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";

const SONNET = DEFAULT_PRICES["claude-sonnet-4-5"]!;

describe("limits and failure paths", () => {
  let upstream: MockUpstream;
  let h: Harness;
  let baseURL: string;
  let ws: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    h = await createHarness("sqlite", { dataPlane: { upstreamUrl: upstream.url, timeoutMs: 1000, idleTimeoutMs: 1000 } });
    baseURL = await h.listen();
    ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
  });
  afterAll(async () => {
    await h.close();
    await upstream.close();
  });
  afterEach(() => {
    // Each test starts with a full minute of rate-limit tokens.
    h.clock.advance(120_000);
  });

  const newKey = async (extra: Record<string, unknown> = {}) => ok(h, "POST", "/v1/organizations/api_keys", { name: `svc-${Math.random().toString(36).slice(2, 10)}`, workspace_id: ws, tier: 4, ...extra }) as Promise<{ id: string; secret: string }>;
  const body = (stream: boolean, maxTokens = 100) => JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: maxTokens, stream, messages: [{ role: "user", content: "Summarize the quarterly report." }] });
  const send = (secret: string, payload: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${baseURL}/v1/messages`, { method: "POST", headers: { "x-api-key": secret, "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers }, body: payload, ...(signal ? { signal } : {}) });
  const ledger = async (keyId: string) => h.deps.store.usage.list(h.orgId, { apiKeyId: keyId }, 100_000);
  const counters = () => h.dataPlane!.gateway.counters as MemoryCounterStore;
  const worst = (payload: string, maxTokens: number) => nanosToMicros(worstCaseNanos(SONNET, Buffer.byteLength(payload), maxTokens, {}));

  it("K5: after a revoke call returns, 0 of 1,000 requests with the key are accepted; status and archive changes apply at once (Z3)", async () => {
    const k = await newKey();
    expect((await send(k.secret, body(false))).status).toBe(200);
    await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { status: "inactive" });
    const results = await Promise.all(Array.from({ length: 1000 }, () => send(k.secret, body(false)).then((r) => r.status)));
    expect(results.filter((s) => s !== 401)).toEqual([]);
    await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { status: "active" });
    expect((await send(k.secret, body(false))).status).toBe(200);
    const ws2 = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Doomed", environment: "staging" })).id;
    const k2 = await ok(h, "POST", "/v1/organizations/api_keys", { name: "doomed-service", workspace_id: ws2 });
    expect((await send(k2.secret, body(false))).status).toBe(200);
    await ok(h, "POST", `/v1/organizations/workspaces/${ws2}/archive`);
    expect((await send(k2.secret, body(false))).status).toBe(401);
    // A model restriction added now applies to the next request.
    await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { allowed_models: ["claude-haiku-4-5"] });
    expect((await send(k.secret, body(false))).status).toBe(403);
  });

  it("K4 on the data plane: bad, revoked, expired and wrong-workspace keys get byte-identical 401 bodies", async () => {
    const revoked = await newKey();
    await ok(h, "POST", `/v1/organizations/api_keys/${revoked.id}`, { status: "archived" });
    const expiring = await newKey({ expires_at: new Date(h.clock.now().getTime() + 1000).toISOString() });
    h.clock.advance(1000);
    const good = await newKey();
    const cases: Record<string, string>[] = [
      {}, { "x-api-key": "garbage" }, { "x-api-key": good.secret.slice(0, -1) + "x" }, { "x-api-key": revoked.secret }, { "x-api-key": expiring.secret },
      { "x-api-key": good.secret, "anthropic-workspace-id": "wrkspc_other" }, { "x-api-key": h.adminKey }, { authorization: `Bearer ${revoked.secret}` },
    ];
    const bodies = new Set<string>();
    const requestIds: string[] = [];
    for (const headers of cases) {
      const res = await fetch(`${baseURL}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: body(false) });
      expect(res.status).toBe(401);
      const text = await res.text();
      requestIds.push(res.headers.get("request-id") ?? "");
      bodies.add(text.replace(res.headers.get("request-id") ?? "", "REQ"));
    }
    expect([...bodies]).toEqual(['{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"REQ"}']);
    // A1 on the data plane: each failure is audited once (written in the background, off the response path).
    await new Promise((r) => setTimeout(r, 200));
    const rows = await h.deps.store.connection.db.selectFrom("audit_events").select(["request_id", "action", "reason"]).where("request_id", "in", requestIds).execute();
    expect(rows).toHaveLength(cases.length);
    expect(new Set(rows.map((r) => r.reason))).toEqual(new Set(["missing", "malformed", "revoked", "expired", "wrong_workspace", "wrong_kind"]));
  });

  it("B1: 64 concurrent streams against a budget of 10 worst cases, 100 trials: never a micro-dollar over", async () => {
    const trials = Number(process.env.GATEHOUSE_B1_TRIALS ?? 100);
    const payload = body(true, 2000);
    const c = worst(payload, 2000);
    let maxOvershoot = -Infinity;
    for (let t = 0; t < trials; t++) {
      const k = await newKey();
      // Budget in whole cents: 10 worst cases, rounded down.
      const budgetCents = Math.floor((10 * c) / 10_000);
      await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: k.id }, amount: String(budgetCents), period: "daily" });
      const statuses = await Promise.all(Array.from({ length: 64 }, async () => {
        const res = await send(k.secret, payload, { "x-mock-mode": "max" });
        await res.text();
        return res.status;
      }));
      const spent = (await ledger(k.id)).reduce((a, r) => a + r.cost_micros, 0);
      maxOvershoot = Math.max(maxOvershoot, spent - budgetCents * 10_000);
      expect(statuses.filter((s) => s === 200).length).toBe(Math.floor((budgetCents * 10_000) / c));
      expect(statuses.every((s) => s === 200 || s === 400)).toBe(true);
    }
    expect(maxOvershoot).toBeLessThanOrEqual(0);
  }, 300_000);

  it("B2: 1,000 requests with disconnects, upstream errors and timeouts leak no reservation; counters equal the ledger exactly", async () => {
    const total = Number(process.env.GATEHOUSE_B2_REQUESTS ?? 1000);
    const k = await newKey();
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: k.id }, amount: "100000000", period: "monthly" });
    const outcomes: Record<string, number> = {};
    const one = async (i: number) => {
      const r = i % 20;
      const kind = r < 4 ? "disconnect" : r === 4 ? "error" : r === 5 ? "timeout" : i % 2 ? "stream" : "json";
      const ctl = new AbortController();
      try {
        if (kind === "disconnect") {
          const res = await send(k.secret, body(true), { "x-mock-mode": "slow" }, ctl.signal);
          const reader = res.body!.getReader();
          await reader.read();
          ctl.abort();
        } else {
          const mode = kind === "error" ? "error-500" : kind === "timeout" ? "hang" : "";
          const res = await send(k.secret, body(kind === "stream"), mode ? { "x-mock-mode": mode } : {});
          await res.text();
          outcomes[`${kind}:${res.status}`] = (outcomes[`${kind}:${res.status}`] ?? 0) + 1;
        }
      } catch {
        outcomes[`${kind}:aborted`] = (outcomes[`${kind}:aborted`] ?? 0) + 1;
      }
    };
    for (let i = 0; i < total; i += 50) await Promise.all(Array.from({ length: Math.min(50, total - i) }, (_, j) => one(i + j)));
    // Settle window: in-flight disconnects finish settling.
    const deadline = Date.now() + 30_000;
    let entries = counters().entries().filter(([id]) => id.includes(k.id));
    while (entries.some(([, c]) => c.reservedMicros > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      entries = counters().entries().filter(([id]) => id.includes(k.id));
    }
    expect(outcomes["error:500"]).toBe(total / 20);
    expect(outcomes["timeout:504"]).toBe(total / 20);
    expect(entries).toHaveLength(1);
    const [, counter] = entries[0]!;
    expect(counter.reservedMicros).toBe(0);
    const records = await ledger(k.id);
    expect(counter.spentMicros).toBe(records.reduce((a, r) => a + r.cost_micros, 0));
    // Errors and timeouts are not billed; disconnected streams are billed what they used.
    expect(records.length).toBe(total - total / 20 - total / 20);
    const disconnected = records.filter((r) => r.uncharged_reason === null && r.stream && r.output_tokens < 10);
    expect(disconnected.length).toBeGreaterThan(0);
    expect(records.every((r) => r.cost_micros > 0)).toBe(true);
  }, 120_000);

  it("B3: sequential requests of exact cost c against budget B: exactly floor(B/c) admitted, also after cancelled streams and a restart of the counters", async () => {
    const k = await newKey();
    const payload = body(false, 500);
    const c = worst(payload, 500);
    const budgetCents = 7 * Math.ceil(c / 10_000) + 3;
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: k.id }, amount: String(budgetCents), period: "weekly" });
    const run = async () => {
      let admitted = 0;
      for (let i = 0; i < 1000; i++) {
        const res = await send(k.secret, payload, { "x-mock-mode": "exact" });
        await res.text();
        if (res.status !== 200) {
          expect(res.status).toBe(400);
          break;
        }
        admitted++;
      }
      return admitted;
    };
    // 50 streams cancelled before the upstream answers leave nothing reserved behind.
    await Promise.all(Array.from({ length: 50 }, async () => {
      const ctl = new AbortController();
      const p = send(k.secret, body(true, 500), { "x-mock-mode": "hang" }, ctl.signal).catch(() => null);
      setTimeout(() => ctl.abort(), 20);
      await p;
    }));
    await new Promise((r) => setTimeout(r, 600));
    const admitted = await run();
    expect((await ledger(k.id)).every((r) => r.cost_micros === c)).toBe(true);
    expect(admitted).toBe(Math.floor((budgetCents * 10_000) / c));
    // A restarted process rebuilds the counter from the ledger and decides the same.
    const restarted = new Gateway(h.deps, new PolicyCache(h.deps.store, h.deps.encryptionKey, "sk-ant-x"), new MemoryCounterStore(), DEFAULT_PRICES);
    const policy = (await restarted.cache.get(k.id))!;
    await expect(restarted.admit(policy, { model: "claude-sonnet-4-5", maxTokens: 500, stream: false, bodyBytes: Buffer.byteLength(payload) })).rejects.toMatchObject({ code: "spend_limit_reached" });
    const reloaded = (restarted.counters as MemoryCounterStore).entries().find(([id]) => id.includes(k.id))![1];
    expect(reloaded).toEqual({ spentMicros: admitted * c, reservedMicros: 0 });
    await restarted.close();
  });

  it("B4: a streamed and a non-streamed identical request cost the same; cumulative deltas are not summed; a stream without usage is charged its reservation", async () => {
    const k = await newKey();
    await (await send(k.secret, body(false))).text();
    await (await send(k.secret, body(true))).text();
    const [json, stream] = await ledger(k.id);
    expect(json!.cost_micros).toBe(stream!.cost_micros);
    expect(stream!.output_tokens).toBe(10);
    expect(stream!.cost_micros).toBe(nanosToMicros(25 * 3000 + 10 * 15000));
    const noUsage = body(true, 300);
    const res = await send(k.secret, noUsage, { "x-mock-mode": "no-usage" });
    expect(await res.text()).toContain("message_stop");
    const last = (await ledger(k.id)).at(-1)!;
    expect(last.cost_micros).toBe(worst(noUsage, 300));
    expect(last.uncharged_reason).toBe("stream_ended_without_usage");
    expect((await ledger(k.id)).filter((r) => r.cost_micros === 0)).toEqual([]);
  });

  it("B5: 1,000 concurrent callers against 100 requests per minute: exactly 100 admitted, 429s carry retry-after and cost nothing", async () => {
    const k = await newKey();
    await ok(h, "POST", `/v1/organizations/api_keys/${k.id}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 100 }] });
    const results = await Promise.all(Array.from({ length: 1000 }, async () => {
      const res = await send(k.secret, body(false));
      await res.text();
      return { status: res.status, retryAfter: res.headers.get("retry-after"), type: res.status === 429 ? "rate" : "" };
    }));
    // Admitted = not refused by the limiter (under heavy load an admitted call may still time out upstream).
    expect(results.filter((r) => r.status !== 429)).toHaveLength(100);
    const denied = results.filter((r) => r.status === 429);
    expect(denied).toHaveLength(900);
    expect(denied.every((r) => Number(r.retryAfter) >= 1 && Number(r.retryAfter) <= 60)).toBe(true);
    expect(await ledger(k.id)).toHaveLength(results.filter((r) => r.status === 200).length);
    // Denials took nothing: after 1.2 s (fake clock) exactly 2 more fit.
    h.clock.advance(1200);
    const more = await Promise.all(Array.from({ length: 5 }, () => send(k.secret, body(false)).then(async (r) => { await r.text(); return r.status; })));
    expect(more.filter((s) => s === 200)).toHaveLength(2);
  });

  it("B5: output-token limits reserve max_tokens before the call and return what was not used", async () => {
    const k = await newKey();
    await ok(h, "POST", `/v1/organizations/api_keys/${k.id}/rate_limits/rl_messages`, { limits: [{ type: "output_tokens_per_minute", value: 1000 }] });
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => send(k.secret, body(false, 400), { "x-mock-mode": "hang" }).then(async (r) => { await r.text(); return r.status; })));
    // 2 × 400 fit in 1,000; the third is refused while the first two are in flight (then they time out and refund).
    expect(concurrent.filter((s) => s === 429)).toHaveLength(3);
    // Each real response uses 10 tokens of its 400: the rest comes back at settlement.
    for (let i = 0; i < 10; i++) expect((await send(k.secret, body(false, 400))).status).toBe(200);
  });

  it("B8: a child limit above its parent is refused at configuration; a denial at one level consumes nothing at any level", async () => {
    await ok(h, "POST", "/v1/organizations/rate_limits", { limits: [{ type: "requests_per_minute", value: 100_000 }] });
    expect((await h.call("POST", `/v1/organizations/workspaces/${ws}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 200_000 }] })).json.error.details).toEqual({ error_code: "exceeds_parent_limit" });
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "organization" }, amount: "100000000", period: "monthly" });
    expect((await h.call("POST", "/v1/organizations/spend_limits", { scope: { type: "workspace", workspace_id: ws }, amount: "100000001", period: "monthly" })).status).toBe(400);
    const ws2 = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Tight", environment: "development" })).id;
    await ok(h, "POST", `/v1/organizations/workspaces/${ws2}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 3 }] });
    const a = await ok(h, "POST", "/v1/organizations/api_keys", { name: "tight-worker-a", workspace_id: ws2 });
    const b = await ok(h, "POST", "/v1/organizations/api_keys", { name: "tight-worker-b", workspace_id: ws2 });
    await ok(h, "POST", `/v1/organizations/api_keys/${a.id}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 2 }] });
    const statusesA = [];
    for (let i = 0; i < 4; i++) statusesA.push((await send(a.secret, body(false))).status);
    expect(statusesA).toEqual([200, 200, 429, 429]);
    // A's denials took nothing from the workspace: B still gets the workspace's third request.
    expect((await send(b.secret, body(false))).status).toBe(200);
    expect((await send(b.secret, body(false))).status).toBe(429);
    await ok(h, "POST", "/v1/organizations/rate_limits", { limits: [{ type: "requests_per_minute", value: null }] });
  });

  it("failure paths: upstream down is 502, a silent upstream is 504, a stream cut mid-way ends with an error event; none leaks", async () => {
    const k = await newKey();
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: k.id }, amount: "100000", period: "daily" });
    const timeout = await send(k.secret, body(false), { "x-mock-mode": "hang" });
    expect(timeout.status).toBe(504);
    expect(await timeout.json()).toMatchObject({ type: "error", error: { type: "timeout_error" } });
    const cut = await send(k.secret, body(true), { "x-mock-mode": "cut" });
    const text = await cut.text();
    expect(text).toContain("event: error");
    expect(text).not.toContain("message_stop");
    const cutRecord = (await ledger(k.id)).at(-1)!;
    expect(cutRecord.uncharged_reason).toBeNull();
    expect(cutRecord.input_tokens).toBe(25);
    // Upstream down: a gateway pointed at a closed port.
    const down = await createHarness("sqlite", { dataPlane: { upstreamUrl: "http://127.0.0.1:9", timeoutMs: 400 } });
    try {
      const w = (await ok(down, "POST", "/v1/organizations/workspaces", { name: "P", environment: "production" })).id;
      const dk = await ok(down, "POST", "/v1/organizations/api_keys", { name: "orphan-service", workspace_id: w });
      const res = await down.app.inject({ method: "POST", url: "/v1/messages", headers: { "x-api-key": dk.secret, "content-type": "application/json" }, payload: body(false) });
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
      expect(await down.deps.store.usage.list(down.orgId, {}, 10)).toEqual([]);
    } finally {
      await down.close();
    }
    const entry = counters().entries().find(([id]) => id.includes(k.id))!;
    expect(entry[1].reservedMicros).toBe(0);
  });

  it("streams pass through as they arrive: the client has message_start while the upstream still holds the rest; message_stop comes after the record", async () => {
    const k = await newKey();
    const res = await send(k.secret, body(true), { "x-mock-mode": "gated" });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // The upstream has sent message_start only and waits: the client must already have it.
    while (!text.includes("event: message_start")) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value, { stream: true });
    }
    expect(text).not.toContain("message_delta");
    expect(await ledger(k.id)).toHaveLength(0);
    upstream.openGates();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.trimEnd().endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}")).toBe(true);
    const records = await ledger(k.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ stream: true, output_tokens: upstream.outputTokens, uncharged_reason: null });
  });

  it("a client that does not read holds the upstream back: Gatehouse stops reading instead of buffering the stream", async () => {
    const k = await newKey();
    const stallsBefore = upstream.stalls;
    const bytesBefore = upstream.floodBytes;
    const res = await send(k.secret, body(true), { "x-mock-mode": "flood" });
    expect(res.status).toBe(200);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // The client reads nothing: once the sockets' buffers are full the upstream must be kept waiting.
    for (let i = 0; i < 200 && upstream.stalls === stallsBefore; i++) await sleep(25);
    expect(upstream.stalls).toBeGreaterThan(stallsBefore);
    await sleep(300);
    const written = upstream.floodBytes - bytesBefore;
    await sleep(300);
    expect(upstream.floodBytes - bytesBefore).toBe(written);
    expect(written).toBeLessThan(32 * 1024 * 1024);
    // Reading resumes the flow; the whole stream arrives and is metered once.
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = 0;
    let tail = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.length;
      tail = (tail + decoder.decode(value, { stream: true })).slice(-300);
    }
    expect(received).toBeGreaterThan(64 * 1024 * 1024);
    expect(tail).toContain("event: message_stop");
    expect(await ledger(k.id)).toHaveLength(1);
  });

  it("Claude Code-shaped traffic: POST /v1/messages?beta=true, streamed, 300 KB body, many betas; bodies up to 32 MB accepted", async () => {
    const k = await newKey();
    const big = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32_000, stream: true, system: "x".repeat(300_000), messages: [{ role: "user", content: "refactor" }], metadata: { user_id: "u" }, thinking: { type: "adaptive" } });
    const betas = "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14,context-management-2025-06-27,oauth-2025-04-20";
    const res = await fetch(`${baseURL}/v1/messages?beta=true`, { method: "POST", headers: { authorization: `Bearer ${k.secret}`, "content-type": "application/json", "anthropic-beta": betas, "anthropic-version": "2023-06-01" }, body: big });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("event: message_stop");
    const sent = upstream.requests.at(-1)!;
    expect(sent.url).toBe("/v1/messages?beta=true");
    expect(sent.headers["anthropic-beta"]).toBe(betas);
    expect(sent.body.length).toBe(big.length);
    h.clock.advance(60_000);
    const huge = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "y".repeat(31 * 1024 * 1024) }] });
    expect((await send(k.secret, huge)).status).toBe(200);
    const tooBig = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "y".repeat(33 * 1024 * 1024) }] });
    const r413 = await send(k.secret, tooBig);
    expect(r413.status).toBe(413);
    expect(await r413.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
  }, 60_000);

  it("invalid requests are 400 before anything is reserved or forwarded", async () => {
    const k = await newKey();
    const before = upstream.requests.length;
    for (const payload of ["{", "[]", JSON.stringify({ model: "claude-sonnet-4-5", messages: [] }), JSON.stringify({ max_tokens: 5 }), JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: -1 })]) {
      const res = await send(k.secret, payload);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.type).toBe("invalid_request_error");
    }
    expect(upstream.requests.length).toBe(before);
  });

  it("a database outage on a key's first request is a 503, not a 5xx crash or an unmetered call", async () => {
    const broken = await createHarness("sqlite", { dataPlane: { upstreamUrl: upstream.url } });
    const w = (await ok(broken, "POST", "/v1/organizations/workspaces", { name: "P", environment: "production" })).id;
    const k = await ok(broken, "POST", "/v1/organizations/api_keys", { name: "cold-cache-service", workspace_id: w });
    const before = upstream.requests.length;
    await broken.deps.store.close();
    const res = await broken.app.inject({ method: "POST", url: "/v1/messages", headers: { "x-api-key": k.secret, "content-type": "application/json" }, payload: body(false) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(upstream.requests.length).toBe(before);
    await broken.app.close();
    await broken.dataPlane!.close().catch(() => {});
  });
});
