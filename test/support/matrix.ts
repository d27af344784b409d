/** The route × principal matrix (Z1): expected outcomes written out, independent of the permission catalog. */
import { type Org, type PrincipalName, ok, unique } from "./fixtures.js";
import type { Harness } from "./harness.js";

export interface Cell { method: string; url: string; body?: unknown }
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

const SPEND_READERS: PrincipalName[] = ["admin", "auditor", "developer", "billing"];
const newSpendLimit = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: await newKey(h, org) }, amount: "500", period: "daily" }, org.adminKey)).id as string;
const withCredential = async (h: Harness, org: Org, url: string) => {
  await ok(h, "POST", url, { api_key: "sk-ant-api03-test-credential-value" }, org.adminKey);
  return url;
};

const ALERT_READERS: PrincipalName[] = ["admin", "auditor", "billing"];
const newAlertRule = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/alert_rules", { name: unique("finance-alerts"), scope: { type: "organization" }, channels: [{ type: "email", to: ["finance@example.com"] }] }, org.adminKey)).id as string;
const newDelivery = async (h: Harness, org: Org) => {
  await newAlertRule(h, org);
  await newIncreaseRequest(h, org);
  return (await ok(h, "GET", "/v1/organizations/alert_deliveries?limit=1000", undefined, org.adminKey)).last_id as string;
};
const newIncreaseRequest = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/spend_limit_increase_requests", { user_id: await newUser(h, org), period: "monthly" }, org.adminKey)).id as string;
const newScimToken = async (h: Harness, org: Org) => (await ok(h, "POST", "/v1/organizations/scim_tokens", { name: unique("okta-provisioning") }, org.adminKey)).id as string;

