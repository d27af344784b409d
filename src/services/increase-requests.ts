import type { IncreaseRequest, User } from "../core/domain.js";
import { DomainError, forbidden, notFound } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type SpendPeriod, microsToCentsString, periodWindow } from "../core/limits.js";
import { decideWorkspaceAccess } from "../core/rbac.js";
import type { Repos } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";
import { newNotification, notify } from "./notify.js";
import { type SpendScope, applySpendLimit, scopeOf } from "./spend-limits.js";

/**
 * Spend-limit increase requests: a key owner or workspace developer blocked by a limit asks for
 * more; the workspace's admins (and the organization's alert rules subscribed to
 * `limit_requests`) are notified; an approval raises the limit of the request's scope.
 */
export async function createIncreaseRequest(deps: ServiceDeps, ctx: Ctx, input: { period: SpendPeriod; api_key_id?: string | undefined; reason?: string | undefined; user_id?: string | undefined }): Promise<IncreaseRequest> {
  requireOrgPermission(ctx, "spend_requests:create");
  // A user asks for themselves; a credential that does not act as a user files for a named user.
  if (ctx.principal.userId !== null && input.user_id !== undefined && input.user_id !== ctx.principal.userId) throw forbidden("spend_requests:create (for another user)");
  const userId = ctx.principal.userId ?? input.user_id;
  if (userId === undefined) throw new DomainError("validation_failed", "user_id is required when the credential does not act as a user");
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const requester = await tx.users.get(orgId, userId);
    if (!requester || requester.status !== "active") throw notFound("user", userId);
    const now = deps.clock.now();
    let workspaceId: string | null = null;
    if (input.api_key_id !== undefined) {
      const key = await tx.apiKeys.get(orgId, input.api_key_id);
      const visible = key !== null && (key.owner_user_id === userId || decideWorkspaceAccess(ctx.principal, "api_keys:write", "api_keys:read", key.workspace_id).kind === "allow");
      if (!key || !visible) throw notFound("api key", input.api_key_id);
      workspaceId = key.workspace_id;
    }
    const pending = await tx.increaseRequests.list(orgId, { userIds: [userId], statuses: ["pending"] });
    if (pending.some((r) => r.period === input.period && r.api_key_id === (input.api_key_id ?? null))) {
      throw new DomainError("invalid_request", "a pending request for this scope and period already exists", { details: { error_code: "request_pending" } });
    }
    const request: IncreaseRequest = {
      id: newId("increaseRequest", now.getTime()), org_id: orgId, user_id: userId, api_key_id: input.api_key_id ?? null,
      scope_type: input.api_key_id !== undefined ? "api_key" : "user", scope_id: input.api_key_id ?? userId, period: input.period,
      reason: input.reason?.trim() || null, status: "pending", created_at: now.toISOString(), resolved_at: null, resolved_by_type: null,
      resolved_by_id: null, spend_limit_id: null,
    };
    await tx.increaseRequests.insert(request);
    await tx.audit.append(auditEvent(ctx, "spend_limit_increase_request.created", { type: "spend_limit_increase_request", id: request.id }, workspaceId, {
      period: request.period, scope: { type: request.scope_type, id: request.scope_id }, reason: request.reason,
    }), now);
    await notify(tx, orgId, "limit_requests", { workspaceId, apiKeyId: request.api_key_id }, newNotification(orgId, "spend_limit_increase_request.created",
      `${requester.email} asks for a higher ${request.period} spend limit${request.api_key_id ? ` on API key ${request.api_key_id}` : ""}${request.reason ? `: ${request.reason}` : ""}`,
      { request_id: request.id, user_id: userId, api_key_id: request.api_key_id, workspace_id: workspaceId, period: request.period, reason: request.reason }, now),
    await approverEmails(tx, orgId, workspaceId), now);
    return request;
  });
}

/** Who approves: the workspace's admins (when the request names a key) and the organization's admins. */
async function approverEmails(repos: Repos, orgId: string, workspaceId: string | null): Promise<string[]> {
  const ids = new Set<string>();
  if (workspaceId !== null) for (const m of await repos.members.listAllInWorkspace(orgId, workspaceId)) if (m.workspace_role === "workspace_admin") ids.add(m.user_id);
  const admins = await repos.users.list(orgId, { roles: ["admin"] }, { limit: 100 });
  for (const u of admins.data) ids.add(u.id);
  const emails: string[] = [];
  for (const id of ids) {
    const u = await repos.users.get(orgId, id);
    if (u?.status === "active") emails.push(u.email);
  }
  return emails;
}

export async function listIncreaseRequests(deps: ServiceDeps, ctx: Ctx, filter: { userIds?: string[] | undefined; statuses?: string[] | undefined }): Promise<IncreaseRequest[]> {
  requireOrgPermission(ctx, "spend_limits:read");
  return deps.store.increaseRequests.list(ctx.principal.orgId, filter);
}

