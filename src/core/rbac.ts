/**
 * One permission catalog. Every admin route declares one permission from here; the route-table test
 * fails on a route without one. Decisions are pure: they take a principal and return a result.
 */
export const ORG_ROLES = ["admin", "developer", "billing", "user", "auditor"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const WORKSPACE_ROLES = ["workspace_admin", "workspace_developer", "workspace_user", "workspace_billing"] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** `org` permissions apply to the organization as a whole; `workspace` ones to one workspace. */
export const PERMISSIONS = {
  "organization:read": "org",
  "users:read": "org",
  "users:write": "org",
  "invites:read": "org",
  "invites:write": "org",
  "admin_keys:read": "org",
  "admin_keys:write": "org",
  "audit:read": "org",
  "organization:write": "org",
  "spend_limits:read": "org",
  "spend_limits:write": "org",
  "rate_limits:read": "org",
  "rate_limits:write": "org",
  "upstream_credentials:read": "org",
  "upstream_credentials:write": "org",
  "usage:read": "org",
  "alerts:read": "org",
  "alerts:write": "org",
  "scim_tokens:read": "org",
  "scim_tokens:write": "org",
  "spend_requests:create": "org",
  "workspaces:create": "org",
  "workspaces:read": "workspace",
  "workspaces:update": "workspace",
  "workspaces:archive": "workspace",
  "members:read": "workspace",
  "members:write": "workspace",
  "api_keys:read": "workspace",
  "api_keys:write": "workspace",
} as const;
export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];
const READ_PERMISSIONS = ALL_PERMISSIONS.filter((p) => p.endsWith(":read"));

/** What an org role grants in every workspace of the organization. */
export const ORG_ROLE_GRANTS: Readonly<Record<OrgRole, readonly Permission[]>> = {
  admin: ALL_PERMISSIONS,
  auditor: READ_PERMISSIONS,
  developer: ["organization:read", "users:read", "workspaces:read", "members:read", "api_keys:read", "api_keys:write", "spend_limits:read", "rate_limits:read", "usage:read", "spend_requests:create"],
  billing: ["organization:read", "users:read", "workspaces:read", "spend_limits:read", "spend_limits:write", "rate_limits:read", "usage:read", "alerts:read", "alerts:write", "spend_requests:create"],
  user: ["organization:read", "spend_requests:create"],
};

/** What a workspace role grants inside its workspace only. */
export const WORKSPACE_ROLE_GRANTS: Readonly<Record<WorkspaceRole, readonly Permission[]>> = {
  workspace_admin: ["workspaces:read", "workspaces:update", "members:read", "members:write", "api_keys:read", "api_keys:write"],
  workspace_developer: ["workspaces:read", "members:read", "api_keys:read", "api_keys:write"],
  workspace_user: ["workspaces:read", "members:read"],
  workspace_billing: ["workspaces:read"],
};

/** The caller of the admin API, resolved fresh on every request. */
export interface Principal {
  orgId: string;
  role: OrgRole;
  /** Workspace id → role, for a credential that acts as a user. */
  memberships: Readonly<Record<string, WorkspaceRole>>;
  actor: { type: "admin_key" | "user" | "system" | "scim_token"; id: string; display: string };
  userId: string | null;
}

export function hasOrgPermission(p: Principal, permission: Permission): boolean {
  return ORG_ROLE_GRANTS[p.role].includes(permission);
}

/** True when `p` holds `permission` in workspace `workspaceId` (through its org role or its membership). */
export function hasWorkspacePermission(p: Principal, permission: Permission, workspaceId: string): boolean {
  if (hasOrgPermission(p, permission)) return true;
  const role = p.memberships[workspaceId];
  return role !== undefined && WORKSPACE_ROLE_GRANTS[role].includes(permission);
}

/** Route-level gate: does `p` hold `permission` anywhere (org-wide or in at least one workspace)? */
export function holdsAnywhere(p: Principal, permission: Permission): boolean {
  if (hasOrgPermission(p, permission)) return true;
  if (PERMISSIONS[permission] === "org") return false;
  return Object.values(p.memberships).some((role) => WORKSPACE_ROLE_GRANTS[role].includes(permission));
}

export type AccessDecision = { kind: "allow" } | { kind: "forbidden" } | { kind: "not_found" };

/**
 * Access to one object in a workspace. A caller who cannot even read the object's kind there gets
 * `not_found` (the object does not exist for them); one who can read but not do gets `forbidden`.
 */
export function decideWorkspaceAccess(p: Principal, permission: Permission, readPermission: Permission, workspaceId: string): AccessDecision {
  if (hasWorkspacePermission(p, permission, workspaceId)) return { kind: "allow" };
  if (hasWorkspacePermission(p, readPermission, workspaceId)) return { kind: "forbidden" };
  return { kind: "not_found" };
}

/** Workspaces in which `p` holds `permission`: "all" when its org role grants it. */
export function workspacesWith(p: Principal, permission: Permission): "all" | string[] {
  if (hasOrgPermission(p, permission)) return "all";
  return Object.entries(p.memberships)
    .filter(([, role]) => WORKSPACE_ROLE_GRANTS[role].includes(permission))
    .map(([id]) => id);
}
