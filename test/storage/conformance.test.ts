import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/core/audit.js";
import type { ApiKey, User, Workspace } from "../../src/core/domain.js";
import { newId } from "../../src/core/ids.js";
import type { AuditEventInput } from "../../src/core/audit.js";
import type { SqlStore } from "../../src/storage/sql/store.js";
import { DIALECTS } from "../support/databases.js";
import { openTestStore } from "../support/harness.js";

const T0 = Date.parse("2026-11-01T00:00:00.000Z");
const iso = (offsetMs = 0) => new Date(T0 + offsetMs).toISOString();

function user(orgId: string, n: number, extra: Partial<User> = {}): User {
  return { id: newId("user", T0 + n), org_id: orgId, email: `u${n}@example.com`, name: `User ${n}`, role: "developer", status: "active", added_at: iso(n), external_id: null, user_name: null, given_name: null, family_name: null, ...extra };
}
function workspace(orgId: string, n: number, extra: Partial<Workspace> = {}): Workspace {
  return { id: newId("workspace", T0 + n), org_id: orgId, name: `WS ${n}`, environment: "production", display_color: "#000000", tags: { team: "a" }, created_at: iso(n), archived_at: null, rotation_max_age_days: 90, rotation_action: "notify", ...extra };
}
function apiKey(orgId: string, wsId: string, n: number, extra: Partial<ApiKey> = {}): ApiKey {
  return {
    id: newId("apiKey", T0 + n), org_id: orgId, workspace_id: wsId, name: `svc-${n}`, status: "active", key_hash: "ab".repeat(32), hint: "gth_prod_abc...wxyz",
    created_at: iso(n), created_by_type: "admin_key", created_by_id: "admkey_1", owner_user_id: null, expires_at: null, tier: 1,
    allowed_models: ["claude-sonnet-4-5"], allowed_cidrs: null, last_used_at: null, rotated_from: null, rotated_to: null, rotated_at: null, ...extra,
  };
}
function event(orgId: string | null, action: AuditEventInput["action"], extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    orgId, actor: { type: "admin_key", id: "admkey_1", display: "ops" }, action, target: { type: "api_key", id: "apikey_1" }, workspaceId: null,
    outcome: "success", reason: null, requestId: "req_1", ip: "127.0.0.1", userAgent: "t", changes: { a: 1 }, ...extra,
  };
}

