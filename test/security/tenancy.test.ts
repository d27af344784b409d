/** Z2 (object-id substitution across organizations and workspaces), Z3 (immediacy) and Z5 (mass assignment). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/databases.js";
import { type Org, ok, setupForeignOrg, setupOrg, unique } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";

describe.each(DIALECTS)("tenancy: %s", (dialect) => {
  let h: Harness;
  let own: Org;
  let foreign: Org;
  let foreignKeyId: string;
  let foreignUserId: string;
  let foreignInviteId: string;
  let foreignAdminKeyId: string;

  beforeAll(async () => {
    h = await createHarness(dialect);
    own = await setupOrg(h);
    foreign = await setupForeignOrg(h);
    foreignKeyId = (await ok(h, "POST", "/v1/organizations/api_keys", { name: "foreign-billing-prod", workspace_id: foreign.wsA }, foreign.adminKey)).id;
    foreignUserId = foreign.users.ws_admin;
    foreignInviteId = (await ok(h, "POST", "/v1/organizations/invites", { email: "victim@example.com", role: "user" }, foreign.adminKey)).id;
    foreignAdminKeyId = (await ok(h, "POST", "/v1/organizations/admin_keys", { name: "foreign-terraform", role: "developer" }, foreign.adminKey)).id;
  }, 120_000);
  afterAll(async () => h.close());

  const snapshot = async () => ({
    key: await h.deps.store.apiKeys.get(foreign.orgId, foreignKeyId),
    user: await h.deps.store.users.get(foreign.orgId, foreignUserId),
    ws: await h.deps.store.workspaces.get(foreign.orgId, foreign.wsA),
    member: await h.deps.store.members.get(foreign.orgId, foreign.wsA, foreignUserId),
    invite: await h.deps.store.invites.get(foreign.orgId, foreignInviteId),
    adminKey: await h.deps.store.adminKeys.get(foreign.orgId, foreignAdminKeyId),
  });

  it("every object route answers 404 with the standard envelope for another organization's ids, and the victim rows stay byte-identical", async () => {
    const before = await snapshot();
    const attempts: [string, string, unknown?][] = [
      ["GET", `/v1/organizations/api_keys/${foreignKeyId}`],
      ["POST", `/v1/organizations/api_keys/${foreignKeyId}`, { status: "archived" }],
      ["GET", `/v1/organizations/users/${foreignUserId}`],
      ["POST", `/v1/organizations/users/${foreignUserId}`, { role: "admin" }],
      ["DELETE", `/v1/organizations/users/${foreignUserId}`],
      ["GET", `/v1/organizations/workspaces/${foreign.wsA}`],
      ["POST", `/v1/organizations/workspaces/${foreign.wsA}`, { name: "pwned" }],
      ["POST", `/v1/organizations/workspaces/${foreign.wsA}/archive`],
      ["GET", `/v1/organizations/workspaces/${foreign.wsA}/members`],
      ["POST", `/v1/organizations/workspaces/${foreign.wsA}/members`, { user_id: own.users.ws_user, workspace_role: "workspace_admin" }],
      ["GET", `/v1/organizations/workspaces/${foreign.wsA}/members/${foreignUserId}`],
      ["POST", `/v1/organizations/workspaces/${foreign.wsA}/members/${foreignUserId}`, { workspace_role: "workspace_user" }],
      ["DELETE", `/v1/organizations/workspaces/${foreign.wsA}/members/${foreignUserId}`],
      ["GET", `/v1/organizations/invites/${foreignInviteId}`],
      ["DELETE", `/v1/organizations/invites/${foreignInviteId}`],
      ["GET", `/v1/organizations/admin_keys/${foreignAdminKeyId}`],
      ["POST", `/v1/organizations/admin_keys/${foreignAdminKeyId}/revoke`],
      // Foreign ids inside bodies.
      ["POST", "/v1/organizations/api_keys", { name: "sneaky-cross-tenant", workspace_id: foreign.wsA }],
      ["POST", "/v1/organizations/api_keys", { name: "sneaky-owner-key", workspace_id: own.wsA, owner_user_id: foreignUserId }],
      ["POST", `/v1/organizations/workspaces/${own.wsA}/members`, { user_id: foreignUserId, workspace_role: "workspace_user" }],
      ["POST", "/v1/organizations/admin_keys", { name: "sneaky-admin-key", user_id: foreignUserId }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await h.call(method, url, body);
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.json).toMatchObject({ type: "error", error: { type: "not_found_error" } });
      expect(res.raw).not.toContain("foreign-billing-prod");
      expect(res.raw).not.toContain(foreign.orgId);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("lists return 0 ids of another organization", async () => {
    const foreignIds = new Set<string>([foreignKeyId, foreignUserId, foreign.wsA, foreign.wsB, foreignInviteId, foreignAdminKeyId]);
    for (const url of ["/v1/organizations/api_keys?limit=1000", "/v1/organizations/users?limit=1000", "/v1/organizations/workspaces?limit=1000&include_archived=true",
      "/v1/organizations/invites?limit=1000", "/v1/organizations/admin_keys?limit=1000", "/v1/organizations/audit_events?limit=1000",
      `/v1/organizations/api_keys?workspace_id=${foreign.wsA}`]) {
      const res = await h.call("GET", url);
      expect(res.status, url).toBe(200);
      const ids = JSON.stringify(res.json.data);
      for (const id of foreignIds) expect(ids.includes(id), `${url} leaks ${id}`).toBe(false);
    }
  });

  it("workspace roles see nothing of workspaces they are not in (404, lists filtered)", async () => {
    const keyInB = (await ok(h, "POST", "/v1/organizations/api_keys", { name: "staging-reporting-job", workspace_id: own.wsB })).id;
    for (const p of ["ws_admin", "ws_developer"] as const) {
      const key = own.keys[p];
      expect((await h.call("GET", `/v1/organizations/api_keys/${keyInB}`, undefined, key)).status).toBe(404);
      expect((await h.call("POST", `/v1/organizations/api_keys/${keyInB}`, { status: "inactive" }, key)).status).toBe(404);
      expect((await h.call("GET", `/v1/organizations/workspaces/${own.wsB}`, undefined, key)).status).toBe(404);
      expect((await h.call("POST", "/v1/organizations/api_keys", { name: "cross-workspace-key", workspace_id: own.wsB }, key)).status).toBe(404);
      const list = await h.call("GET", "/v1/organizations/api_keys?limit=1000", undefined, key);
      expect(list.json.data.every((k: any) => k.workspace_id === own.wsA)).toBe(true);
      const wss = await h.call("GET", "/v1/organizations/workspaces?limit=1000", undefined, key);
      expect(wss.json.data.map((w: any) => w.id)).toEqual([own.wsA]);
    }
    expect((await h.deps.store.apiKeys.get(own.orgId, keyInB))?.status).toBe("active");
  });

  it("Z3: role downgrades, membership removal, key revocation and user removal apply to the very next request", async () => {
    const user = await ok(h, "POST", "/v1/organizations/users", { email: `${unique("z3")}@example.com`, name: "Dana", role: "developer" });
    const personal = (await ok(h, "POST", "/v1/organizations/admin_keys", { name: "dana-laptop-cli", user_id: user.id })).secret;
    expect((await h.call("POST", "/v1/organizations/api_keys", { name: "dana-batch-job", workspace_id: own.wsA }, personal)).status).toBe(201);
    await ok(h, "POST", `/v1/organizations/users/${user.id}`, { role: "user" });
    expect((await h.call("POST", "/v1/organizations/api_keys", { name: "dana-batch-job-2", workspace_id: own.wsA }, personal)).status).toBe(403);
    await ok(h, "POST", `/v1/organizations/workspaces/${own.wsA}/members`, { user_id: user.id, workspace_role: "workspace_developer" });
    expect((await h.call("POST", "/v1/organizations/api_keys", { name: "dana-batch-job-3", workspace_id: own.wsA }, personal)).status).toBe(201);
    await ok(h, "DELETE", `/v1/organizations/workspaces/${own.wsA}/members/${user.id}`);
    expect((await h.call("POST", "/v1/organizations/api_keys", { name: "dana-batch-job-4", workspace_id: own.wsA }, personal)).status).toBe(403);
    await ok(h, "DELETE", `/v1/organizations/users/${user.id}`);
    expect((await h.call("GET", "/v1/organizations/me", undefined, personal)).status).toBe(401);

    const svc = await ok(h, "POST", "/v1/organizations/admin_keys", { name: "short-lived-automation", role: "admin" });
    expect((await h.call("GET", "/v1/organizations/me", undefined, svc.secret)).status).toBe(200);
    await ok(h, "POST", `/v1/organizations/admin_keys/${svc.id}/revoke`);
    for (let i = 0; i < 50; i++) expect((await h.call("GET", "/v1/organizations/me", undefined, svc.secret)).status).toBe(401);
  });

  it("Z5: privileged fields in update bodies are refused and change nothing", async () => {
    const keyId = (await ok(h, "POST", "/v1/organizations/api_keys", { name: "mass-assignment-target", workspace_id: own.wsA })).id;
    const before = await h.deps.store.apiKeys.get(own.orgId, keyId);
    const userBefore = await h.deps.store.users.get(own.orgId, own.users.ws_user);
    const hostile = [
      { workspace_id: own.wsB }, { created_by: { id: "user_x", type: "user" } }, { spend_limit_usd: 1e9 }, { scopes: ["*"] },
      { key_hash: "00" }, { org_id: foreign.orgId }, { role: "admin" }, { partial_key_hint: "x" }, { id: "apikey_other" },
    ];
    for (const p of ["admin", "developer", "ws_developer"] as const) {
      for (const body of hostile) {
        const res = await h.call("POST", `/v1/organizations/api_keys/${keyId}`, { name: "mass-assignment-target", ...body }, own.keys[p]);
        expect(res.status, `${p} ${JSON.stringify(body)}`).toBe(400);
        expect(res.json.error.message).toContain("unknown field");
      }
    }
    for (const body of [{ org_id: foreign.orgId }, { status: "deleted" }, { email: "x@y.z", role: "admin" }, { id: "user_x" }]) {
      expect((await h.call("POST", `/v1/organizations/users/${own.users.ws_user}`, body, own.keys.admin)).status).toBe(400);
    }
    expect(await h.deps.store.apiKeys.get(own.orgId, keyId)).toEqual(before);
    expect(await h.deps.store.users.get(own.orgId, own.users.ws_user)).toEqual(userBefore);
  });
});