export async function getIncreaseRequest(deps: ServiceDeps, ctx: Ctx, id: string): Promise<IncreaseRequest> {
  requireOrgPermission(ctx, "spend_limits:read");
  const r = await deps.store.increaseRequests.get(ctx.principal.orgId, id);
  if (!r) throw notFound("spend limit increase request", id);
  return r;
}

function requestScope(r: IncreaseRequest): SpendScope {
  return scopeOf({ scope_type: r.scope_type, scope_id: r.scope_id });
}

/** Approves: sets the scope's limit for the period to `amount` cents and resolves the request, in one transaction and one audit event. */
export async function approveIncreaseRequest(deps: ServiceDeps, ctx: Ctx, id: string, input: { amount: string; period?: SpendPeriod | undefined; suppress_notification?: boolean | undefined }) {
  requireOrgPermission(ctx, "spend_limits:write");
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const r = await tx.increaseRequests.get(orgId, id);
    if (!r) throw notFound("spend limit increase request", id);
    if (r.status !== "pending") throw new DomainError("invalid_state_transition", `this request is already ${r.status}`);
    const now = deps.clock.now();
    const period = input.period ?? r.period;
    const { stored, beforeCents } = await applySpendLimit(tx, orgId, requestScope(r), period, Number(input.amount), now);
    const resolved: IncreaseRequest = { ...r, status: "approved", resolved_at: now.toISOString(), resolved_by_type: ctx.principal.actor.type, resolved_by_id: ctx.principal.actor.id, spend_limit_id: stored.id };
    await tx.increaseRequests.update(orgId, id, { status: "approved", resolved_at: resolved.resolved_at, resolved_by_type: resolved.resolved_by_type, resolved_by_id: resolved.resolved_by_id, spend_limit_id: stored.id });
    const key = r.api_key_id === null ? null : await tx.apiKeys.get(orgId, r.api_key_id);
    await tx.audit.append(auditEvent(ctx, "spend_limit_increase_request.approved", { type: "spend_limit_increase_request", id }, key?.workspace_id ?? null, {
      spend_limit_id: stored.id, scope: requestScope(r), period, amount_cents: { before: beforeCents, after: Number(input.amount) },
    }), now);
    if (!input.suppress_notification) await notifyRequester(tx, orgId, r, "approved", now, `${period} limit is now ${input.amount} cents`);
    return { request: resolved, spendLimit: stored };
  });
}

export async function denyIncreaseRequest(deps: ServiceDeps, ctx: Ctx, id: string, input: { suppress_notification?: boolean | undefined }): Promise<IncreaseRequest> {
  requireOrgPermission(ctx, "spend_limits:write");
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const r = await tx.increaseRequests.get(orgId, id);
    if (!r) throw notFound("spend limit increase request", id);
    if (r.status === "denied") return r;
    if (r.status === "approved") throw new DomainError("invalid_state_transition", "an approved request cannot be denied");
    const now = deps.clock.now();
    const resolved: IncreaseRequest = { ...r, status: "denied", resolved_at: now.toISOString(), resolved_by_type: ctx.principal.actor.type, resolved_by_id: ctx.principal.actor.id };
    await tx.increaseRequests.update(orgId, id, { status: "denied", resolved_at: resolved.resolved_at, resolved_by_type: resolved.resolved_by_type, resolved_by_id: resolved.resolved_by_id });
    await tx.audit.append(auditEvent(ctx, "spend_limit_increase_request.denied", { type: "spend_limit_increase_request", id }, null, { period: r.period }), now);
    if (!input.suppress_notification) await notifyRequester(tx, orgId, r, "denied", now, null);
    return resolved;
  });
}

async function notifyRequester(tx: Repos, orgId: string, r: IncreaseRequest, outcome: "approved" | "denied", now: Date, detail: string | null): Promise<void> {
  const user: User | null = await tx.users.get(orgId, r.user_id);
  if (!user) return;
  await notify(tx, orgId, "limit_requests", { apiKeyId: r.api_key_id }, newNotification(orgId, `spend_limit_increase_request.${outcome}`,
    `Your spend limit increase request ${r.id} was ${outcome}${detail ? `: ${detail}` : ""}`, { request_id: r.id, user_id: r.user_id, outcome }, now), [user.email], now);
}

/** The live spend of a pending request's scope and period (Anthropic's `spend_summary`). */
export async function spendSummary(deps: ServiceDeps, r: IncreaseRequest) {
  if (r.status !== "pending") return null;
  const scope = requestScope(r);
  const w = periodWindow(r.period, deps.clock.now());
  const spent = await deps.store.usage.sumCost(r.org_id, { type: scope.type, id: r.scope_id }, w.start.toISOString());
  const limit = await deps.store.spendLimits.findByScope(r.org_id, r.scope_type, r.scope_id, r.period);
  return { period: r.period, amount: limit?.amount_cents == null ? null : String(limit.amount_cents), currency: "USD", period_to_date_spend: microsToCentsString(spent) };
}
