import { describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, ORG_ROLES, type OrgRole, type Principal, type WorkspaceRole, decideWorkspaceAccess, hasWorkspacePermission, holdsAnywhere, workspacesWith } from "./rbac.js";

function principal(role: OrgRole, memberships: Record<string, WorkspaceRole> = {}): Principal {
  return { orgId: "org", role, memberships, actor: { type: "admin_key", id: "admkey_x", display: "x" }, userId: memberships ? "user_x" : null };
}

describe("org role grants", () => {
  // The table below is the specification; a change to the catalog must change it.
  const expected: Record<OrgRole, string[]> = {
    admin: [...ALL_PERMISSIONS],
    auditor: ALL_PERMISSIONS.filter((p) => p.endsWith(":read")),
    developer: ["organization:read", "users:read", "workspaces:read", "members:read", "api_keys:read", "api_keys:write", "spend_limits:read", "rate_limits:read", "usage:read", "spend_requests:create"],
    billing: ["organization:read", "users:read", "workspaces:read", "spend_limits:read", "spend_limits:write", "rate_limits:read", "usage:read", "alerts:read", "alerts:write", "spend_requests:create"],
    user: ["organization:read", "spend_requests:create"],
  };
  it.each(ORG_ROLES)("%s holds exactly its permissions", (role) => {
    const held = ALL_PERMISSIONS.filter((p) => holdsAnywhere(principal(role), p));
    expect(held.sort()).toEqual([...expected[role]].sort());
  });
  it("auditor can write nothing", () => {
    expect(ALL_PERMISSIONS.filter((p) => !p.endsWith(":read") && holdsAnywhere(principal("auditor"), p))).toEqual([]);
  });
});

describe("workspace roles", () => {
  const p = principal("user", { ws_a: "workspace_admin", ws_b: "workspace_user" });
  it.each([
    ["api_keys:write", "ws_a", "allow"],
    ["api_keys:write", "ws_b", "not_found"],
    ["workspaces:update", "ws_a", "allow"],
    ["workspaces:update", "ws_b", "forbidden"],
    ["workspaces:archive", "ws_a", "forbidden"],
    ["members:write", "ws_b", "forbidden"],
    ["members:read", "ws_b", "allow"],
    ["workspaces:read", "ws_c", "not_found"],
  ] as const)("%s in %s → %s", (perm, ws, kind) => {
    const read = perm.startsWith("api_keys") ? "api_keys:read" : perm.startsWith("members") ? "members:read" : "workspaces:read";
    expect(decideWorkspaceAccess(p, perm, read, ws).kind).toBe(kind);
  });
  it("org-level permissions never come from a membership", () => {
    expect(holdsAnywhere(p, "workspaces:create")).toBe(false);
    expect(holdsAnywhere(p, "users:write")).toBe(false);
    expect(holdsAnywhere(p, "api_keys:write")).toBe(true);
  });
  it("lists only the workspaces a permission is held in", () => {
    expect(workspacesWith(p, "api_keys:read")).toEqual(["ws_a"]);
    expect((workspacesWith(p, "workspaces:read") as string[]).sort()).toEqual(["ws_a", "ws_b"]);
    expect(workspacesWith(principal("developer"), "api_keys:read")).toBe("all");
  });
  it("an org role applies in every workspace", () => {
    expect(hasWorkspacePermission(principal("developer"), "api_keys:write", "anything")).toBe(true);
    expect(hasWorkspacePermission(principal("billing"), "api_keys:read", "anything")).toBe(false);
  });
});
