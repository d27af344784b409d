import type { SpendLimit } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { idBody } from "../core/ids.js";
import { type SpendPeriod, centsToMicros, microsToCentsString, periodWindow } from "../core/limits.js";
import type { Repos } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

export type SpendScope =
  | { type: "organization" }
  | { type: "workspace"; workspace_id: string }
  | { type: "user"; user_id: string }
  | { type: "api_key"; api_key_id: string };

export function scopeOf(l: Pick<SpendLimit, "scope_type" | "scope_id">): SpendScope {
  switch (l.scope_type) {
    case "organization":
      return { type: "organization" };
    case "workspace":
      return { type: "workspace", workspace_id: l.scope_id ?? "" };
    case "user":
      return { type: "user", user_id: l.scope_id ?? "" };
    case "api_key":
      return { type: "api_key", api_key_id: l.scope_id ?? "" };
  }
}

export function scopeId(scope: SpendScope): string | null {
  return scope.type === "organization" ? null : scope.type === "workspace" ? scope.workspace_id : scope.type === "user" ? scope.user_id : scope.api_key_id;
}

/** The scopes above `scope` whose limit of the same period a child may not exceed. */
async function parents(repos: Repos, orgId: string, scope: SpendScope): Promise<{ type: SpendLimit["scope_type"]; id: string | null }[]> {
  switch (scope.type) {
    case "organization":
      return [];
    case "workspace":
      if (!(await repos.workspaces.get(orgId, scope.workspace_id))) throw notFound("workspace", scope.workspace_id);
      return [{ type: "organization", id: null }];
    case "user":
      if (!(await repos.users.get(orgId, scope.user_id))) throw notFound("user", scope.user_id);
      return [{ type: "organization", id: null }];
    case "api_key": {
      const key = await repos.apiKeys.get(orgId, scope.api_key_id);
      if (!key) throw notFound("api key", scope.api_key_id);
      return [
        { type: "workspace", id: key.workspace_id },
        ...(key.owner_user_id ? [{ type: "user" as const, id: key.owner_user_id }] : []),
        { type: "organization", id: null },
      ];
    }
  }
}

/**
 * Sets the limit of (scope, period): an upsert. `amount` is whole cents as a decimal string, or
 * null for an explicit "no limit". A child limit above a parent's limit for the same period is
 * refused.
 */
export async function setSpendLimit(deps: ServiceDeps, ctx: Ctx, input: { scope: SpendScope; period: SpendPeriod; amount: string | null }): Promise<SpendLimit> {
  requireOrgPermission(ctx, "spend_limits:write");
  const amountCents = input.amount === null ? null : Number(input.amount);
  return deps.store.transaction(async (tx) => {
    const { stored, beforeCents } = await applySpendLimit(tx, ctx.principal.orgId, input.scope, input.period, amountCents, deps.clock.now());
    const workspaceId = input.scope.type === "workspace" ? input.scope.workspace_id : null;
    await tx.audit.append(auditEvent(ctx, "spend_limit.set", { type: "spend_limit", id: stored.id }, workspaceId, {
      scope: input.scope, period: input.period, amount_cents: { before: beforeCents, after: amountCents },
    }), deps.clock.now());
    return stored;
  });
}

/**
 * Upserts the limit of (scope, period) inside the caller's transaction, refusing a child limit
 * above a parent's limit of the same period. The caller audits.
 */
export async function applySpendLimit(tx: Repos, orgId: string, scope: SpendScope, period: SpendPeriod, amountCents: number | null, now: Date): Promise<{ stored: SpendLimit; beforeCents: number | null }> {
  if (amountCents !== null && !Number.isSafeInteger(centsToMicros(amountCents))) throw new DomainError("validation_failed", "amount is too large");
  if (amountCents !== null) {
    for (const p of await parents(tx, orgId, scope)) {
      const parent = await tx.spendLimits.findByScope(orgId, p.type, p.id, period);
      if (parent?.amount_cents != null && amountCents > parent.amount_cents) {
        throw new DomainError("invalid_request", `amount ${amountCents} exceeds the ${p.type} ${period} limit of ${parent.amount_cents} cents`, { details: { error_code: "exceeds_parent_limit" } });
      }
    }
  } else {
    await parents(tx, orgId, scope);
  }
  const iso = now.toISOString();
  const before = await tx.spendLimits.findByScope(orgId, scope.type, scopeId(scope), period);
  const stored = await tx.spendLimits.upsert({
    id: `spl_${idBody()}`, org_id: orgId, scope_type: scope.type, scope_id: scopeId(scope), period, amount_cents: amountCents, created_at: iso, updated_at: iso,
  });
  return { stored, beforeCents: before?.amount_cents ?? null };
}

