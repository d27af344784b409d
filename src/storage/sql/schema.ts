/** Table types as Kysely sees them. JSON columns are text; timestamps are RFC 3339 text (UTC, ms). */
export interface OrganizationsTable { id: string; name: string; created_at: string }
export interface UsersTable { id: string; org_id: string; email: string; name: string; role: string; status: string; added_at: string }
export interface InvitesTable {
  id: string; org_id: string; email: string; role: string; status: string; invited_at: string; expires_at: string;
  accepted_at: string | null; token_hash: string;
}
export interface WorkspacesTable {
  id: string; org_id: string; name: string; environment: string; display_color: string; tags: string;
  created_at: string; archived_at: string | null;
}
export interface WorkspaceMembersTable { org_id: string; workspace_id: string; user_id: string; workspace_role: string; created_at: string }
export interface ApiKeysTable {
  id: string; org_id: string; workspace_id: string; name: string; status: string; key_hash: string; hint: string;
  created_at: string; created_by_type: string; created_by_id: string | null; owner_user_id: string | null;
  expires_at: string | null; tier: number; allowed_models: string | null; allowed_cidrs: string | null;
  last_used_at: string | null; rotated_from: string | null; rotated_to: string | null;
}
export interface AdminKeysTable {
  id: string; org_id: string; name: string; role: string; user_id: string | null; status: string; key_hash: string;
  hint: string; created_at: string; created_by_id: string | null; last_used_at: string | null; revoked_at: string | null;
}
export interface AuditEventsTable {
  seq: number; id: string; ts: string; org_id: string | null; actor_type: string; actor_id: string | null;
  actor_display: string | null; action: string; target_type: string; target_id: string | null;
  workspace_id: string | null; outcome: string; reason: string | null; request_id: string | null; ip: string | null;
  user_agent: string | null; changes: string | null; prev_hash: string; hash: string;
}
export interface AuditHeadTable { id: number; seq: number; hash: string }

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  invites: InvitesTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  api_keys: ApiKeysTable;
  admin_keys: AdminKeysTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
}
