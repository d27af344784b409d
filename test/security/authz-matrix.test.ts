/**
 * Z1 / Z4: the route × principal × tenancy matrix. Every authenticated route of the router must
 * have an entry; each cell is replayed against a fresh object. Expected outcomes are written out
 * here, independent of the permission catalog, so a catalog change that widens access fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/databases.js";
import { type Org, PRINCIPALS, type PrincipalName, ok, setupForeignOrg, setupOrg, unique } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";

interface Cell { method: string; url: string; body?: unknown }
type Make = (h: Harness, org: Org) => Promise<Cell>;
interface Entry { allow: PrincipalName[]; make: Make }

const READ_ALL: PrincipalName[] = ["admin", "auditor", "developer", "billing", "user", "ws_admin", "ws_developer", "ws_user"];
const WS_READERS: PrincipalName[] = ["admin", "auditor", "developer", "billing", "ws_admin", "ws_developer", "ws_user"];
const MEMBER_READERS: PrincipalName[] = ["admin", "auditor", "developer", "ws_admin", "ws_developer", "ws_user"];
const KEY_READERS: PrincipalName[] = ["admin", "auditor", "developer", "ws_admin", "ws_developer"];
const KEY_WRITERS: PrincipalName[] = ["admin", "developer", "ws_admin", "ws_developer"];

const newUser = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/users", { email: `${unique("u")}@example.com`, name: "Someone", role: "developer" }, org.adminKey)).id as string;
const newInvite = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/invites", { email: `${unique("i")}@example.com`, role: "user" }, org.adminKey)).id as string;
const newKey = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/api_keys", { name: unique("search-indexer"), workspace_id: org.wsA }, org.adminKey)).id as string;
const newAdminKey = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/admin_keys", { name: unique("ci-pipeline"), role: "developer" }, org.adminKey)).id as string;
const newMember = async (h: Harness, org: Org) => {
  const userId = await newUser(h, org);
  await ok(h, "POST", `/v1/organizations/workspaces/${org.wsA}/members`, { user_id: userId, workspace_role: "workspace_user" }, org.adminKey);
  return userId;
};
const newWorkspace = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/workspaces", { name: unique("Dev"), environment: "development" }, org.adminKey)).id as string;

export const MATRIX: Record<string, Entry> = {
  "GET /v1/organizations/me": { allow: READ_ALL, make: async () => ({ method: "GET", url: "/v1/organizations/me" }) },
  "GET /v1/organizations/users": { allow: ["admin", "auditor", "developer", "billing"], make: async () => ({ method: "GET", url: "/v1/organizations/users" }) },
  "POST /v1/organizations/users": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/users", body: { email: `${unique("n")}@example.com`, name: "New", role: "user" } }) },
  "GET /v1/organizations/users/:user_id": { allow: ["admin", "auditor", "developer", "billing"], make: async (h, o) => ({ method: "GET", url: `/v1/organizations/users/${await newUser(h, o)}` }) },
  "POST /v1/organizations/users/:user_id": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/users/${await newUser(h, o)}`, body: { role: "billing" } }) },
  "DELETE /v1/organizations/users/:user_id": { allow: ["admin"], make: async (h, o) => ({ method: "DELETE", url: `/v1/organizations/users/${await newUser(h, o)}` }) },
  "POST /v1/organizations/invites": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/invites", body: { email: `${unique("inv")}@example.com`, role: "developer" } }) },
  "GET /v1/organizations/invites": { allow: ["admin", "auditor"], make: async () => ({ method: "GET", url: "/v1/organizations/invites" }) },
  "GET /v1/organizations/invites/:invite_id": { allow: ["admin", "auditor"], make: async (h, o) => ({ method: "GET", url: `/v1/organizations/invites/${await newInvite(h, o)}` }) },
  "DELETE /v1/organizations/invites/:invite_id": { allow: ["admin"], make: async (h, o) => ({ method: "DELETE", url: `/v1/organizations/invites/${await newInvite(h, o)}` }) },
  "POST /v1/organizations/workspaces": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/workspaces", body: { name: "Another", environment: "development" } }) },
  "GET /v1/organizations/workspaces": { allow: WS_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/workspaces" }) },
  "GET /v1/organizations/workspaces/:workspace_id": { allow: WS_READERS, make: async (_h, o) => ({ method: "GET", url: `/v1/organizations/workspaces/${o.wsA}` }) },
  "POST /v1/organizations/workspaces/:workspace_id": { allow: ["admin", "ws_admin"], make: async (_h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${o.wsA}`, body: { name: unique("Production") } }) },
  "POST /v1/organizations/workspaces/:workspace_id/archive": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${await newWorkspace(h, o)}/archive` }) },
  "POST /v1/organizations/workspaces/:workspace_id/members": { allow: ["admin", "ws_admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${o.wsA}/members`, body: { user_id: await newUser(h, o), workspace_role: "workspace_developer" } }) },
  "GET /v1/organizations/workspaces/:workspace_id/members": { allow: MEMBER_READERS, make: async (_h, o) => ({ method: "GET", url: `/v1/organizations/workspaces/${o.wsA}/members` }) },
  "GET /v1/organizations/workspaces/:workspace_id/members/:user_id": { allow: MEMBER_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/workspaces/${o.wsA}/members/${await newMember(h, o)}` }) },
  "POST /v1/organizations/workspaces/:workspace_id/members/:user_id": { allow: ["admin", "ws_admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${o.wsA}/members/${await newMember(h, o)}`, body: { workspace_role: "workspace_developer" } }) },
  "DELETE /v1/organizations/workspaces/:workspace_id/members/:user_id": { allow: ["admin", "ws_admin"], make: async (h, o) => ({ method: "DELETE", url: `/v1/organizations/workspaces/${o.wsA}/members/${await newMember(h, o)}` }) },
  "POST /v1/organizations/api_keys": { allow: KEY_WRITERS, make: async (_h, o) => ({ method: "POST", url: "/v1/organizations/api_keys", body: { name: unique("checkout-api"), workspace_id: o.wsA } }) },
  "GET /v1/organizations/api_keys": { allow: KEY_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/api_keys" }) },
  "GET /v1/organizations/api_keys/:api_key_id": { allow: KEY_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/api_keys/${await newKey(h, o)}` }) },
  "POST /v1/organizations/api_keys/:api_key_id": { allow: KEY_WRITERS, make: async (h, o) => ({ method: "POST", url: `/v1/organizations/api_keys/${await newKey(h, o)}`, body: { status: "inactive" } }) },
  "POST /v1/organizations/admin_keys": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/admin_keys", body: { name: unique("terraform-runner"), role: "auditor" } }) },
  "GET /v1/organizations/admin_keys": { allow: ["admin", "auditor"], make: async () => ({ method: "GET", url: "/v1/organizations/admin_keys" }) },
  "GET /v1/organizations/admin_keys/:admin_key_id": { allow: ["admin", "auditor"], make: async (h, o) => ({ method: "GET", url: `/v1/organizations/admin_keys/${await newAdminKey(h, o)}` }) },
  "POST /v1/organizations/admin_keys/:admin_key_id/revoke": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/admin_keys/${await newAdminKey(h, o)}/revoke` }) },
  "GET /v1/organizations/audit_events": { allow: ["admin", "auditor"], make: async () => ({ method: "GET", url: "/v1/organizations/audit_events" }) },
};

/** Routes reachable without a credential, by design. */
export const PUBLIC_ROUTES = ["GET /healthz", "GET /readyz", "GET /openapi.json", "POST /v1/invites/accept"];

