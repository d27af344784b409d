import type { Generated } from "kysely";

/** Table types as Kysely sees them. JSON columns are text; timestamps are RFC 3339 text (UTC, ms). */
export interface OrganizationsTable { id: string; name: string; created_at: string; unpriced_models: Generated<string>; offboarding_api_keys: Generated<string>; offboarding_transfer_to: string | null }
export interface UsersTable {
  id: string; org_id: string; email: string; name: string; role: string; status: string; added_at: string;
  external_id: string | null; user_name: string | null; given_name: string | null; family_name: string | null;
}
export interface InvitesTable {
  id: string; org_id: string; email: string; role: string; status: string; invited_at: string; expires_at: string;
  accepted_at: string | null; token_hash: string;
}
export interface WorkspacesTable {
  id: string; org_id: string; name: string; environment: string; display_color: string; tags: string;
  created_at: string; archived_at: string | null; rotation_max_age_days: number; rotation_action: string;
}
export interface WorkspaceMembersTable { org_id: string; workspace_id: string; user_id: string; workspace_role: string; created_at: string }
export interface ApiKeysTable {
  id: string; org_id: string; workspace_id: string; name: string; status: string; key_hash: string; hint: string;
  created_at: string; created_by_type: string; created_by_id: string | null; owner_user_id: string | null;
  expires_at: string | null; tier: number; allowed_models: string | null; allowed_cidrs: string | null;
  last_used_at: string | null; rotated_from: string | null; rotated_to: string | null; rotated_at: string | null;
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

export interface UpstreamCredentialsTable { org_id: string; workspace_id: string; ciphertext: string; hint: string; created_at: string; updated_at: string }
export interface SpendLimitsTable {
  id: string; org_id: string; scope_type: string; scope_id: string; period: string; amount_cents: number | null; created_at: string; updated_at: string;
}
export interface RateLimitsTable { org_id: string; scope_type: string; scope_id: string; limit_type: string; value: number; updated_at: string }
export interface UsageRecordsTable {
  id: string; org_id: string; workspace_id: string; api_key_id: string; user_id: string | null; model: string; request_id: string;
  upstream_request_id: string | null; status: number; stream: number; input_tokens: number; output_tokens: number;
  cache_creation_input_tokens: number; cache_creation_5m_input_tokens: number; cache_creation_1h_input_tokens: number;
  cache_read_input_tokens: number; web_search_requests: number; service_tier: string | null; speed: string | null;
  inference_geo: string | null; cost_micros: number; price_estimated: number; uncharged_reason: string | null; latency_ms: number; created_at: string;
}

export interface UsageRollupsTable {
  org_id: string; width: string; bucket: string; workspace_id: string; api_key_id: string; user_id: string; model: string; service_tier: string; inference_geo: string;
  requests: number; input_tokens: number; output_tokens: number; cache_creation_5m_input_tokens: number; cache_creation_1h_input_tokens: number;
  cache_read_input_tokens: number; web_search_requests: number; cost_micros: number; estimated_requests: number;
}

export interface AlertRulesTable {
  id: string; org_id: string; name: string; scope_type: string; scope_id: string; thresholds: string; projected: number; events: string;
  channels: string; webhook_secret_ciphertext: string | null; created_at: string; updated_at: string;
}
export interface AlertDeliveriesTable {
  id: string; org_id: string; rule_id: string | null; event_type: string; notification_id: string; channel: string; target: string;
  payload: string; status: string; attempts: string; next_attempt_at: string | null; created_at: string; updated_at: string;
}
export interface AlertFiringsTable { org_id: string; fire_key: string; fired_at: string }
export interface JobRunsTable { job: string; due_at: string; instance: string; status: string; started_at: string; finished_at: string | null; detail: string | null }
export interface SchedulerLeasesTable { name: string; holder: string; expires_at_ms: number }
export interface ScimTokensTable {
  id: string; org_id: string; name: string; token_hash: string; hint: string; created_at: string; created_by_id: string | null;
  last_used_at: string | null; revoked_at: string | null;
}
export interface ScimGroupsTable {
  id: string; org_id: string; display_name: string; external_id: string | null; workspace_id: string | null; workspace_role: string | null;
  created_at: string; updated_at: string;
}
export interface ScimGroupMembersTable { org_id: string; group_id: string; user_id: string }
export interface IncreaseRequestsTable {
  id: string; org_id: string; user_id: string; api_key_id: string | null; scope_type: string; scope_id: string | null; period: string;
  reason: string | null; status: string; created_at: string; resolved_at: string | null; resolved_by_type: string | null;
  resolved_by_id: string | null; spend_limit_id: string | null;
}

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
  upstream_credentials: UpstreamCredentialsTable;
  spend_limits: SpendLimitsTable;
  rate_limits: RateLimitsTable;
  usage_records: UsageRecordsTable;
  usage_rollups: UsageRollupsTable;
  alert_rules: AlertRulesTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_firings: AlertFiringsTable;
  job_runs: JobRunsTable;
  scheduler_leases: SchedulerLeasesTable;
  scim_tokens: ScimTokensTable;
  scim_groups: ScimGroupsTable;
  scim_group_members: ScimGroupMembersTable;
  spend_limit_increase_requests: IncreaseRequestsTable;
}
