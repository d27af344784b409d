import { randomBytes } from "node:crypto";
import { ALERT_EVENTS, type AlertChannel, type AlertEvent, DEFAULT_THRESHOLDS } from "../core/alerts.js";
import { seal } from "../core/crypto.js";
import type { AlertRule, AlertScopeType, Delivery, PageRequest, PageResult } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { Repos } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent, diff } from "./context.js";

export type AlertScope = { type: "organization" } | { type: "workspace"; workspace_id: string } | { type: "api_key"; api_key_id: string };

export interface AlertRuleInput {
  name: string;
  scope: AlertScope;
  thresholds?: number[] | undefined;
  projected?: boolean | undefined;
  events?: AlertEvent[] | undefined;
  channels: AlertChannel[];
}

/** The additional data bound into a rule's sealed webhook secret. */
export function webhookSecretContext(orgId: string, ruleId: string): string {
  return `alert_rule:${orgId}:${ruleId}`;
}

function scopeParts(scope: AlertScope): { type: AlertScopeType; id: string | null } {
  return scope.type === "organization" ? { type: "organization", id: null } : scope.type === "workspace" ? { type: "workspace", id: scope.workspace_id } : { type: "api_key", id: scope.api_key_id };
}

export function scopeOfRule(r: Pick<AlertRule, "scope_type" | "scope_id">): AlertScope {
  return r.scope_type === "organization" ? { type: "organization" } : r.scope_type === "workspace" ? { type: "workspace", workspace_id: r.scope_id ?? "" } : { type: "api_key", api_key_id: r.scope_id ?? "" };
}

async function requireScope(repos: Repos, orgId: string, scope: AlertScope): Promise<void> {
  if (scope.type === "workspace" && !(await repos.workspaces.get(orgId, scope.workspace_id))) throw notFound("workspace", scope.workspace_id);
  if (scope.type === "api_key" && !(await repos.apiKeys.get(orgId, scope.api_key_id))) throw notFound("api key", scope.api_key_id);
}