describe.each(DIALECTS)("storage conformance: %s", (dialect) => {
  let store: SqlStore;
  let dispose: () => Promise<void>;
  const orgA = "00000000-0000-4000-8000-00000000000a";
  const orgB = "00000000-0000-4000-8000-00000000000b";

  beforeAll(async () => {
    ({ store, dispose } = await openTestStore(dialect));
    await store.orgs.insert({ id: orgA, name: "A", created_at: iso(0) });
    await store.orgs.insert({ id: orgB, name: "B", created_at: iso(1) });
  });
  afterAll(async () => dispose());

  it("migrations are idempotent", async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it("organizations: get, first, missing", async () => {
    expect((await store.orgs.get(orgA))?.name).toBe("A");
    expect((await store.orgs.first())?.id).toBe(orgA);
    expect(await store.orgs.get("00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  it("users: scoped reads, filters, unique email among live users", async () => {
    const users = Array.from({ length: 5 }, (_, i) => user(orgA, i, { role: i % 2 ? "billing" : "developer" }));
    for (const u of users) await store.users.insert(u);
    const foreign = user(orgB, 99);
    await store.users.insert(foreign);
    expect(await store.users.get(orgA, foreign.id)).toBeNull();
    expect((await store.users.get(orgB, foreign.id))?.email).toBe(foreign.email);
    expect((await store.users.getByEmail(orgA, "u3@example.com"))?.id).toBe(users[3]!.id);
    const billing = await store.users.list(orgA, { roles: ["billing"] }, { limit: 10 });
    expect(billing.data.map((u) => u.id)).toEqual([users[1]!.id, users[3]!.id]);
    await expect(store.users.insert(user(orgA, 3, { id: newId("user") }))).rejects.toThrow();
    await store.users.update(orgA, users[4]!.id, { status: "deleted" });
    expect(await store.users.get(orgA, users[4]!.id)).toBeNull();
    await store.users.insert(user(orgA, 4, { id: newId("user", T0 + 50) }));
    // Cross-tenant update touches nothing.
    await store.users.update(orgB, users[0]!.id, { role: "admin" });
    expect((await store.users.get(orgA, users[0]!.id))?.role).toBe("developer");
  });

  it("cursor pagination: after_id, before_id, has_more, exact order", async () => {
    const ws = Array.from({ length: 7 }, (_, i) => workspace(orgA, 100 + i));
    for (const w of ws) await store.workspaces.insert(w);
    const ids = ws.map((w) => w.id);
    const p1 = await store.workspaces.list(orgA, { includeArchived: true, visible: "all" }, { limit: 3 });
    expect(p1.data.map((w) => w.id)).toEqual(ids.slice(0, 3));
    expect(p1.hasMore).toBe(true);
    const p3 = await store.workspaces.list(orgA, { includeArchived: true, visible: "all" }, { limit: 3, afterId: ids[5] });
    expect(p3).toMatchObject({ hasMore: false });
    expect(p3.data.map((w) => w.id)).toEqual([ids[6]]);
    const back = await store.workspaces.list(orgA, { includeArchived: true, visible: "all" }, { limit: 2, beforeId: ids[4] });
    expect(back.data.map((w) => w.id)).toEqual([ids[2], ids[3]]);
    expect(back.hasMore).toBe(true);
    expect((await store.workspaces.get(orgA, ids[0]!))?.tags).toEqual({ team: "a" });
  });

  it("workspaces: archived filter, visibility set, tenant scope", async () => {
    const a = workspace(orgA, 200);
    const b = workspace(orgA, 201, { archived_at: iso(5) });
    await store.workspaces.insert(a);
    await store.workspaces.insert(b);
    const visible = await store.workspaces.list(orgA, { includeArchived: false, visible: [a.id, b.id] }, { limit: 100 });
    expect(visible.data.map((w) => w.id)).toEqual([a.id]);
    const withArchived = await store.workspaces.list(orgA, { includeArchived: true, visible: [a.id, b.id] }, { limit: 100 });
    expect(withArchived.data.map((w) => w.id)).toEqual([a.id, b.id]);
    expect((await store.workspaces.list(orgA, { includeArchived: true, visible: [] }, { limit: 100 })).data).toEqual([]);
    expect((await store.workspaces.list(orgB, { includeArchived: true, visible: "all" }, { limit: 100 })).data).toEqual([]);
    expect(await store.workspaces.get(orgB, a.id)).toBeNull();
    await store.workspaces.update(orgA, a.id, { name: "Renamed", tags: { x: "y" } });
    expect(await store.workspaces.get(orgA, a.id)).toMatchObject({ name: "Renamed", tags: { x: "y" } });
  });

  it("members: add, list, update, remove, remove all for a user", async () => {
    const w = workspace(orgA, 300);
    await store.workspaces.insert(w);
    const u1 = user(orgA, 301);
    const u2 = user(orgA, 302);
    await store.users.insert(u1);
    await store.users.insert(u2);
    await store.members.insert({ org_id: orgA, workspace_id: w.id, user_id: u1.id, workspace_role: "workspace_user", created_at: iso() });
    await store.members.insert({ org_id: orgA, workspace_id: w.id, user_id: u2.id, workspace_role: "workspace_admin", created_at: iso() });
    await expect(store.members.insert({ org_id: orgA, workspace_id: w.id, user_id: u2.id, workspace_role: "workspace_user", created_at: iso() })).rejects.toThrow();
    expect((await store.members.list(orgA, w.id, { limit: 10 })).data.map((m) => m.user_id)).toEqual([u1.id, u2.id]);
    expect((await store.members.list(orgB, w.id, { limit: 10 })).data).toEqual([]);
    await store.members.update(orgA, w.id, u1.id, "workspace_developer");
    expect((await store.members.get(orgA, w.id, u1.id))?.workspace_role).toBe("workspace_developer");
    expect(await store.members.listForUser(orgA, u2.id)).toHaveLength(1);
    expect(await store.members.removeAllForUser(orgA, u2.id)).toBe(1);
    await store.members.remove(orgA, w.id, u1.id);
    expect((await store.members.list(orgA, w.id, { limit: 10 })).data).toEqual([]);
  });

  it("api keys: JSON fields, derived expired status filter, visibility, auth lookup", async () => {
    const w = workspace(orgA, 400);
    const w2 = workspace(orgA, 401);
    await store.workspaces.insert(w);
    await store.workspaces.insert(w2);
    const now = iso(1000);
    const active = apiKey(orgA, w.id, 402);
    const expired = apiKey(orgA, w.id, 403, { expires_at: iso(500) });
    const inactive = apiKey(orgA, w.id, 404, { status: "inactive", created_by_type: "user", created_by_id: "user_1" });
    const archived = apiKey(orgA, w2.id, 405, { status: "archived" });
    for (const k of [active, expired, inactive, archived]) await store.apiKeys.insert(k);
    const list = (statuses?: string[], visible: "all" | string[] = "all") =>
      store.apiKeys.list(orgA, { statuses, visible, now }, { limit: 100 }).then((r) => r.data.map((k) => k.id));
    expect(await list(["active"])).toEqual([active.id]);
    expect(await list(["expired"])).toEqual([expired.id]);
    expect(await list(["inactive"])).toEqual([inactive.id]);
    expect(await list(["archived"])).toEqual([archived.id]);
    expect(await list(undefined, [w2.id])).toEqual([archived.id]);
    expect((await store.apiKeys.list(orgA, { createdByUserId: "user_1", visible: "all", now }, { limit: 10 })).data.map((k) => k.id)).toEqual([inactive.id]);
    expect((await store.apiKeys.get(orgA, active.id))?.allowed_models).toEqual(["claude-sonnet-4-5"]);
    expect(await store.apiKeys.get(orgB, active.id)).toBeNull();
    expect((await store.apiKeys.getForAuth(active.id))?.org_id).toBe(orgA);
    expect((await store.apiKeys.listActiveInWorkspace(orgA, w.id)).map((k) => k.id).sort()).toEqual([active.id, expired.id, inactive.id].sort());
    await store.apiKeys.update(orgA, active.id, { allowed_cidrs: ["10.0.0.0/8"], name: "svc-renamed" });
    expect(await store.apiKeys.get(orgA, active.id)).toMatchObject({ allowed_cidrs: ["10.0.0.0/8"], name: "svc-renamed" });
  });

  it("admin keys: scoped get, auth lookup, list, update", async () => {
    const k = { id: newId("adminKey"), org_id: orgB, name: "ops-automation", role: "admin" as const, user_id: null, status: "active" as const, key_hash: "cd".repeat(32), hint: "h", created_at: iso(), created_by_id: null, last_used_at: null, revoked_at: null };
    await store.adminKeys.insert(k);
    expect(await store.adminKeys.get(orgA, k.id)).toBeNull();
    expect((await store.adminKeys.getForAuth(k.id))?.org_id).toBe(orgB);
    expect((await store.adminKeys.list(orgB, { limit: 10 })).data.map((x) => x.id)).toEqual([k.id]);
    await store.adminKeys.update(orgB, k.id, { status: "revoked", revoked_at: iso(9) });
    expect((await store.adminKeys.get(orgB, k.id))?.status).toBe("revoked");
  });

  it("audit: append chains events, filters and pages by org, scan and head agree", async () => {
    const before = await store.audit.head();
    const now = new Date(T0 + 10_000);
    await store.transaction(async (tx) => {
      await tx.audit.append(event(orgA, "workspace.created", { workspaceId: "wrkspc_x" }), now);
      await tx.audit.append(event(orgB, "user.created"), now);
      await tx.audit.append(event(orgA, "api_key.created", { actor: { type: "user", id: "user_9", display: null } }), new Date(T0 + 20_000));
    });
    const head = await store.audit.head();
    expect(head.seq).toBe(before.seq + 3);
    const all = [];
    for await (const e of store.audit.scan(2)) all.push(e);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    expect(verifyChain(all, head).ok).toBe(true);
    const a = await store.audit.list(orgA, {}, { limit: 10 });
    expect(a.data.map((e) => e.action)).toEqual(["workspace.created", "api_key.created"]);
    expect((await store.audit.list(orgA, { actorId: "user_9" }, { limit: 10 })).data).toHaveLength(1);
    expect((await store.audit.list(orgA, { workspaceId: "wrkspc_x" }, { limit: 10 })).data).toHaveLength(1);
    expect((await store.audit.list(orgA, { action: "api_key.created", from: iso(15_000) }, { limit: 10 })).data).toHaveLength(1);
    expect((await store.audit.list(orgA, { to: iso(15_000) }, { limit: 10 })).data.map((e) => e.action)).toEqual(["workspace.created"]);
    const page1 = await store.audit.list(orgA, {}, { limit: 1 });
    const page2 = await store.audit.list(orgA, {}, { limit: 1, afterId: page1.data[0]!.id });
    expect([page1.hasMore, page2.hasMore]).toEqual([true, false]);
    expect(page2.data[0]!.seq).toBeGreaterThan(page1.data[0]!.seq);
  });

  it("transactions: a failure rolls back the change and its audit event", async () => {
    const headBefore = await store.audit.head();
    const w = workspace(orgA, 500);
    await expect(store.transaction(async (tx) => {
      await tx.workspaces.insert(w);
      await tx.audit.append(event(orgA, "workspace.created"), new Date());
      throw new Error("boom");
    })).rejects.toThrow("boom");
    expect(await store.workspaces.get(orgA, w.id)).toBeNull();
    expect(await store.audit.head()).toEqual(headBefore);
  });

  it("concurrent appends keep one unbroken chain", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.transaction((tx) => tx.audit.append(event(orgA, "user.updated", { requestId: `req_c${i}` }), new Date()))));
    const all = [];
    for await (const e of store.audit.scan(1000)) all.push(e);
    expect(verifyChain(all, await store.audit.head()).ok).toBe(true);
  });

  it("upstream credentials: org default and per workspace, upsert replaces, tenant-scoped", async () => {
    const now = iso();
    await store.upstreamCredentials.upsert({ org_id: orgA, workspace_id: null, ciphertext: "c1", hint: "sk-ant-...AAAA", created_at: now, updated_at: now });
    await store.upstreamCredentials.upsert({ org_id: orgA, workspace_id: "wrkspc_x", ciphertext: "c2", hint: "h2", created_at: now, updated_at: now });
    await store.upstreamCredentials.upsert({ org_id: orgA, workspace_id: "wrkspc_x", ciphertext: "c3", hint: "h3", created_at: now, updated_at: iso(5) });
    expect((await store.upstreamCredentials.get(orgA, null))?.ciphertext).toBe("c1");
    expect(await store.upstreamCredentials.get(orgA, "wrkspc_x")).toMatchObject({ ciphertext: "c3", workspace_id: "wrkspc_x", created_at: now });
    expect(await store.upstreamCredentials.get(orgB, null)).toBeNull();
    expect(await store.upstreamCredentials.remove(orgA, "wrkspc_x")).toBe(true);
    expect(await store.upstreamCredentials.remove(orgA, "wrkspc_x")).toBe(false);
  });

  it("spend limits: upsert on (scope, period), null amounts, scoped reads", async () => {
    const now = iso();
    const a = await store.spendLimits.upsert({ id: "spl_a", org_id: orgA, scope_type: "organization", scope_id: null, period: "monthly", amount_cents: 50_000, created_at: now, updated_at: now });
    const b = await store.spendLimits.upsert({ id: "spl_b", org_id: orgA, scope_type: "organization", scope_id: null, period: "monthly", amount_cents: null, created_at: iso(1), updated_at: iso(1) });
    expect(b).toMatchObject({ id: a.id, amount_cents: null, created_at: now, updated_at: iso(1), scope_id: null });
    await store.spendLimits.upsert({ id: "spl_c", org_id: orgA, scope_type: "api_key", scope_id: "apikey_1", period: "daily", amount_cents: 2 ** 40, created_at: now, updated_at: now });
    expect((await store.spendLimits.findByScope(orgA, "api_key", "apikey_1", "daily"))?.amount_cents).toBe(2 ** 40);
    expect(await store.spendLimits.get(orgB, "spl_c")).toBeNull();
    expect((await store.spendLimits.listAll(orgA)).map((l) => l.id)).toEqual(["spl_a", "spl_c"]);
    await store.spendLimits.remove(orgA, "spl_c");
    expect(await store.spendLimits.get(orgA, "spl_c")).toBeNull();
  });

  it("rate limits: set, replace, clear per scope and type", async () => {
    await store.rateLimits.set(orgA, "workspace", "wrkspc_1", "requests_per_minute", 100, iso());
    await store.rateLimits.set(orgA, "workspace", "wrkspc_1", "requests_per_minute", 50, iso(1));
    await store.rateLimits.set(orgA, "workspace", "wrkspc_1", "output_tokens_per_minute", 8000, iso());
    await store.rateLimits.set(orgA, "organization", null, "requests_per_minute", 1000, iso());
    expect((await store.rateLimits.list(orgA, "workspace", "wrkspc_1")).map((r) => [r.limit_type, r.value])).toEqual([["output_tokens_per_minute", 8000], ["requests_per_minute", 50]]);
    expect((await store.rateLimits.list(orgA, "organization", null))[0]).toMatchObject({ scope_id: null, value: 1000 });
    await store.rateLimits.set(orgA, "workspace", "wrkspc_1", "requests_per_minute", null, iso());
    expect(await store.rateLimits.list(orgA, "workspace", "wrkspc_1")).toHaveLength(1);
    expect(await store.rateLimits.listAll(orgB)).toEqual([]);
  });

  it("usage: bulk insert and exact integer sums per scope and window", async () => {
    const rec = (n: number, extra: Record<string, unknown>) => ({
      id: `usage_${n}`, org_id: orgA, workspace_id: "wrkspc_u", api_key_id: "apikey_u", user_id: null, model: "claude-sonnet-4-5", request_id: `req_${n}`,
      upstream_request_id: null, status: 200, stream: n % 2 === 0, input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_creation_5m_input_tokens: 0,
      cache_creation_1h_input_tokens: 0, cache_read_input_tokens: 0, web_search_requests: 0, service_tier: "standard", speed: null, inference_geo: null,
      cost_micros: 1_000_003, price_estimated: false, uncharged_reason: null, latency_ms: 12, created_at: iso(n * 60_000), ...extra,
    });
    const records = Array.from({ length: 1200 }, (_, i) => rec(i, i % 3 === 0 ? { user_id: "user_u", api_key_id: "apikey_v" } : {}));
    await store.usage.insertMany(records);
    expect(await store.usage.sumCost(orgA, { type: "organization", id: null }, iso(0))).toBe(1200 * 1_000_003);
    expect(await store.usage.sumCost(orgA, { type: "user", id: "user_u" }, iso(0))).toBe(400 * 1_000_003);
    expect(await store.usage.sumCost(orgA, { type: "api_key", id: "apikey_u" }, iso(600 * 60_000))).toBe(400 * 1_000_003);
    // Hour- and day-aligned windows read the coarser rollups and agree.
    expect(await store.usage.sumCost(orgA, { type: "api_key", id: "apikey_u" }, iso(600 * 60_000 - 0))).toBe(await store.usage.sumCost(orgA, { type: "api_key", id: "apikey_u" }, "2026-11-01T10:00:00.000Z"));
    expect(await store.usage.sumCost(orgA, { type: "organization", id: null }, "2026-11-01T00:00:00.000Z")).toBe(1200 * 1_000_003);
    expect(await store.usage.sumCost(orgA, { type: "organization", id: null }, "2026-11-01T19:00:00.000Z")).toBe(60 * 1_000_003);
    expect(await store.usage.sumCost(orgB, { type: "organization", id: null }, iso(0))).toBe(0);
    const listed = await store.usage.list(orgA, { apiKeyId: "apikey_v" }, 2);
    expect(listed.map((r) => [r.id, r.stream, r.price_estimated])).toEqual([["usage_0", true, false], ["usage_3", false, false]]);
  });

  it("change feed: committed transactions name the organizations they changed", async () => {
    const seen: string[][] = [];
    const off = store.onCommitted((ids) => seen.push(ids));
    const { seq } = await store.changedSince(0);
    await store.transaction((tx) => tx.audit.append(event(orgB, "workspace.updated"), new Date()));
    await store.transaction((tx) => tx.audit.append(event(orgA, "auth.failed"), new Date()));
    off();
    expect(seen).toEqual([[orgB]]);
    expect(await store.changedSince(seq)).toEqual({ orgIds: [orgB], seq: seq + 2 });
  });

  it("usage rollups: per-minute aggregates, grouped reports at 1m/1h/1d, scope sums", async () => {
    const rec = (n: number, minute: string, extra: Record<string, unknown>) => ({
      id: `usage_r${n}`, org_id: orgB, workspace_id: "wrkspc_r", api_key_id: "apikey_r1", user_id: null, model: "claude-sonnet-4-5", request_id: `req_r${n}`,
      upstream_request_id: null, status: 200, stream: false, input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 3, cache_creation_5m_input_tokens: 2,
      cache_creation_1h_input_tokens: 1, cache_read_input_tokens: 4, web_search_requests: 0, service_tier: "standard", speed: null, inference_geo: null,
      cost_micros: 100, price_estimated: false, uncharged_reason: null, latency_ms: 5, created_at: `2026-11-28T${minute}:30.000Z`, ...extra,
    });
    await store.transaction((tx) => tx.usage.insertMany([rec(1, "10:00", {}), rec(2, "10:00", {}), rec(3, "10:01", { api_key_id: "apikey_r2", model: "claude-haiku-4-5", price_estimated: true })]));
    await store.transaction((tx) => tx.usage.insertMany([rec(4, "11:30", {}), rec(5, "10:00", {})]));
    const q = { startBucket: "2026-11-28T00:00", endBucket: "2026-11-29T00:00", apiKeyIds: undefined };
    const byMinute = await store.usage.report(orgB, { ...q, bucketChars: 16, groupBy: [] });
    expect(byMinute.map((r) => [r.bucket, r.requests, r.cost_micros])).toEqual([["2026-11-28T10:00", 3, 300], ["2026-11-28T10:01", 1, 100], ["2026-11-28T11:30", 1, 100]]);
    const byHourKey = await store.usage.report(orgB, { ...q, bucketChars: 13, groupBy: ["api_key_id", "model"] });
    expect(byHourKey.map((r) => [r.bucket, r.api_key_id, r.model, r.requests, r.estimated_requests])).toEqual([
      ["2026-11-28T10", "apikey_r1", "claude-sonnet-4-5", 3, 0], ["2026-11-28T10", "apikey_r2", "claude-haiku-4-5", 1, 1], ["2026-11-28T11", "apikey_r1", "claude-sonnet-4-5", 1, 0],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1]))));
    const byDay = await store.usage.report(orgB, { ...q, bucketChars: 10, groupBy: ["service_tier", "inference_geo"], models: ["claude-sonnet-4-5"] });
    expect(byDay).toEqual([{ bucket: "2026-11-28", api_key_id: null, workspace_id: null, model: null, service_tier: "standard", inference_geo: null, requests: 4, input_tokens: 40, output_tokens: 20,
      cache_creation_5m_input_tokens: 8, cache_creation_1h_input_tokens: 4, cache_read_input_tokens: 16, web_search_requests: 0, cost_micros: 400, estimated_requests: 0 }]);
    expect(await store.usage.report(orgA, { ...q, bucketChars: 10, groupBy: [] })).not.toContainEqual(expect.objectContaining({ bucket: "2026-11-28", cost_micros: 500 }));
    const sums = await store.usage.sumCostByScope(orgB, "api_key", ["apikey_r1", "apikey_r2", "apikey_none"], "2026-11-28T10:01:00.000Z");
    expect([...sums.entries()].sort()).toEqual([["apikey_r1", 100], ["apikey_r2", 100]]);
  });
});
