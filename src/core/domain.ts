import type { OrgRole, WorkspaceRole } from "./rbac.js";

/** Domain records as the services see them. Timestamps are RFC 3339 UTC strings with milliseconds. */
export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

/** What the organization does with a model that has no known price. */
export type UnpricedModelPolicy = "fallback" | "refuse";

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

/** An upstream (Anthropic) credential, encrypted at rest; `workspace_id` null is the org default. */
export interface UpstreamCredential {
  org_id: string;
  workspace_id: string | null;
  /** AES-256-GCM sealed box (see core/crypto). */
  ciphertext: string;
  hint: string;
  created_at: string;
  updated_at: string;
}

export interface SpendLimit {
  id: string;
  org_id: string;
  scope_type: "organization" | "workspace" | "user" | "api_key";
  /** null for the organization scope. */
  scope_id: string | null;
  period: "daily" | "weekly" | "monthly";
  /** Whole US cents, or null for an explicit "no limit". */
  amount_cents: number | null;
  created_at: string;
  updated_at: string;
}

export interface RateLimitSetting {
  org_id: string;
  scope_type: "organization" | "workspace" | "api_key";
  scope_id: string | null;
  limit_type: string;
  value: number;
  updated_at: string;
}

/** One billable request in the ledger. Money in integer micro-USD. */
export interface UsageRecord {
  id: string;
  org_id: string;
  workspace_id: string;
  api_key_id: string;
  user_id: string | null;
  model: string;
  request_id: string;
  upstream_request_id: string | null;
  status: number;
  stream: boolean;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_creation_5m_input_tokens: number;
  cache_creation_1h_input_tokens: number;
  cache_read_input_tokens: number;
  web_search_requests: number;
  service_tier: string | null;
  speed: string | null;
  inference_geo: string | null;
  cost_micros: number;
  price_estimated: boolean;
  /** Why the charge is not from the response's usage (e.g. `stream_ended_without_usage`). */
  uncharged_reason: string | null;
  latency_ms: number;
  created_at: string;
}
