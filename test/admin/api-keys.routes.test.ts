import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";

describe("api keys and admin keys routes", () => {
  let h: Harness;
  let ws: string;
  beforeAll(async () => {
    h = await createHarness();
    ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
  });
  afterAll(async () => h.close());

  it("creates a key with its settings and returns the secret once, with 201", async () => {
    const owner = await ok(h, "POST", "/v1/organizations/users", { email: "owner@example.com", name: "Owner", role: "developer" });
    const res = await h.call("POST", "/v1/organizations/api_keys", {
      name: "fraud-scoring-production", workspace_id: ws, owner_user_id: owner.id, expires_at: "2027-02-01T00:00:00Z", tier: 3,
      allowed_models: ["claude-sonnet-4-5"], allowed_cidrs: ["10.0.0.0/8", "2001:db8::/32"],
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      type: "api_key", name: "fraud-scoring-production", status: "active", workspace_id: ws, tier: 3, owner_user_id: owner.id,
      principal: { type: "user_actor", user_id: owner.id }, expires_at: "2027-02-01T00:00:00.000Z", allowed_cidrs: ["10.0.0.0/8", "2001:db8::/32"],
      created_by: { type: "admin_key" }, last_used_at: null, rotated_from: null, rotated_to: null,
    });
    expect(res.json.secret).toMatch(/^gth_prod_/);
    expect(res.json.partial_key_hint).toBe(`gth_prod_${res.json.secret.slice(9, 12)}...${res.json.secret.slice(-4)}`);
    const again = await ok(h, "GET", `/v1/organizations/api_keys/${res.json.id}`);
    expect(again.secret).toBeUndefined();
  });

  it.each([
    [{ name: "key-1" }, "name_not_descriptive"],
    [{ name: "orders-api", allowed_cidrs: ["10.0.0.0/33"] }, "CIDR"],
    [{ name: "orders-api", expires_at: "2020-01-01T00:00:00Z" }, "future"],
    [{ name: "orders-api", expires_at: "tomorrow" }, "date-time"],
    [{ name: "orders-api", tier: 5 }, "tier"],
  ])("refuses %j", async (patch, text) => {
    const res = await h.call("POST", "/v1/organizations/api_keys", { workspace_id: ws, ...patch });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json.error)).toContain(text);
  });

  it("status: active ↔ inactive, archived is final, an expired key cannot be re-activated", async () => {
    const k = await ok(h, "POST", "/v1/organizations/api_keys", { name: "nightly-report-job", workspace_id: ws, expires_at: new Date(h.clock.now().getTime() + 3600_000).toISOString() });
    expect((await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { status: "inactive" })).status).toBe("inactive");
    expect((await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { status: "active" })).status).toBe("active");
    h.clock.advance(3600_000);
    expect((await ok(h, "GET", `/v1/organizations/api_keys/${k.id}`)).status).toBe("expired");
    expect((await ok(h, "GET", "/v1/organizations/api_keys?status=expired")).data.map((x: any) => x.id)).toContain(k.id);
    const reactivate = await h.call("POST", `/v1/organizations/api_keys/${k.id}`, { status: "active" });
    expect(reactivate.status).toBe(400);
    const k2 = await ok(h, "POST", "/v1/organizations/api_keys", { name: "legacy-import-job", workspace_id: ws });
    expect((await ok(h, "POST", `/v1/organizations/api_keys/${k2.id}`, { status: "archived" })).status).toBe("archived");
    expect((await h.call("POST", `/v1/organizations/api_keys/${k2.id}`, { status: "active" })).status).toBe(400);
    // Renaming an archived key is still allowed; it is bookkeeping, not access.
    expect((await ok(h, "POST", `/v1/organizations/api_keys/${k2.id}`, { name: "legacy-import-job-retired" })).name).toBe("legacy-import-job-retired");
  });

  it("no new keys in an archived workspace", async () => {
    const old = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Old", environment: "staging" })).id;
    await ok(h, "POST", `/v1/organizations/workspaces/${old}/archive`);
    expect((await h.call("POST", "/v1/organizations/api_keys", { name: "late-comer-service", workspace_id: old })).status).toBe(400);
  });

  it("filters the list by workspace, status and creating user", async () => {
    const other = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Dev", environment: "development" })).id;
    const k = await ok(h, "POST", "/v1/organizations/api_keys", { name: "dev-sandbox-runner", workspace_id: other });
    expect(k.secret).toMatch(/^gth_dev_/);
    expect((await ok(h, "GET", `/v1/organizations/api_keys?workspace_id=${other}`)).data.map((x: any) => x.id)).toEqual([k.id]);
    const dev = await ok(h, "POST", "/v1/organizations/users", { email: "dev@example.com", name: "Dev", role: "developer" });
    const devKey = (await ok(h, "POST", "/v1/organizations/admin_keys", { name: "dev-personal-cli", user_id: dev.id })).secret;
    const mine = await ok(h, "POST", "/v1/organizations/api_keys", { name: "dev-made-this-one", workspace_id: other }, devKey);
    expect(mine.created_by).toEqual({ id: dev.id, type: "user" });
    expect((await ok(h, "GET", `/v1/organizations/api_keys?created_by_user_id=${dev.id}`)).data.map((x: any) => x.id)).toEqual([mine.id]);
  });

  it("admin keys: role or user binding, list, revoke is idempotent", async () => {
    expect((await h.call("POST", "/v1/organizations/admin_keys", { name: "both-given-key", role: "admin", user_id: "user_x" })).status).toBe(400);
    expect((await h.call("POST", "/v1/organizations/admin_keys", { name: "neither-given-key" })).status).toBe(400);
    const k = await h.call("POST", "/v1/organizations/admin_keys", { name: "grafana-usage-reader", role: "billing" });
    expect(k.status).toBe(201);
    expect(k.json).toMatchObject({ type: "admin_key", role: "billing", status: "active", user_id: null });
    expect(k.json.secret).toMatch(/^gth_adm_/);
    const list = await ok(h, "GET", "/v1/organizations/admin_keys?limit=100");
    expect(list.data.map((x: any) => x.id)).toContain(k.json.id);
    expect(JSON.stringify(list)).not.toContain(k.json.secret);
    const revoked = await ok(h, "POST", `/v1/organizations/admin_keys/${k.json.id}/revoke`);
    expect(revoked).toMatchObject({ status: "revoked" });
    expect(revoked.revoked_at).not.toBeNull();
    expect(await ok(h, "POST", `/v1/organizations/admin_keys/${k.json.id}/revoke`)).toEqual(revoked);
  });
});