function requireChannels(channels: readonly AlertChannel[]): void {
  if (channels.filter((c) => c.type === "webhook").length > 1) throw new DomainError("validation_failed", "channels: at most one webhook channel per rule (it has one signing secret)");
  for (const c of channels) {
    if (c.type === "email") continue;
    let url: URL;
    try {
      url = new URL(c.url);
    } catch {
      throw new DomainError("validation_failed", `channels: ${JSON.stringify(c.url)} is not a URL`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new DomainError("validation_failed", "channels: webhook and Slack URLs must be http(s)");
  }
}

function normalizeThresholds(t: number[] | undefined): number[] {
  return [...new Set(t ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
}

/**
 * Creates a rule. A webhook channel gets a signing secret (`whsec_…`), returned here once and
 * stored sealed; receivers verify `gatehouse-signature` with it.
 */
export async function createAlertRule(deps: ServiceDeps, ctx: Ctx, input: AlertRuleInput): Promise<{ rule: AlertRule; webhookSecret: string | null }> {
  requireOrgPermission(ctx, "alerts:write");
  requireChannels(input.channels);
  const now = deps.clock.now();
  const orgId = ctx.principal.orgId;
  const id = newId("alertRule", now.getTime());
  const webhookSecret = input.channels.some((c) => c.type === "webhook") ? `whsec_${randomBytes(24).toString("base64url")}` : null;
  const scope = scopeParts(input.scope);
  const rule: AlertRule = {
    id, org_id: orgId, name: input.name.trim(), scope_type: scope.type, scope_id: scope.id, thresholds: normalizeThresholds(input.thresholds),
    projected: input.projected ?? true, events: input.events ?? [...ALERT_EVENTS], channels: input.channels,
    webhook_secret_ciphertext: webhookSecret === null ? null : seal(deps.encryptionKey, webhookSecret, webhookSecretContext(orgId, id)),
    created_at: now.toISOString(), updated_at: now.toISOString(),
  };
  await deps.store.transaction(async (tx) => {
    await requireScope(tx, orgId, input.scope);
    await tx.alertRules.insert(rule);
    await tx.audit.append(auditEvent(ctx, "alert_rule.created", { type: "alert_rule", id }, scope.type === "workspace" ? scope.id : null, {
      name: rule.name, scope: input.scope, thresholds: rule.thresholds, projected: rule.projected, events: rule.events,
      channels: rule.channels.map((c) => c.type),
    }), now);
  });
  return { rule, webhookSecret };
}

export async function listAlertRules(deps: ServiceDeps, ctx: Ctx, page: PageRequest): Promise<PageResult<AlertRule>> {
  requireOrgPermission(ctx, "alerts:read");
  return deps.store.alertRules.list(ctx.principal.orgId, page);
}

export async function getAlertRule(deps: ServiceDeps, ctx: Ctx, id: string): Promise<AlertRule> {
  requireOrgPermission(ctx, "alerts:read");
  const r = await deps.store.alertRules.get(ctx.principal.orgId, id);
  if (!r) throw notFound("alert rule", id);
  return r;
}

export async function updateAlertRule(deps: ServiceDeps, ctx: Ctx, id: string, patch: Partial<Omit<AlertRuleInput, "scope">>): Promise<AlertRule> {
  requireOrgPermission(ctx, "alerts:write");
  if (patch.channels) requireChannels(patch.channels);
  return deps.store.transaction(async (tx) => {
    const rule = await tx.alertRules.get(ctx.principal.orgId, id);
    if (!rule) throw notFound("alert rule", id);
    const now = deps.clock.now();
    const next: Partial<AlertRule> = {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.thresholds !== undefined ? { thresholds: normalizeThresholds(patch.thresholds) } : {}),
      ...(patch.projected !== undefined ? { projected: patch.projected } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.channels !== undefined ? { channels: patch.channels } : {}),
    };
    if (next.channels?.some((c) => c.type === "webhook") && rule.webhook_secret_ciphertext === null) {
      throw new DomainError("invalid_request", "a webhook channel can only be added when the rule is created (it needs a signing secret); create a new rule");
    }
    const changes = diff(rule, next);
    if (Object.keys(changes).length === 0) return rule;
    if (changes.channels) changes.channels = { before: rule.channels.map((c) => c.type), after: (next.channels ?? []).map((c) => c.type) };
    await tx.alertRules.update(ctx.principal.orgId, id, { ...next, updated_at: now.toISOString() });
    await tx.audit.append(auditEvent(ctx, "alert_rule.updated", { type: "alert_rule", id }, rule.scope_type === "workspace" ? rule.scope_id : null, changes), now);
    return { ...rule, ...next, updated_at: now.toISOString() };
  });
}

export async function deleteAlertRule(deps: ServiceDeps, ctx: Ctx, id: string): Promise<{ id: string; type: "alert_rule_deleted" }> {
  requireOrgPermission(ctx, "alerts:write");
  return deps.store.transaction(async (tx) => {
    const rule = await tx.alertRules.get(ctx.principal.orgId, id);
    if (!rule) throw notFound("alert rule", id);
    await tx.alertRules.remove(ctx.principal.orgId, id);
    await tx.audit.append(auditEvent(ctx, "alert_rule.deleted", { type: "alert_rule", id }, rule.scope_type === "workspace" ? rule.scope_id : null, { name: rule.name }), deps.clock.now());
    return { id, type: "alert_rule_deleted" as const };
  });
}

export async function listDeliveries(deps: ServiceDeps, ctx: Ctx, filter: { ruleId?: string | undefined; status?: string | undefined; eventType?: string | undefined }, page: PageRequest): Promise<PageResult<Delivery>> {
  requireOrgPermission(ctx, "alerts:read");
  return deps.store.deliveries.list(ctx.principal.orgId, filter, page);
}

export async function getDelivery(deps: ServiceDeps, ctx: Ctx, id: string): Promise<Delivery> {
  requireOrgPermission(ctx, "alerts:read");
  const d = await deps.store.deliveries.get(ctx.principal.orgId, id);
  if (!d) throw notFound("delivery", id);
  return d;
}
