import type { OrgRole, WorkspaceRole } from "./rbac.js";

/** Domain records as the services see them. Timestamps are RFC 3339 UTC strings with milliseconds. */
export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

export type UserStatus = "active" | "deactivated" | "deleted";
export interface User {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: OrgRole;
  status: UserStatus;
  added_at: string;
}

export type InviteStatus = "pending" | "accepted" | "expired" | "deleted";
export interface Invite {
  id: string;
  org_id: string;
  email: string;
  role: OrgRole;
  status: InviteStatus;
  invited_at: string;
  expires_at: string;
  accepted_at: string | null;
  token_hash: string;
}

export interface Workspace {
  id: string;
  org_id: string;
  name: string;
  environment: string;
  display_color: string;
  tags: Record<string, string>;
  created_at: string;
  archived_at: string | null;
}

export interface WorkspaceMember {
  org_id: string;
  workspace_id: string;
  user_id: string;
  workspace_role: WorkspaceRole;
  created_at: string;
}

export type ApiKeyStatus = "active" | "inactive" | "archived" | "expired";
export interface ApiKey {
  id: string;
  org_id: string;
  workspace_id: string;
  name: string;
  /** Stored status; `expired` is derived from `expires_at` when read. */
  status: Exclude<ApiKeyStatus, "expired">;
  key_hash: string;
  hint: string;
  created_at: string;
  created_by_type: "user" | "admin_key" | "system";
  created_by_id: string | null;
  owner_user_id: string | null;
  expires_at: string | null;
  tier: number;
  allowed_models: string[] | null;
  allowed_cidrs: string[] | null;
  last_used_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
}

export interface AdminKey {
  id: string;
  org_id: string;
  name: string;
  role: OrgRole;
  user_id: string | null;
  status: "active" | "revoked";
  key_hash: string;
  hint: string;
  created_at: string;
  created_by_id: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface PageRequest {
  afterId?: string | undefined;
  beforeId?: string | undefined;
  limit: number;
}

export interface PageResult<T> {
  data: T[];
  hasMore: boolean;
}

/** The effective status of a key at `now`: `expired` once `expires_at` has passed. */
export function effectiveKeyStatus(key: Pick<ApiKey, "status" | "expires_at">, now: Date): ApiKeyStatus {
  if (key.status === "active" && key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return "expired";
  if (key.status === "inactive" && key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return "expired";
  return key.status;
}
