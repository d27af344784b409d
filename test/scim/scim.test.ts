/**
 * SCIM 2.0 end to end, on SQLite and PostgreSQL: users provisioned with Okta-shaped and
 * Entra-shaped requests get keys, are deactivated through SCIM, and their keys stop working on
 * the data plane at once (H2); the offboarding is in the audit log. Also the admin API's explicit
 * offboarding (revoke and transfer), groups mapped to workspace roles, paging and SCIM errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/databases.js";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

describe.each(DIALECTS)("SCIM provisioning: %s", (dialect) => {
  let upstream: MockUpstream;
  let h: Harness;
  let baseURL: string;
  let token: string;
  let ws: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    h = await createHarness(dialect, { dataPlane: { upstreamUrl: upstream.url } });
    baseURL = await h.listen();
    token = (await ok(h, "POST", "/v1/organizations/scim_tokens", { name: "okta-provisioning" })).secret;
    ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await upstream.close();
  });

  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseURL}/scim/v2${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/scim+json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : null };
  };
  const claude = async (secret: string) => (await fetch(`${baseURL}/v1/messages`, {
    method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 20, messages: [{ role: "user", content: "ping" }] }),
  })).status;
  const personalKeys = async (userId: string) => ({
    apiKey: (await ok(h, "POST", "/v1/organizations/api_keys", { name: `personal-${userId.slice(-6)}-prod`, workspace_id: ws, owner_user_id: userId })).secret as string,
    adminKey: (await ok(h, "POST", "/v1/organizations/admin_keys", { name: `cli-${userId.slice(-6)}`, user_id: userId })).secret as string,
  });

  it("discovery endpoints describe what is supported", async () => {
    const spc = await scim("GET", "/ServiceProviderConfig");
    expect(spc.type).toContain("application/scim+json");
    expect(spc).toMatchObject({ status: 200, json: { patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } } });
    expect((await scim("GET", "/ResourceTypes")).json.Resources.map((r: any) => r.id)).toEqual(["User", "Group"]);
    expect((await scim("GET", "/Schemas")).json.Resources.map((r: any) => r.id)).toContain(USER);
  });

  it("Okta: provision, update, deactivate (H2: keys and admin keys stop at once), reactivate without restoring keys", async () => {
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}&startIndex=1&count=100`)).json).toMatchObject({ totalResults: 0, Resources: [] });
    const oktaUser = {
      schemas: [USER], userName: "ada@example.com", name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ primary: true, value: "ada@example.com", type: "work" }], displayName: "Ada Lovelace", locale: "en-US", externalId: "00u1ada", groups: [], password: "not-kept-1!", active: true,
    };
    const created = await scim("POST", "/Users", oktaUser);
    expect(created).toMatchObject({ status: 201, json: { userName: "ada@example.com", active: true, externalId: "00u1ada", name: { givenName: "Ada", familyName: "Lovelace" }, emails: [{ value: "ada@example.com", type: "work", primary: true }] } });
    const id = created.json.id as string;
    expect((await scim("POST", "/Users", oktaUser))).toMatchObject({ status: 409, json: { schemas: [ERROR], scimType: "uniqueness" } });
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "ADA@example.com"')}`)).json.totalResults).toBe(1);
    expect((await scim("PUT", `/Users/${id}`, { ...oktaUser, name: { givenName: "Augusta Ada", familyName: "King" } })).json.name).toMatchObject({ givenName: "Augusta Ada", familyName: "King" });

    const keys = await personalKeys(id);
    expect(await claude(keys.apiKey)).toBe(200);
    expect((await h.call("GET", "/v1/organizations/me", undefined, keys.adminKey)).status).toBe(200);

    const t0 = Date.now();
    const off = await scim("PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] });
    expect(off).toMatchObject({ status: 200, json: { active: false } });
    expect(await claude(keys.apiKey)).toBe(401);
    expect((await h.call("GET", "/v1/organizations/me", undefined, keys.adminKey)).status).toBe(401);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await scim("GET", `/Users/${id}`)).json).toMatchObject({ id, active: false });

    const audit = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${id}&action=user.offboarded`);
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({ actor: { type: "scim_token" }, changes: { type: "offboarding_report", api_keys_policy: "revoke", status: "deactivated" } });
    expect(audit.data[0].changes.api_keys_revoked).toHaveLength(1);
    expect(audit.data[0].changes.admin_keys_revoked).toHaveLength(1);

    // A PUT without `active` leaves the user deactivated.
    const withoutActive: Record<string, unknown> = { ...oktaUser };
    delete withoutActive.active;
    expect((await scim("PUT", `/Users/${id}`, withoutActive)).json.active).toBe(false);
    const on = await scim("PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { active: true } }] });
    expect(on.json.active).toBe(true);
    expect(await claude(keys.apiKey)).toBe(401);
    expect((await h.call("GET", "/v1/organizations/me", undefined, keys.adminKey)).status).toBe(401);
  });

  it("Entra: provision with the enterprise extension, path-style PATCH with \"False\", DELETE; then 404 in SCIM's envelope", async () => {
    const entraUser = {
      schemas: [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], externalId: "8f1c-entra", userName: "grace@contoso.example", active: true,
      displayName: "Grace Hopper", emails: [{ primary: true, type: "work", value: "grace@contoso.example" }], meta: { resourceType: "User" },
      name: { formatted: "Grace Hopper", familyName: "Hopper", givenName: "Grace" },
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Compilers" },
    };
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('externalId eq "8f1c-entra"')}`)).json.totalResults).toBe(0);
    const created = await scim("POST", "/Users", entraUser);
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('externalId eq "8f1c-entra"')}`)).json.Resources.map((u: any) => u.id)).toEqual([id]);
    const renamed = await scim("PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [
      { op: "Replace", path: "displayName", value: "Rear Admiral Grace Hopper" },
      { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", value: { value: "someone" } },
    ] });
    expect(renamed.json.displayName).toBe("Rear Admiral Grace Hopper");

    const keys = await personalKeys(id);
    expect(await claude(keys.apiKey)).toBe(200);
    const off = await scim("PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(off.json.active).toBe(false);
    expect(await claude(keys.apiKey)).toBe(401);
    expect((await scim("DELETE", `/Users/${id}`)).status).toBe(204);
    expect(await scim("GET", `/Users/${id}`)).toMatchObject({ status: 404, json: { schemas: [ERROR], status: "404" } });
    const actions = (await ok(h, "GET", `/v1/organizations/audit_events?target_id=${id}`)).data.map((e: any) => e.action);
    expect(actions).toEqual(["user.created", "user.updated", "user.offboarded", "user.deleted"]);
  });

  it("groups named <workspace>:<role> grant that workspace role to their members", async () => {
    const u = (await scim("POST", "/Users", { schemas: [USER], userName: "linus@example.com", emails: [{ value: "linus@example.com", primary: true }], active: true })).json;
    const g = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Production:developer", members: [{ value: u.id }] });
    expect(g).toMatchObject({ status: 201, json: { displayName: "Production:developer", members: [{ value: u.id }] } });
    expect((await ok(h, "GET", `/v1/organizations/workspaces/${ws}/members/${u.id}`)).workspace_role).toBe("workspace_developer");
    await scim("PATCH", `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: "Remove", path: `members[value eq "${u.id}"]` }] });
    expect((await h.call("GET", `/v1/organizations/workspaces/${ws}/members/${u.id}`)).status).toBe(404);
    await scim("PATCH", `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: "Add", path: "members", value: [{ value: u.id }] }] });
    await scim("PATCH", `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { displayName: "Production:admin" } }] });
    expect((await ok(h, "GET", `/v1/organizations/workspaces/${ws}/members/${u.id}`)).workspace_role).toBe("workspace_admin");
    expect((await scim("GET", `/Groups?filter=${encodeURIComponent('displayName eq "Production:admin"')}`)).json.totalResults).toBe(1);
    expect((await scim("DELETE", `/Groups/${g.json.id}`)).status).toBe(204);
    expect((await h.call("GET", `/v1/organizations/workspaces/${ws}/members/${u.id}`)).status).toBe(404);
  });

  it("paging with startIndex and count; errors in SCIM's envelope", async () => {
    for (const n of [1, 2, 3]) await scim("POST", "/Users", { schemas: [USER], userName: `pager${n}@example.com`, active: true });
    const all = (await scim("GET", "/Users?count=1000")).json;
    const first = (await scim("GET", "/Users?startIndex=1&count=2")).json;
    const second = (await scim("GET", "/Users?startIndex=3&count=2")).json;
    expect(first).toMatchObject({ totalResults: all.totalResults, startIndex: 1, itemsPerPage: 2 });
    expect(second.startIndex).toBe(3);
    expect([...first.Resources, ...second.Resources].map((u: any) => u.id)).toEqual(all.Resources.slice(0, 4).map((u: any) => u.id));
    expect(await scim("GET", `/Users?filter=${encodeURIComponent('title sw "x"')}`)).toMatchObject({ status: 400, json: { schemas: [ERROR], scimType: "invalidFilter" } });
    expect(await scim("PATCH", `/Users/${all.Resources[0].id}`, { Operations: [{ op: "jump", path: "active" }] })).toMatchObject({ status: 400, json: { schemas: [ERROR] } });
    expect(await scim("POST", "/Users", { schemas: [USER], name: { givenName: "No userName" } })).toMatchObject({ status: 400, json: { scimType: "invalidValue" } });
    expect((await scim("GET", "/Users/user_missing")).status).toBe(404);
    const noToken = await fetch(`${baseURL}/scim/v2/Users`);
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { schemas: string[] }).schemas).toEqual([ERROR]);
  });

  it("admin API offboarding: revoke or transfer the leaver's keys, with a report", async () => {
    const leaver = await ok(h, "POST", "/v1/organizations/users", { email: "leaver@example.com", name: "Leaver", role: "developer" });
    const heir = await ok(h, "POST", "/v1/organizations/users", { email: "heir@example.com", name: "Heir", role: "developer" });
    await ok(h, "POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: leaver.id, workspace_role: "workspace_developer" });
    const keys = await personalKeys(leaver.id);
    const bad = await h.call("POST", `/v1/organizations/users/${leaver.id}/offboard`, { api_keys: "transfer", transfer_to_user_id: leaver.id });
    expect(bad.status).toBe(400);
    expect(await claude(keys.apiKey)).toBe(200);
    const report = await ok(h, "POST", `/v1/organizations/users/${leaver.id}/offboard`, { api_keys: "transfer", transfer_to_user_id: heir.id });
    expect(report).toMatchObject({ type: "offboarding_report", status: "deactivated", memberships_removed: [ws], api_keys_revoked: [] });
    expect(report.api_keys_transferred).toHaveLength(1);
    expect(report.admin_keys_revoked).toHaveLength(1);
    // Production traffic keeps flowing; the key has a new owner.
    expect(await claude(keys.apiKey)).toBe(200);
    expect((await ok(h, "GET", `/v1/organizations/api_keys/${report.api_keys_transferred[0].id}`)).owner_user_id).toBe(heir.id);
    expect((await h.call("GET", "/v1/organizations/me", undefined, keys.adminKey)).status).toBe(401);
    // Deleting the heir applies the organization's default policy (revoke).
    await ok(h, "DELETE", `/v1/organizations/users/${heir.id}`);
    expect(await claude(keys.apiKey)).toBe(401);
    const events = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${heir.id}&action=user.deleted`);
    expect(events.data[0].changes.api_keys_revoked).toEqual([report.api_keys_transferred[0].id]);
  });
});
