import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";

describe("users, invites, workspaces, members and audit routes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h.close());

  it("users: create (email normalized, unique), filter by email and roles, update, delete", async () => {
    const u = await h.call("POST", "/v1/organizations/users", { email: "Linus@Example.com", name: " Linus ", role: "auditor" });
    expect(u.status).toBe(201);
    expect(u.json).toMatchObject({ type: "user", email: "linus@example.com", name: "Linus", role: "auditor", status: "active" });
    expect((await h.call("POST", "/v1/organizations/users", { email: "linus@example.com", name: "Again", role: "user" })).json.error.details).toEqual({ error_code: "already_member" });
    expect((await ok(h, "GET", "/v1/organizations/users?email=LINUS@example.com")).data).toHaveLength(1);
    expect((await ok(h, "GET", "/v1/organizations/users?roles[]=auditor&roles[]=billing")).data.map((x: any) => x.id)).toEqual([u.json.id]);
    expect((await ok(h, "POST", `/v1/organizations/users/${u.json.id}`, { role: "developer", name: "Linus T" })).role).toBe("developer");
    expect(await ok(h, "DELETE", `/v1/organizations/users/${u.json.id}`)).toEqual({ id: u.json.id, type: "user_deleted" });
    expect((await h.call("GET", `/v1/organizations/users/${u.json.id}`)).status).toBe(404);
    // The email is free again after removal.
    expect((await h.call("POST", "/v1/organizations/users", { email: "linus@example.com", name: "Back", role: "user" })).status).toBe(201);
  });

  it("invites: 21-day expiry, acceptance creates the user once, deleted and expired invites cannot be accepted", async () => {
    const inv = await ok(h, "POST", "/v1/organizations/invites", { email: "new@example.com", role: "developer" });
    expect(Date.parse(inv.expires_at) - Date.parse(inv.invited_at)).toBe(21 * 24 * 3600 * 1000);
    expect(inv.accept_token).toMatch(/^gth_inv_/);
    expect(JSON.stringify(await ok(h, "GET", `/v1/organizations/invites/${inv.id}`))).not.toContain(inv.accept_token);
    const user = await h.call("POST", "/v1/invites/accept", { token: inv.accept_token, name: "Newbie" }, null);
    expect(user.status).toBe(201);
    expect(user.json).toMatchObject({ email: "new@example.com", role: "developer" });
    expect((await ok(h, "GET", `/v1/organizations/invites/${inv.id}`)).status).toBe("accepted");
    expect((await h.call("POST", "/v1/organizations/invites", { email: "new@example.com", role: "user" })).json.error.details).toEqual({ error_code: "already_member" });

    const gone = await ok(h, "POST", "/v1/organizations/invites", { email: "gone@example.com", role: "user" });
    await ok(h, "DELETE", `/v1/organizations/invites/${gone.id}`);
    expect((await h.call("POST", "/v1/invites/accept", { token: gone.accept_token, name: "X" }, null)).status).toBe(404);
    expect((await h.call("GET", `/v1/organizations/invites/${gone.id}`)).status).toBe(404);

    const late = await ok(h, "POST", "/v1/organizations/invites", { email: "late@example.com", role: "user" });
    h.clock.advance(22 * 24 * 3600 * 1000);
    expect((await ok(h, "GET", `/v1/organizations/invites/${late.id}`)).status).toBe("expired");
    expect((await h.call("POST", "/v1/invites/accept", { token: late.accept_token, name: "X" }, null)).status).toBe(404);
    // An expired invite does not block a new one.
    expect((await h.call("POST", "/v1/organizations/invites", { email: "late@example.com", role: "user" })).status).toBe(200);
    expect((await h.call("POST", "/v1/invites/accept", { token: "gth_inv_guess", name: "X" }, null)).status).toBe(404);
  });

  it("workspaces: environment default and validation, update, archive returns the archived workspace, ids filter, before_id paging", async () => {
    const w = await ok(h, "POST", "/v1/organizations/workspaces", { name: "Analytics" });
    expect(w).toMatchObject({ environment: "development", archived_at: null, display_color: "#6C5BB9", tags: {} });
    expect((await h.call("POST", "/v1/organizations/workspaces", { name: "Bad", environment: "Prod Env" })).status).toBe(400);
    expect((await h.call("POST", "/v1/organizations/workspaces", { name: "Bad", tags: { anthropic_x: "1" } })).status).toBe(400);
    expect((await h.call("POST", `/v1/organizations/workspaces/${w.id}`, { environment: "production" })).status).toBe(400);
    expect(await ok(h, "POST", `/v1/organizations/workspaces/${w.id}`, { display_color: "#112233", tags: { team: "data" } })).toMatchObject({ display_color: "#112233", tags: { team: "data" } });
    const ids = [w.id];
    for (const name of ["B", "C", "D"]) ids.push((await ok(h, "POST", "/v1/organizations/workspaces", { name, environment: "staging" })).id);
    const back = await ok(h, "GET", `/v1/organizations/workspaces?before_id=${ids[3]}&limit=2`);
    expect(back.data.map((x: any) => x.id)).toEqual([ids[1], ids[2]]);
    expect(back.has_more).toBe(true);
    expect(back.first_id).toBe(ids[1]);
    const some = await ok(h, "GET", `/v1/organizations/workspaces?ids[]=${ids[0]}&ids[]=${ids[2]}`);
    expect(some.data.map((x: any) => x.id)).toEqual([ids[0], ids[2]]);
    const archived = await ok(h, "POST", `/v1/organizations/workspaces/${ids[3]}/archive`);
    expect(archived.archived_at).not.toBeNull();
    expect(await ok(h, "POST", `/v1/organizations/workspaces/${ids[3]}/archive`)).toEqual(archived);
    expect((await h.call("POST", `/v1/organizations/workspaces/${ids[3]}`, { name: "Revived" })).status).toBe(400);
    const empty = await ok(h, "GET", `/v1/organizations/workspaces?after_id=${ids[3]}`);
    expect(empty).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });

  it("members: billing role not assignable, duplicates refused, deactivated users refused, archived workspaces frozen", async () => {
    const ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Team", environment: "production" })).id;
    const u = await ok(h, "POST", "/v1/organizations/users", { email: "m@example.com", name: "M", role: "user" });
    expect((await h.call("POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: u.id, workspace_role: "workspace_billing" })).status).toBe(400);
    await ok(h, "POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: u.id, workspace_role: "workspace_user" });
    expect((await h.call("POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: u.id, workspace_role: "workspace_admin" })).json.error.details).toEqual({ error_code: "already_member" });
    expect((await h.call("POST", `/v1/organizations/workspaces/${ws}/members/${u.id}`, { workspace_role: "workspace_billing" })).status).toBe(400);
    expect((await h.call("GET", `/v1/organizations/workspaces/${ws}/members/user_nobody`)).status).toBe(404);
    await ok(h, "DELETE", `/v1/organizations/users/${u.id}`);
    expect((await ok(h, "GET", `/v1/organizations/workspaces/${ws}/members`)).data).toEqual([]);
    expect((await h.call("POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: u.id, workspace_role: "workspace_user" })).status).toBe(404);
  });

  it("audit events: filters by actor, action, target, workspace and time; cursor pages in chain order", async () => {
    const ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Audited", environment: "production" })).id;
    const key = await ok(h, "POST", "/v1/organizations/api_keys", { name: "audited-service-prod", workspace_id: ws });
    await ok(h, "POST", `/v1/organizations/api_keys/${key.id}`, { name: "audited-service-prod-2" });
    const byTarget = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${key.id}`);
    expect(byTarget.data.map((e: any) => e.action)).toEqual(["api_key.created", "api_key.updated"]);
    expect(byTarget.data[1].changes).toEqual({ name: { before: "audited-service-prod", after: "audited-service-prod-2" } });
    expect(byTarget.data[0].changes.hint).toBe(key.partial_key_hint);
    expect((await ok(h, "GET", `/v1/organizations/audit_events?workspace_id=${ws}&action=workspace.created`)).data).toHaveLength(1);
    const me = await ok(h, "GET", "/v1/organizations/audit_events?limit=1000");
    const actor = me.data[me.data.length - 1].actor.id;
    expect((await ok(h, "GET", `/v1/organizations/audit_events?actor_id=${actor}&limit=1000`)).data.length).toBeGreaterThan(3);
    const now = h.clock.now().toISOString();
    h.clock.advance(1000);
    await ok(h, "POST", "/v1/organizations/workspaces", { name: "Later", environment: "staging" });
    const later = await ok(h, "GET", `/v1/organizations/audit_events?created_at[gte]=${encodeURIComponent(new Date(Date.parse(now) + 1).toISOString())}`);
    expect(later.data.map((e: any) => e.action)).toEqual(["workspace.created"]);
    const p1 = await ok(h, "GET", "/v1/organizations/audit_events?limit=3");
    const p2 = await ok(h, "GET", `/v1/organizations/audit_events?limit=3&after_id=${p1.last_id}`);
    expect(p2.data[0].seq).toBeGreaterThan(p1.data[2].seq);
    expect(p2.data[0].prev_hash).toBe(p1.data[2].hash);
  });

  it("serves an OpenAPI 3.1 document listing the admin routes", async () => {
    const doc = (await h.call("GET", "/openapi.json", undefined, null)).json;
    expect(doc.openapi).toBe("3.1.0");
    for (const p of ["/v1/organizations/api_keys", "/v1/organizations/workspaces/{workspace_id}/members/{user_id}", "/v1/organizations/audit_events"]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(doc.paths["/v1/organizations/api_keys"].post.requestBody.content["application/json"].schema.additionalProperties).toBe(false);
  });

  it("health and readiness", async () => {
    expect((await h.call("GET", "/healthz", undefined, null)).json).toEqual({ status: "ok" });
    expect((await h.call("GET", "/readyz", undefined, null)).json).toEqual({ status: "ready" });
  });
});
