import type { AlertChannel, AlertEvent, ChannelType } from "./alerts.js";
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
  /** SCIM: the identity provider's id and the user's userName and name parts (null when not provisioned). */
  external_id: string | null;
  user_name: string | null;
  given_name: string | null;
  family_name: string | null;
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
  /** Rotation policy: keys older than this many days are overdue. */
  rotation_max_age_days: number;
  rotation_action: "notify" | "disable";
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
  /** When this key was replaced by `rotated_to`. */
  rotated_at: string | null;
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

/** What deleting a user (or a SCIM deactivation) does with the user's API keys. */
export interface OffboardingPolicy {
  api_keys: "revoke" | "transfer";
  transfer_to_user_id: string | null;
}

export type AlertScopeType = "organization" | "workspace" | "api_key";
export interface AlertRule {
  id: string;
  org_id: string;
  name: string;
  scope_type: AlertScopeType;
  /** null for the organization scope. */
  scope_id: string | null;
  /** Percentages of each spend limit of the scope. */
  thresholds: number[];
  projected: boolean;
  events: AlertEvent[];
  channels: AlertChannel[];
  /** Sealed signing secret of the webhook channel. */
  webhook_secret_ciphertext: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  org_id: string;
  /** null for a direct notification (a key owner, a workspace admin). */
  rule_id: string | null;
  event_type: string;
  notification_id: string;
  channel: ChannelType;
  target: string;
  /** The notification as JSON. */
  payload: string;
  status: "pending" | "delivered" | "failed";
  attempts: DeliveryAttempt[];
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScimToken {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  hint: string;
  created_at: string;
  created_by_id: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ScimGroup {
  id: string;
  org_id: string;
  display_name: string;
  external_id: string | null;
  workspace_id: string | null;
  workspace_role: WorkspaceRole | null;
  created_at: string;
  updated_at: string;
}

export interface IncreaseRequest {
  id: string;
  org_id: string;
  user_id: string;
  api_key_id: string | null;
  scope_type: "organization" | "workspace" | "user" | "api_key";
  scope_id: string | null;
  period: "daily" | "weekly" | "monthly";
  reason: string | null;
  status: "pending" | "approved" | "denied";
  created_at: string;
  resolved_at: string | null;
  resolved_by_type: string | null;
  resolved_by_id: string | null;
  spend_limit_id: string | null;
}
