import { isCidr } from "../core/cidr.js";
import { type ApiKey, type PageRequest, type PageResult, effectiveKeyStatus } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { ID_PREFIX } from "../core/ids.js";
import { issueKey, markerForEnvironment } from "../core/keys.js";
import type { Repos } from "../core/ports.js";
import { workspacesWith } from "../core/rbac.js";
import { loadWorkspace, requireActiveWorkspace, requireDescriptiveName, requireWorkspaceAccess } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent, diff } from "./context.js";

export interface CreateApiKeyInput {
  name: string;
  workspace_id: string;
  owner_user_id?: string | undefined;
  expires_at?: string | null | undefined;
  tier?: number | undefined;
  allowed_models?: string[] | null | undefined;
  allowed_cidrs?: string[] | null | undefined;
}

export interface UpdateApiKeyInput {
  name?: string | undefined;
  status?: "active" | "inactive" | "archived" | undefined;
  owner_user_id?: string | undefined;
  allowed_models?: string[] | null | undefined;
  allowed_cidrs?: string[] | null | undefined;
  tier?: number | undefined;
}

function requireCidrs(cidrs: string[] | null | undefined): void {
  for (const c of cidrs ?? []) if (!isCidr(c)) throw new DomainError("validation_failed", `allowed_cidrs: ${JSON.stringify(c)} is not a CIDR block`);
}

async function requireOwner(repos: Repos, orgId: string, userId: string | undefined): Promise<void> {
  if (userId === undefined) return;
  const user = await repos.users.get(orgId, userId);
  if (!user || user.status !== "active") throw notFound("user", userId);
}

/** Creates a key in a workspace; the secret is returned here and never again (K3). */
export async function createApiKey(deps: ServiceDeps, ctx: Ctx, input: CreateApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
  requireDescriptiveName(deps, input.name);
  requireCidrs(input.allowed_cidrs);
  const now = deps.clock.now();
  if (input.expires_at != null && Date.parse(input.expires_at) <= now.getTime()) {
    throw new DomainError("validation_failed", "expires_at must be in the future");
  }
  return deps.store.transaction(async (tx) => {
    const ws = await loadWorkspace(tx, ctx, input.workspace_id, "api_keys:write", "workspaces:read");
    requireActiveWorkspace(ws);
    await requireOwner(tx, ctx.principal.orgId, input.owner_user_id);
    const generated = issueKey(deps.hashKey, markerForEnvironment(ws.environment));
    const key: ApiKey = {
      id: ID_PREFIX.apiKey + generated.publicId, org_id: ctx.principal.orgId, workspace_id: ws.id, name: input.name.trim(),
      status: "active", key_hash: generated.hash, hint: generated.hint, created_at: now.toISOString(),
      created_by_type: ctx.principal.userId !== null ? "user" : "admin_key",
      created_by_id: ctx.principal.userId ?? ctx.principal.actor.id, owner_user_id: input.owner_user_id ?? null,
      expires_at: input.expires_at == null ? null : new Date(input.expires_at).toISOString(), tier: input.tier ?? 1,
      allowed_models: input.allowed_models ?? null, allowed_cidrs: input.allowed_cidrs ?? null,
      last_used_at: null, rotated_from: null, rotated_to: null, rotated_at: null,
    };
    await tx.apiKeys.insert(key);
    await tx.audit.append(auditEvent(ctx, "api_key.created", { type: "api_key", id: key.id }, ws.id, {
      name: key.name, workspace_id: ws.id, owner_user_id: key.owner_user_id, expires_at: key.expires_at, tier: key.tier,
      allowed_models: key.allowed_models, allowed_cidrs: key.allowed_cidrs, hint: key.hint,
    }), now);
    return { key, secret: generated.key };
  });
}

export async function listApiKeys(deps: ServiceDeps, ctx: Ctx, filter: { status?: string | undefined; workspaceId?: string | undefined; createdByUserId?: string | undefined }, page: PageRequest): Promise<PageResult<ApiKey>> {
  return deps.store.apiKeys.list(ctx.principal.orgId, {
    statuses: filter.status === undefined ? undefined : [filter.status],
    workspaceId: filter.workspaceId,
    createdByUserId: filter.createdByUserId,
    visible: workspacesWith(ctx.principal, "api_keys:read"),
    now: deps.clock.now().toISOString(),
  }, page);
}

export async function getApiKey(deps: ServiceDeps, ctx: Ctx, id: string): Promise<ApiKey> {
  const key = await deps.store.apiKeys.get(ctx.principal.orgId, id);
  if (!key) throw notFound("api key", id);
  requireWorkspaceAccess(ctx, "api_keys:read", "api_keys:read", key.workspace_id, "api key", id);
  return key;
}

/**
 * Updates name, status and Gatehouse's settings. `archived` is final and an expired key cannot be
 * re-activated; a status change applies to the next request that uses the key.
 */
export async function updateApiKey(deps: ServiceDeps, ctx: Ctx, id: string, patch: UpdateApiKeyInput): Promise<ApiKey> {
  if (patch.name !== undefined) requireDescriptiveName(deps, patch.name);
  requireCidrs(patch.allowed_cidrs);
  return deps.store.transaction(async (tx) => {
    const key = await tx.apiKeys.get(ctx.principal.orgId, id);
    if (!key) throw notFound("api key", id);
    requireWorkspaceAccess(ctx, "api_keys:write", "api_keys:read", key.workspace_id, "api key", id);
    const now = deps.clock.now();
    const current = effectiveKeyStatus(key, now);
    if (patch.status !== undefined && patch.status !== current) {
      if (current === "archived") throw new DomainError("invalid_state_transition", "an archived key cannot change status");
      if (current === "expired" && patch.status !== "archived") throw new DomainError("invalid_state_transition", "an expired key cannot be re-activated; create a new key");
    }
    if (patch.owner_user_id !== undefined) await requireOwner(tx, ctx.principal.orgId, patch.owner_user_id);
    const next: Partial<ApiKey> = {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.owner_user_id !== undefined ? { owner_user_id: patch.owner_user_id } : {}),
      ...(patch.allowed_models !== undefined ? { allowed_models: patch.allowed_models } : {}),
      ...(patch.allowed_cidrs !== undefined ? { allowed_cidrs: patch.allowed_cidrs } : {}),
      ...(patch.tier !== undefined ? { tier: patch.tier } : {}),
    };
    const changes = diff(key, next);
    if (Object.keys(changes).length === 0) return key;
    await tx.apiKeys.update(ctx.principal.orgId, id, next);
    const action = next.status === "archived" ? "api_key.archived" : "api_key.updated";
    await tx.audit.append(auditEvent(ctx, action, { type: "api_key", id }, key.workspace_id, changes), now);
    return { ...key, ...next };
  });
}