export async function listSpendLimits(deps: ServiceDeps, ctx: Ctx, filter: { scopeTypes?: string[] | undefined; workspaceId?: string | undefined }): Promise<SpendLimit[]> {
  requireOrgPermission(ctx, "spend_limits:read");
  const all = await deps.store.spendLimits.listAll(ctx.principal.orgId);
  return all.filter((l) => (filter.scopeTypes === undefined || filter.scopeTypes.length === 0 || filter.scopeTypes.includes(l.scope_type))
    && (filter.workspaceId === undefined || (l.scope_type === "workspace" && l.scope_id === filter.workspaceId)));
}

export async function getSpendLimit(deps: ServiceDeps, ctx: Ctx, id: string): Promise<SpendLimit> {
  requireOrgPermission(ctx, "spend_limits:read");
  const l = await deps.store.spendLimits.get(ctx.principal.orgId, id);
  if (!l) throw notFound("spend limit", id);
  return l;
}

export async function deleteSpendLimit(deps: ServiceDeps, ctx: Ctx, id: string): Promise<{ id: string; type: "spend_limit_deleted" }> {
  requireOrgPermission(ctx, "spend_limits:write");
  return deps.store.transaction(async (tx) => {
    const l = await tx.spendLimits.get(ctx.principal.orgId, id);
    if (!l) throw notFound("spend limit", id);
    await tx.spendLimits.remove(ctx.principal.orgId, id);
    await tx.audit.append(auditEvent(ctx, "spend_limit.deleted", { type: "spend_limit", id }, l.scope_type === "workspace" ? l.scope_id : null, { scope: scopeOf(l), period: l.period, amount_cents: l.amount_cents }), deps.clock.now());
    return { id, type: "spend_limit_deleted" as const };
  });
}

export interface EffectiveSpend {
  limit: SpendLimit | null;
  scope: SpendScope;
  period: SpendPeriod;
  windowStart: string;
  windowEnd: string;
  spentMicros: number;
}

/** Each scope's limit with its spend so far in the current window (from the ledger). */
export async function effectiveSpend(deps: ServiceDeps, ctx: Ctx): Promise<EffectiveSpend[]> {
  requireOrgPermission(ctx, "spend_limits:read");
  const orgId = ctx.principal.orgId;
  const limits = await deps.store.spendLimits.listAll(orgId);
  const now = deps.clock.now();
  const rows: EffectiveSpend[] = [];
  const hasOrgMonthly = limits.some((l) => l.scope_type === "organization" && l.period === "monthly");
  const entries: { limit: SpendLimit | null; scope: SpendScope; period: SpendPeriod }[] = [
    ...(hasOrgMonthly ? [] : [{ limit: null, scope: { type: "organization" } as SpendScope, period: "monthly" as SpendPeriod }]),
    ...limits.map((l) => ({ limit: l, scope: scopeOf(l), period: l.period })),
  ];
  for (const e of entries) {
    const w = periodWindow(e.period, now);
    const spent = await deps.store.usage.sumCost(orgId, { type: e.scope.type, id: scopeId(e.scope) }, w.start.toISOString());
    rows.push({ ...e, windowStart: w.start.toISOString(), windowEnd: w.end.toISOString(), spentMicros: spent });
  }
  return rows;
}


export interface MonthToDate {
  spentMicros: number;
  /** The scope's own monthly limit in cents, or null. */
  limitCents: number | null;
}

/**
 * Month-to-date spend (from the rollups) and the monthly limit of many keys, workspaces or the
 * organization at once, for the objects' `spend` field.
 */
export async function monthToDate(deps: ServiceDeps, orgId: string, scopeType: "api_key" | "workspace" | "organization", ids: readonly string[]): Promise<Map<string, MonthToDate>> {
  const start = periodWindow("monthly", deps.clock.now()).start.toISOString();
  const limits = (await deps.store.spendLimits.listAll(orgId)).filter((l) => l.scope_type === scopeType && l.period === "monthly");
  const sums = scopeType === "organization"
    ? new Map([[orgId, await deps.store.usage.sumCost(orgId, { type: "organization", id: null }, start)]])
    : await deps.store.usage.sumCostByScope(orgId, scopeType, ids, start);
  const out = new Map<string, MonthToDate>();
  for (const id of ids) {
    const limit = limits.find((l) => (scopeType === "organization" ? l.scope_id === null : l.scope_id === id));
    out.set(id, { spentMicros: sums.get(id) ?? 0, limitCents: limit?.amount_cents ?? null });
  }
  return out;
}

/** The `spend` field of keys, workspaces and the organization: cents as decimal strings. */
export function presentMonthToDate(m: MonthToDate | undefined) {
  const spent = m?.spentMicros ?? 0;
  const limit = m?.limitCents ?? null;
  return {
    period: "monthly" as const,
    month_to_date_spend: microsToCentsString(spent),
    monthly_limit: limit === null ? null : String(limit),
    remaining_budget: limit === null ? null : microsToCentsString(Math.max(0, limit * 10_000 - spent)),
  };
}