describe.each(DIALECTS)("authorization matrix (Z1, Z4): %s", (dialect) => {
  let h: Harness;
  let own: Org;
  let foreign: Org;
  beforeAll(async () => {
    h = await createHarness(dialect);
    own = await setupOrg(h);
    foreign = await setupForeignOrg(h);
  }, 120_000);
  afterAll(async () => h.close());

  it("every route of the router has a matrix entry or is declared public", async () => {
    const { buildApp } = await import("../../src/server/app.js");
    const { routes } = await buildApp({ deps: h.deps });
    const names = routes.map((r) => `${r.method} ${r.url}`);
    const missing = names.filter((n) => !(n in MATRIX) && !PUBLIC_ROUTES.includes(n));
    expect(missing).toEqual([]);
    for (const r of routes) expect(r.access, `${r.method} ${r.url} declares no access`).toBeDefined();
    for (const n of PUBLIC_ROUTES) expect(routes.find((r) => `${r.method} ${r.url}` === n)?.access).toBe("public");
  });

  it("own organization: 0 unexpected allows, 0 unexpected denies", async () => {
    const failures: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      for (const p of PRINCIPALS) {
        const cell = await entry.make(h, own);
        const res = await h.call(cell.method, cell.url, cell.body, own.keys[p]);
        const expected = p === "anonymous" || p === "api_key" ? [401] : entry.allow.includes(p) ? [200, 201] : [403];
        if (!expected.includes(res.status)) failures.push(`${route} as ${p}: ${res.status} (expected ${expected.join("/")}) ${res.raw.slice(0, 160)}`);
        if (res.status >= 400) {
          expect(res.json?.type).toBe("error");
          expect(res.json?.request_id).toBe(res.headers["request-id"]);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("another organization's objects: 404 for everyone who may use the route, never 2xx", async () => {
    const failures: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      if (!route.includes(":")) continue;
      for (const p of entry.allow) {
        const cell = await entry.make(h, foreign);
        const res = await h.call(cell.method, cell.url, cell.body, own.keys[p]);
        // A ws_* principal is refused at the route gate only when it holds the permission nowhere.
        if (res.status !== 404) failures.push(`${route} as ${p} on a foreign object: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("method swap: unknown (route, method) pairs are refused for every principal", async () => {
    const swaps: Cell[] = [
      { method: "PATCH", url: `/v1/organizations/workspaces/${own.wsA}` },
      { method: "PUT", url: `/v1/organizations/users` },
      { method: "DELETE", url: `/v1/organizations/workspaces/${own.wsA}` },
      { method: "DELETE", url: `/v1/organizations/api_keys` },
      { method: "PATCH", url: `/v1/organizations/audit_events` },
      { method: "DELETE", url: `/v1/organizations/audit_events` },
    ];
    for (const cell of swaps) {
      for (const p of PRINCIPALS) {
        const res = await h.call(cell.method, cell.url, {}, own.keys[p]);
        expect([401, 403, 404, 405], `${cell.method} ${cell.url} as ${p}`).toContain(res.status);
        expect(res.json?.type).toBe("error");
      }
    }
  });
});
