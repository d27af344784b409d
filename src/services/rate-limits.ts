import type { RateLimitSetting } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { RATE_LIMIT_TYPES, type RateLimitType, TIER_LIMITS } from "../core/limits.js";
import type { Repos } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

/** Gatehouse enforces one limit group covering every model of the Messages API. */
export const MESSAGES_RATE_LIMIT_ID = "rl_messages";
export const MESSAGES_GROUP = { id: "rlg_messages", type: "model_group", display_name: "All models" } as const;

export interface LimitChange {
  type: string;
  value: number | null;
}

export type LimitSource = "organization" | "workspace" | "api_key" | "tier";
export interface EffectiveLimit {
  type: RateLimitType;
  value: number;
  source: LimitSource;
  /** The value of the level above (for `org_limit` in Anthropic's shape), or null. */
  parent: number | null;
}

function byType(rows: RateLimitSetting[]): Partial<Record<RateLimitType, number>> {
  const out: Partial<Record<RateLimitType, number>> = {};
  for (const r of rows) if ((RATE_LIMIT_TYPES as readonly string[]).includes(r.limit_type)) out[r.limit_type as RateLimitType] = r.value;
  return out;
}

function validate(changes: LimitChange[], rateLimitId: string): void {
  if (rateLimitId !== MESSAGES_RATE_LIMIT_ID) throw notFound("rate limit", rateLimitId);
  const seen = new Set<string>();
  for (const c of changes) {
    if (!(RATE_LIMIT_TYPES as readonly string[]).includes(c.type)) {
      throw new DomainError("validation_failed", `limit type ${JSON.stringify(c.type)} is not enforced by Gatehouse; use one of ${RATE_LIMIT_TYPES.join(", ")}`);
    }
    if (seen.has(c.type)) throw new DomainError("validation_failed", `limit type ${c.type} is given twice`);
    seen.add(c.type);
  }
}

async function levels(repos: Repos, orgId: string) {
  return { org: byType(await repos.rateLimits.list(orgId, "organization", null)) };
}

/** The organization's limits (explicit values only). */
export async function getOrgRateLimits(deps: ServiceDeps, ctx: Ctx): Promise<Partial<Record<RateLimitType, number>>> {
  requireOrgPermission(ctx, "rate_limits:read");
  return (await levels(deps.store, ctx.principal.orgId)).org;
}

export async function setOrgRateLimits(deps: ServiceDeps, ctx: Ctx, rateLimitId: string, changes: LimitChange[]): Promise<Partial<Record<RateLimitType, number>>> {
  requireOrgPermission(ctx, "rate_limits:write");
  validate(changes, rateLimitId);
  return applyChanges(deps, ctx, "organization", null, null, changes);
}

async function applyChanges(deps: ServiceDeps, ctx: Ctx, scopeType: RateLimitSetting["scope_type"], scopeId: string | null, workspaceId: string | null, changes: LimitChange[]) {
  return deps.store.transaction(async (tx) => {
    const orgId = ctx.principal.orgId;
    const before = byType(await tx.rateLimits.list(orgId, scopeType, scopeId));
    const ceilings = await parentValues(tx, orgId, scopeType, scopeId);
    for (const c of changes) {
      const ceiling = ceilings[c.type as RateLimitType];
      if (c.value !== null && ceiling !== undefined && c.value > ceiling.value) {
        throw new DomainError("invalid_request", `${c.type} ${c.value} exceeds the ${ceiling.source} limit of ${ceiling.value}`, { details: { error_code: "exceeds_parent_limit" } });
      }
    }
    const now = deps.clock.now().toISOString();
    for (const c of changes) await tx.rateLimits.set(orgId, scopeType, scopeId, c.type, c.value, now);
    const after = byType(await tx.rateLimits.list(orgId, scopeType, scopeId));
    await tx.audit.append(auditEvent(ctx, "rate_limit.updated", { type: `${scopeType}_rate_limit`, id: scopeId ?? orgId }, workspaceId, { before, after }), deps.clock.now());
    return after;
  });
}