export const MATRIX: Record<string, Entry> = {
  "POST /v1/organizations/alert_rules": { allow: ["admin", "billing"], make: async () => ({ method: "POST", url: "/v1/organizations/alert_rules", body: { name: unique("budget-watch"), scope: { type: "organization" }, channels: [{ type: "slack", url: "https://hooks.slack.example/services/T0/B0/x" }] } }) },
  "GET /v1/organizations/alert_rules": { allow: ALERT_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/alert_rules" }) },
  "GET /v1/organizations/alert_rules/:alert_rule_id": { allow: ALERT_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/alert_rules/${await newAlertRule(h, o)}` }) },
  "POST /v1/organizations/alert_rules/:alert_rule_id": { allow: ["admin", "billing"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/alert_rules/${await newAlertRule(h, o)}`, body: { thresholds: [75, 90] } }) },
  "DELETE /v1/organizations/alert_rules/:alert_rule_id": { allow: ["admin", "billing"], make: async (h, o) => ({ method: "DELETE", url: `/v1/organizations/alert_rules/${await newAlertRule(h, o)}` }) },
  "GET /v1/organizations/alert_deliveries": { allow: ALERT_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/alert_deliveries" }) },
  "GET /v1/organizations/alert_deliveries/:delivery_id": { allow: ALERT_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/alert_deliveries/${await newDelivery(h, o)}` }) },
  "POST /v1/organizations/scim_tokens": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/scim_tokens", body: { name: unique("entra-provisioning") } }) },
  "GET /v1/organizations/scim_tokens": { allow: ["admin", "auditor"], make: async () => ({ method: "GET", url: "/v1/organizations/scim_tokens" }) },
  "POST /v1/organizations/scim_tokens/:scim_token_id/revoke": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/scim_tokens/${await newScimToken(h, o)}/revoke` }) },
  "POST /v1/organizations/spend_limit_increase_requests": { allow: ["admin", "developer", "billing", "user"], make: async (h, o) => ({ method: "POST", url: "/v1/organizations/spend_limit_increase_requests", body: { user_id: await newUser(h, o), period: "monthly", reason: "launch week" } }) },
  "GET /v1/organizations/spend_limit_increase_requests": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/spend_limit_increase_requests" }) },
  "GET /v1/organizations/spend_limit_increase_requests/:request_id": { allow: SPEND_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/spend_limit_increase_requests/${await newIncreaseRequest(h, o)}` }) },
  "POST /v1/organizations/spend_limit_increase_requests/:request_id/approve": { allow: ["admin", "billing"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/spend_limit_increase_requests/${await newIncreaseRequest(h, o)}/approve`, body: { amount: "2500" } }) },
  "POST /v1/organizations/spend_limit_increase_requests/:request_id/deny": { allow: ["admin", "billing"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/spend_limit_increase_requests/${await newIncreaseRequest(h, o)}/deny`, body: {} }) },
  "POST /v1/organizations/users/:user_id/offboard": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/users/${await newUser(h, o)}/offboard`, body: { api_keys: "revoke" } }) },
  "POST /v1/organizations/api_keys/:api_key_id/rotate": { allow: KEY_WRITERS, make: async (h, o) => ({ method: "POST", url: `/v1/organizations/api_keys/${await newKey(h, o)}/rotate`, body: { grace_period_seconds: 3600 } }) },
  "POST /v1/organizations/api_keys/:api_key_id/rotate/complete": {
    allow: KEY_WRITERS,
    make: async (h, o) => {
      const id = await newKey(h, o);
      await ok(h, "POST", `/v1/organizations/api_keys/${id}/rotate`, { grace_period_seconds: 3600 }, o.adminKey);
      return { method: "POST", url: `/v1/organizations/api_keys/${id}/rotate/complete` };
    },
  },
  "GET /v1/organizations/usage_report/messages": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/usage_report/messages?starting_at=2026-11-01T00:00:00Z" }) },
  "GET /v1/organizations/cost_report": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z" }) },
  "GET /v1/organizations/analytics/usage": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/analytics/usage?starting_at=2026-11-01T00:00:00Z" }) },
  "GET /v1/organizations/analytics/cost": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/analytics/cost?starting_at=2026-11-01T00:00:00Z" }) },
  "GET /v1/organizations/settings": { allow: READ_ALL, make: async () => ({ method: "GET", url: "/v1/organizations/settings" }) },
  "POST /v1/organizations/settings": {
    allow: ["admin"],
    make: async (h, o) => {
      await ok(h, "POST", "/v1/organizations/settings", { unpriced_models: "refuse" }, o.adminKey);
      return { method: "POST", url: "/v1/organizations/settings", body: { unpriced_models: "fallback" } };
    },
  },
  "POST /v1/organizations/spend_limits": { allow: ["admin", "billing"], make: async (_h, o) => ({ method: "POST", url: "/v1/organizations/spend_limits", body: { scope: { type: "workspace", workspace_id: o.wsA }, amount: "100000", period: "monthly" } }) },
  "GET /v1/organizations/spend_limits": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/spend_limits" }) },
  "GET /v1/organizations/spend_limits/effective": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/spend_limits/effective" }) },
  "GET /v1/organizations/spend_limits/:spend_limit_id": { allow: SPEND_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/spend_limits/${await newSpendLimit(h, o)}` }) },
  "DELETE /v1/organizations/spend_limits/:spend_limit_id": { allow: ["admin", "billing"], make: async (h, o) => ({ method: "DELETE", url: `/v1/organizations/spend_limits/${await newSpendLimit(h, o)}` }) },
  "GET /v1/organizations/rate_limits": { allow: SPEND_READERS, make: async () => ({ method: "GET", url: "/v1/organizations/rate_limits" }) },
  "POST /v1/organizations/rate_limits": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/rate_limits", body: { limits: [{ type: "requests_per_minute", value: 100000 }] } }) },
  "GET /v1/organizations/workspaces/:workspace_id/rate_limits": { allow: SPEND_READERS, make: async (_h, o) => ({ method: "GET", url: `/v1/organizations/workspaces/${o.wsA}/rate_limits` }) },
  "POST /v1/organizations/workspaces/:workspace_id/rate_limits/:rate_limit_id": { allow: ["admin"], make: async (_h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${o.wsA}/rate_limits/rl_messages`, body: { limits: [{ type: "requests_per_minute", value: 5000 }] } }) },
  "GET /v1/organizations/api_keys/:api_key_id/rate_limits": { allow: SPEND_READERS, make: async (h, o) => ({ method: "GET", url: `/v1/organizations/api_keys/${await newKey(h, o)}/rate_limits` }) },
  "POST /v1/organizations/api_keys/:api_key_id/rate_limits/:rate_limit_id": { allow: ["admin"], make: async (h, o) => ({ method: "POST", url: `/v1/organizations/api_keys/${await newKey(h, o)}/rate_limits/rl_messages`, body: { limits: [{ type: "output_tokens_per_minute", value: 1000 }] } }) },
  "GET /v1/organizations/upstream_credential": { allow: ["admin", "auditor"], make: async () => ({ method: "GET", url: "/v1/organizations/upstream_credential" }) },
  "POST /v1/organizations/upstream_credential": { allow: ["admin"], make: async () => ({ method: "POST", url: "/v1/organizations/upstream_credential", body: { api_key: "sk-ant-api03-org-default-credential" } }) },
  "DELETE /v1/organizations/upstream_credential": { allow: ["admin"], make: async (h, o) => ({ method: "DELETE", url: await withCredential(h, o, "/v1/organizations/upstream_credential") }) },
  "GET /v1/organizations/workspaces/:workspace_id/upstream_credential": { allow: ["admin", "auditor"], make: async (_h, o) => ({ method: "GET", url: `/v1/organizations/workspaces/${o.wsA}/upstream_credential` }) },
  "POST /v1/organizations/workspaces/:workspace_id/upstream_credential": { allow: ["admin"], make: async (_h, o) => ({ method: "POST", url: `/v1/organizations/workspaces/${o.wsA}/upstream_credential`, body: { api_key: "sk-ant-api03-production-credential" } }) },
  "DELETE /v1/organizations/workspaces/:workspace_id/upstream_credential": { allow: ["admin"], make: async (h, o) => ({ method: "DELETE", url: await withCredential(h, o, `/v1/organizations/workspaces/${o.wsA}/upstream_credential`) }) },
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
export const PUBLIC_ROUTES = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json", "POST /v1/invites/accept"];

/** Data-plane routes: authenticated by a workspace API key inside the gateway (test/gateway). */
export const INFERENCE_ROUTES = ["POST /v1/messages", "POST /v1/messages/count_tokens", "GET /v1/models", "GET /v1/models/:model_id"];


/** SCIM routes: authenticated by a SCIM token (test/scim), never by admin or API keys. */
export const SCIM_ROUTES = [
  "GET /scim/v2/ServiceProviderConfig", "GET /scim/v2/Schemas", "GET /scim/v2/Schemas/:id", "GET /scim/v2/ResourceTypes", "GET /scim/v2/ResourceTypes/:id",
  "GET /scim/v2/Users", "POST /scim/v2/Users", "GET /scim/v2/Users/:id", "PUT /scim/v2/Users/:id", "PATCH /scim/v2/Users/:id", "DELETE /scim/v2/Users/:id",
  "GET /scim/v2/Groups", "POST /scim/v2/Groups", "GET /scim/v2/Groups/:id", "PUT /scim/v2/Groups/:id", "PATCH /scim/v2/Groups/:id", "DELETE /scim/v2/Groups/:id",
];
