import type { AdminKey, PageRequest, PageResult } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { ID_PREFIX } from "../core/ids.js";
import { issueKey } from "../core/keys.js";
import type { OrgRole } from "../core/rbac.js";
import { requireDescriptiveName, requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

/**
 * Admin keys authenticate the admin API. A key either carries an org role itself (a service
 * credential) or acts as a user (`user_id`), taking that user's current role and memberships.
 */
export async function createAdminKey(deps: ServiceDeps, ctx: Ctx, input: { name: string; role?: OrgRole | undefined; user_id?: string | undefined }): Promise<{ key: AdminKey; secret: string }> {
  requireOrgPermission(ctx, "admin_keys:write");
  requireDescriptiveName(deps, input.name);
  if ((input.role === undefined) === (input.user_id === undefined)) {
    throw new DomainError("validation_failed", "give exactly one of role (a service admin key) or user_id (a key that acts as that user)");
  }
  return deps.store.transaction(async (tx) => {
    let role: OrgRole = input.role ?? "user";
    if (input.user_id !== undefined) {
      const user = await tx.users.get(ctx.principal.orgId, input.user_id);
      if (!user || user.status !== "active") throw notFound("user", input.user_id);
      role = user.role;
    }
    const now = deps.clock.now();
    const generated = issueKey(deps.hashKey, "adm");
    const key: AdminKey = {
      id: ID_PREFIX.adminKey + generated.publicId, org_id: ctx.principal.orgId, name: input.name.trim(), role,
      user_id: input.user_id ?? null, status: "active", key_hash: generated.hash, hint: generated.hint,
      created_at: now.toISOString(), created_by_id: ctx.principal.actor.id, last_used_at: null, revoked_at: null,
    };
    await tx.adminKeys.insert(key);
    await tx.audit.append(auditEvent(ctx, "admin_key.created", { type: "admin_key", id: key.id }, null, { name: key.name, role, user_id: key.user_id, hint: key.hint }), now);
    return { key, secret: generated.key };
  });
}

export async function listAdminKeys(deps: ServiceDeps, ctx: Ctx, page: PageRequest): Promise<PageResult<AdminKey>> {
  requireOrgPermission(ctx, "admin_keys:read");
  return deps.store.adminKeys.list(ctx.principal.orgId, page);
}

export async function getAdminKey(deps: ServiceDeps, ctx: Ctx, id: string): Promise<AdminKey> {
  requireOrgPermission(ctx, "admin_keys:read");
  const key = await deps.store.adminKeys.get(ctx.principal.orgId, id);
  if (!key) throw notFound("admin key", id);
  return key;
}

/** Revokes an admin key; the next request with it is refused. Revoking twice changes nothing. */
export async function revokeAdminKey(deps: ServiceDeps, ctx: Ctx, id: string): Promise<AdminKey> {
  requireOrgPermission(ctx, "admin_keys:write");
  return deps.store.transaction(async (tx) => {
    const key = await tx.adminKeys.get(ctx.principal.orgId, id);
    if (!key) throw notFound("admin key", id);
    if (key.status === "revoked") return key;
    const now = deps.clock.now().toISOString();
    await tx.adminKeys.update(ctx.principal.orgId, id, { status: "revoked", revoked_at: now });
    await tx.audit.append(auditEvent(ctx, "admin_key.revoked", { type: "admin_key", id }, null, { status: { before: "active", after: "revoked" } }), deps.clock.now());
    return { ...key, status: "revoked", revoked_at: now };
  });
}