/** The nearest explicit limit above a scope, per type. */
async function parentValues(repos: Repos, orgId: string, scopeType: RateLimitSetting["scope_type"], scopeId: string | null): Promise<Partial<Record<RateLimitType, { value: number; source: LimitSource }>>> {
  const out: Partial<Record<RateLimitType, { value: number; source: LimitSource }>> = {};
  const put = (vals: Partial<Record<RateLimitType, number>>, source: LimitSource) => {
    for (const t of RATE_LIMIT_TYPES) if (out[t] === undefined && vals[t] !== undefined) out[t] = { value: vals[t] as number, source };
  };
  if (scopeType === "api_key" && scopeId !== null) {
    const key = await repos.apiKeys.get(orgId, scopeId);
    if (key) put(byType(await repos.rateLimits.list(orgId, "workspace", key.workspace_id)), "workspace");
  }
  if (scopeType !== "organization") put(byType(await repos.rateLimits.list(orgId, "organization", null)), "organization");
  return out;
}

export async function getWorkspaceRateLimits(deps: ServiceDeps, ctx: Ctx, workspaceId: string): Promise<EffectiveLimit[]> {
  requireOrgPermission(ctx, "rate_limits:read");
  if (!(await deps.store.workspaces.get(ctx.principal.orgId, workspaceId))) throw notFound("workspace", workspaceId);
  const own = byType(await deps.store.rateLimits.list(ctx.principal.orgId, "workspace", workspaceId));
  const org = byType(await deps.store.rateLimits.list(ctx.principal.orgId, "organization", null));
  const out: EffectiveLimit[] = [];
  for (const t of RATE_LIMIT_TYPES) {
    if (own[t] !== undefined) out.push({ type: t, value: own[t] as number, source: "workspace", parent: org[t] ?? null });
    else if (org[t] !== undefined) out.push({ type: t, value: org[t] as number, source: "organization", parent: org[t] as number });
  }
  return out;
}

export async function setWorkspaceRateLimits(deps: ServiceDeps, ctx: Ctx, workspaceId: string, rateLimitId: string, changes: LimitChange[]): Promise<EffectiveLimit[]> {
  requireOrgPermission(ctx, "rate_limits:write");
  if (!(await deps.store.workspaces.get(ctx.principal.orgId, workspaceId))) throw notFound("workspace", workspaceId);
  validate(changes, rateLimitId);
  await applyChanges(deps, ctx, "workspace", workspaceId, workspaceId, changes);
  return getWorkspaceRateLimits(deps, ctx, workspaceId);
}

/** A key's effective limits: its own, else its tier's defaults; never above its workspace's or org's. */
export async function getApiKeyRateLimits(deps: ServiceDeps, ctx: Ctx, apiKeyId: string): Promise<EffectiveLimit[]> {
  requireOrgPermission(ctx, "rate_limits:read");
  const key = await deps.store.apiKeys.get(ctx.principal.orgId, apiKeyId);
  if (!key) throw notFound("api key", apiKeyId);
  const own = byType(await deps.store.rateLimits.list(ctx.principal.orgId, "api_key", apiKeyId));
  const parentsByType = await parentValues(deps.store, ctx.principal.orgId, "api_key", apiKeyId);
  const tier = TIER_LIMITS[key.tier] ?? TIER_LIMITS[1];
  return RATE_LIMIT_TYPES.map((t) => ({
    type: t,
    value: own[t] ?? (tier as Record<RateLimitType, number>)[t],
    source: own[t] !== undefined ? "api_key" : "tier",
    parent: parentsByType[t]?.value ?? null,
  }));
}

export async function setApiKeyRateLimits(deps: ServiceDeps, ctx: Ctx, apiKeyId: string, rateLimitId: string, changes: LimitChange[]): Promise<EffectiveLimit[]> {
  requireOrgPermission(ctx, "rate_limits:write");
  const key = await deps.store.apiKeys.get(ctx.principal.orgId, apiKeyId);
  if (!key) throw notFound("api key", apiKeyId);
  validate(changes, rateLimitId);
  await applyChanges(deps, ctx, "api_key", apiKeyId, key.workspace_id, changes);
  return getApiKeyRateLimits(deps, ctx, apiKeyId);
}
