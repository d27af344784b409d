import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { generateKey, hashKey, keyHint } from "../../src/core/keys.js";
import type { Harness } from "./harness.js";

export const PRINCIPALS = ["admin", "auditor", "developer", "billing", "user", "ws_admin", "ws_developer", "ws_user", "anonymous", "api_key"] as const;
export type PrincipalName = (typeof PRINCIPALS)[number];

/** Calls that must succeed while building fixtures. */
export async function ok(h: Harness, method: string, url: string, body?: unknown, key?: string | null): Promise<any> {
  const res = await h.call(method, url, body, key);
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${res.raw}`);
  return res.json;
}

let seq = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export interface Org {
  orgId: string;
  adminKey: string;
  /** A workspace where the ws_* principals are members. */
  wsA: string;
  /** A workspace of the same organization with no members. */
  wsB: string;
  keys: Record<PrincipalName, string | null>;
  users: Record<"ws_admin" | "ws_developer" | "ws_user", string>;
}

/** Sets up the principals of the authorization matrix in the harness's organization. */
export async function setupOrg(h: Harness, adminKey: string = h.adminKey): Promise<Org> {
  const wsA = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" }, adminKey)).id;
  const wsB = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Staging", environment: "staging" }, adminKey)).id;
  const keys: Partial<Record<PrincipalName, string | null>> = { admin: adminKey, anonymous: null };
  for (const role of ["auditor", "developer", "billing", "user"] as const) {
    keys[role] = (await ok(h, "POST", "/v1/organizations/admin_keys", { name: `${role}-automation`, role }, adminKey)).secret;
  }
  const users: Partial<Org["users"]> = {};
  for (const p of ["ws_admin", "ws_developer", "ws_user"] as const) {
    const user = await ok(h, "POST", "/v1/organizations/users", { email: `${unique(p)}@example.com`, name: p, role: "user" }, adminKey);
    users[p] = user.id;
    await ok(h, "POST", `/v1/organizations/workspaces/${wsA}/members`, { user_id: user.id, workspace_role: p.replace("ws_", "workspace_") }, adminKey);
    keys[p] = (await ok(h, "POST", "/v1/organizations/admin_keys", { name: `${p}-personal-key`, user_id: user.id }, adminKey)).secret;
  }
  keys.api_key = (await ok(h, "POST", "/v1/organizations/api_keys", { name: "matrix-service-production", workspace_id: wsA }, adminKey)).secret;
  return { orgId: (await ok(h, "GET", "/v1/organizations/me", undefined, adminKey)).id, adminKey, wsA, wsB, keys: keys as Org["keys"], users: users as Org["users"] };
}

/** A second organization in the same database, with its own admin key. */
export async function setupForeignOrg(h: Harness): Promise<Org> {
  // bootstrap() reuses the first organization; a second tenant is inserted directly.
  const orgId = randomUUID();
  await h.deps.store.orgs.insert({ id: orgId, name: "Foreign", created_at: new Date().toISOString() });
  const g = generateKey("adm");
  await h.deps.store.adminKeys.insert({
    id: `admkey_${g.publicId}`, org_id: orgId, name: "foreign-admin", role: "admin", user_id: null, status: "active",
    key_hash: hashKey(h.deps.hashKey, g.key), hint: keyHint(g.key), created_at: new Date().toISOString(), created_by_id: null, last_used_at: null, revoked_at: null,
  });
  const org = await setupOrg(h, g.key);
  expect(org.orgId).toBe(orgId);
  return org;
}
