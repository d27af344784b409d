import type { PageRequest, PageResult, User } from "../core/domain.js";
import { defaultOffboardingPolicy, offboardInTx } from "./offboarding.js";
import { DomainError, notFound } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { OrgRole } from "../core/rbac.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent, diff } from "./context.js";

export async function listUsers(deps: ServiceDeps, ctx: Ctx, filter: { email?: string | undefined; roles?: OrgRole[] | undefined }, page: PageRequest): Promise<PageResult<User>> {
  requireOrgPermission(ctx, "users:read");
  return deps.store.users.list(ctx.principal.orgId, filter, page);
}

export async function getUser(deps: ServiceDeps, ctx: Ctx, id: string): Promise<User> {
  requireOrgPermission(ctx, "users:read");
  const user = await deps.store.users.get(ctx.principal.orgId, id);
  if (!user) throw notFound("user", id);
  return user;
}

export async function createUser(deps: ServiceDeps, ctx: Ctx, input: { email: string; name: string; role: OrgRole }): Promise<User> {
  requireOrgPermission(ctx, "users:write");
  const email = input.email.trim().toLowerCase();
  return deps.store.transaction(async (tx) => {
    if (await tx.users.getByEmail(ctx.principal.orgId, email)) {
      throw new DomainError("already_member", `a user with email ${JSON.stringify(email)} already exists`, { details: { error_code: "already_member" } });
    }
    const now = deps.clock.now();
    const user: User = { id: newId("user", now.getTime()), org_id: ctx.principal.orgId, email, name: input.name.trim(), role: input.role, status: "active", added_at: now.toISOString(), external_id: null, user_name: null, given_name: null, family_name: null };
    await tx.users.insert(user);
    await tx.audit.append(auditEvent(ctx, "user.created", { type: "user", id: user.id }, null, { email, name: user.name, role: user.role }), now);
    return user;
  });
}

export async function updateUser(deps: ServiceDeps, ctx: Ctx, id: string, patch: { role?: OrgRole | undefined; name?: string | undefined }): Promise<User> {
  requireOrgPermission(ctx, "users:write");
  return deps.store.transaction(async (tx) => {
    const user = await tx.users.get(ctx.principal.orgId, id);
    if (!user) throw notFound("user", id);
    const changes = diff(user, { role: patch.role, name: patch.name?.trim() });
    if (Object.keys(changes).length === 0) return user;
    const next = { ...user, ...(patch.role ? { role: patch.role } : {}), ...(patch.name ? { name: patch.name.trim() } : {}) };
    await tx.users.update(ctx.principal.orgId, id, { role: next.role, name: next.name });
    await tx.audit.append(auditEvent(ctx, "user.updated", { type: "user", id }, null, changes), deps.clock.now());
    return next;
  });
}

/**
 * Removes a user from the organization: runs the offboarding with the organization's default
 * policy (memberships, admin keys, API keys), then the user is no longer listed or able to
 * authenticate. One audit event carries the offboarding report.
 */
export async function deleteUser(deps: ServiceDeps, ctx: Ctx, id: string): Promise<{ id: string; type: "user_deleted" }> {
  requireOrgPermission(ctx, "users:write");
  if (ctx.principal.userId === id) throw new DomainError("invalid_request", "a user cannot remove themselves");
  return deps.store.transaction(async (tx) => {
    const user = await tx.users.get(ctx.principal.orgId, id);
    if (!user) throw notFound("user", id);
    const policy = await defaultOffboardingPolicy(tx, ctx.principal.orgId, id);
    await offboardInTx(tx, ctx, user, policy, { finalStatus: "deleted", action: "user.deleted", now: deps.clock.now() });
    return { id, type: "user_deleted" as const };
  });
}
