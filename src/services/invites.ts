import type { Invite, PageRequest, PageResult, User } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { newId, secretBase62 } from "../core/ids.js";
import { hashKey } from "../core/keys.js";
import type { OrgRole } from "../core/rbac.js";
import { requireOrgPermission } from "./access.js";
import { type RequestMeta, type Ctx, type ServiceDeps, auditEvent } from "./context.js";

/** Invites expire after 21 days, as Anthropic's do. */
export const INVITE_TTL_MS = 21 * 24 * 3600 * 1000;

/** The effective status: a pending invite past its expiry reads as `expired`. */
export function inviteStatus(invite: Invite, now: Date): Invite["status"] {
  return invite.status === "pending" && Date.parse(invite.expires_at) <= now.getTime() ? "expired" : invite.status;
}

export async function createInvite(deps: ServiceDeps, ctx: Ctx, input: { email: string; role: OrgRole }): Promise<{ invite: Invite; token: string }> {
  requireOrgPermission(ctx, "invites:write");
  const email = input.email.trim().toLowerCase();
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    if (await tx.users.getByEmail(ctx.principal.orgId, email)) {
      throw new DomainError("already_member", `${JSON.stringify(email)} is already a member of this organization`, { details: { error_code: "already_member" } });
    }
    const pending = await tx.invites.findPendingByEmail(ctx.principal.orgId, email);
    if (pending && inviteStatus(pending, now) === "pending") {
      throw new DomainError("invite_already_exists", `a pending invite for ${JSON.stringify(email)} already exists`, { details: { error_code: "invite_already_exists" } });
    }
    if (pending) await tx.invites.update(ctx.principal.orgId, pending.id, { status: "expired" });
    const token = `gth_inv_${secretBase62(32)}`;
    const invite: Invite = {
      id: newId("invite", now.getTime()), org_id: ctx.principal.orgId, email, role: input.role, status: "pending",
      invited_at: now.toISOString(), expires_at: new Date(now.getTime() + INVITE_TTL_MS).toISOString(), accepted_at: null,
      token_hash: hashKey(deps.hashKey, token),
    };
    await tx.invites.insert(invite);
    await tx.audit.append(auditEvent(ctx, "invite.created", { type: "invite", id: invite.id }, null, { email, role: input.role }), now);
    return { invite, token };
  });
}

export async function listInvites(deps: ServiceDeps, ctx: Ctx, filter: { email?: string | undefined; roles?: OrgRole[] | undefined; statuses?: string[] | undefined }, page: PageRequest): Promise<PageResult<Invite>> {
  requireOrgPermission(ctx, "invites:read");
  return deps.store.invites.list(ctx.principal.orgId, filter, page);
}

export async function getInvite(deps: ServiceDeps, ctx: Ctx, id: string): Promise<Invite> {
  requireOrgPermission(ctx, "invites:read");
  const invite = await deps.store.invites.get(ctx.principal.orgId, id);
  if (!invite) throw notFound("invite", id);
  return invite;
}

export async function deleteInvite(deps: ServiceDeps, ctx: Ctx, id: string): Promise<{ id: string; type: "invite_deleted" }> {
  requireOrgPermission(ctx, "invites:write");
  return deps.store.transaction(async (tx) => {
    const invite = await tx.invites.get(ctx.principal.orgId, id);
    if (!invite) throw notFound("invite", id);
    await tx.invites.update(ctx.principal.orgId, id, { status: "deleted" });
    await tx.audit.append(auditEvent(ctx, "invite.deleted", { type: "invite", id }, null, { email: invite.email }), deps.clock.now());
    return { id, type: "invite_deleted" as const };
  });
}

/**
 * Accepts an invite with its single-use token: creates the user with the invited role. Unknown,
 * used, deleted and expired tokens all get the same not-found answer.
 */
export async function acceptInvite(deps: ServiceDeps, meta: RequestMeta, input: { token: string; name: string }): Promise<User> {
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    const invite = await tx.invites.findByTokenHash(hashKey(deps.hashKey, input.token));
    if (!invite || inviteStatus(invite, now) !== "pending") throw new DomainError("not_found", "invite not found or no longer valid");
    if (await tx.users.getByEmail(invite.org_id, invite.email)) {
      throw new DomainError("already_member", "this email is already a member of the organization", { details: { error_code: "already_member" } });
    }
    const user: User = { id: newId("user", now.getTime()), org_id: invite.org_id, email: invite.email, name: input.name.trim(), role: invite.role, status: "active", added_at: now.toISOString(), external_id: null, user_name: null, given_name: null, family_name: null };
    await tx.users.insert(user);
    await tx.invites.update(invite.org_id, invite.id, { status: "accepted", accepted_at: now.toISOString() });
    await tx.audit.append({
      orgId: invite.org_id, actor: { type: "user", id: user.id, display: user.email }, action: "invite.accepted",
      target: { type: "invite", id: invite.id }, workspaceId: null, outcome: "success", reason: null,
      requestId: meta.requestId, ip: meta.ip, userAgent: meta.userAgent, changes: { user_id: user.id, role: user.role },
    }, now);
    return user;
  });
}
