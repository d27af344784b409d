import type { PageRequest, PageResult, WorkspaceMember } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import type { WorkspaceRole } from "../core/rbac.js";
import { loadWorkspace, requireActiveWorkspace } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

function refuseBilling(role: WorkspaceRole): void {
  if (role === "workspace_billing") throw new DomainError("invalid_request", "workspace_billing is inherited from the billing org role and cannot be assigned");
}

export async function addMember(deps: ServiceDeps, ctx: Ctx, workspaceId: string, input: { user_id: string; workspace_role: WorkspaceRole }): Promise<WorkspaceMember> {
  refuseBilling(input.workspace_role);
  return deps.store.transaction(async (tx) => {
    const ws = await loadWorkspace(tx, ctx, workspaceId, "members:write", "members:read");
    requireActiveWorkspace(ws);
    const user = await tx.users.get(ctx.principal.orgId, input.user_id);
    if (!user || user.status !== "active") throw notFound("user", input.user_id);
    if (await tx.members.get(ctx.principal.orgId, workspaceId, input.user_id)) {
      throw new DomainError("already_member", `user ${JSON.stringify(input.user_id)} is already a member of this workspace`, { details: { error_code: "already_member" } });
    }
    const now = deps.clock.now();
    const member: WorkspaceMember = { org_id: ctx.principal.orgId, workspace_id: workspaceId, user_id: input.user_id, workspace_role: input.workspace_role, created_at: now.toISOString() };
    await tx.members.insert(member);
    await tx.audit.append(auditEvent(ctx, "workspace_member.added", { type: "user", id: input.user_id }, workspaceId, { workspace_role: input.workspace_role }), now);
    return member;
  });
}

export async function listMembers(deps: ServiceDeps, ctx: Ctx, workspaceId: string, page: PageRequest): Promise<PageResult<WorkspaceMember>> {
  await loadWorkspace(deps.store, ctx, workspaceId, "members:read", "members:read");
  return deps.store.members.list(ctx.principal.orgId, workspaceId, page);
}

export async function getMember(deps: ServiceDeps, ctx: Ctx, workspaceId: string, userId: string): Promise<WorkspaceMember> {
  await loadWorkspace(deps.store, ctx, workspaceId, "members:read", "members:read");
  const m = await deps.store.members.get(ctx.principal.orgId, workspaceId, userId);
  if (!m) throw notFound("workspace member", userId);
  return m;
}

export async function updateMember(deps: ServiceDeps, ctx: Ctx, workspaceId: string, userId: string, role: WorkspaceRole): Promise<WorkspaceMember> {
  refuseBilling(role);
  return deps.store.transaction(async (tx) => {
    await loadWorkspace(tx, ctx, workspaceId, "members:write", "members:read");
    const m = await tx.members.get(ctx.principal.orgId, workspaceId, userId);
    if (!m) throw notFound("workspace member", userId);
    if (m.workspace_role === role) return m;
    await tx.members.update(ctx.principal.orgId, workspaceId, userId, role);
    await tx.audit.append(auditEvent(ctx, "workspace_member.updated", { type: "user", id: userId }, workspaceId, { workspace_role: { before: m.workspace_role, after: role } }), deps.clock.now());
    return { ...m, workspace_role: role };
  });
}

export async function removeMember(deps: ServiceDeps, ctx: Ctx, workspaceId: string, userId: string): Promise<{ type: "workspace_member_deleted"; user_id: string; workspace_id: string }> {
  return deps.store.transaction(async (tx) => {
    await loadWorkspace(tx, ctx, workspaceId, "members:write", "members:read");
    const m = await tx.members.get(ctx.principal.orgId, workspaceId, userId);
    if (!m) throw notFound("workspace member", userId);
    await tx.members.remove(ctx.principal.orgId, workspaceId, userId);
    await tx.audit.append(auditEvent(ctx, "workspace_member.removed", { type: "user", id: userId }, workspaceId, { workspace_role: m.workspace_role }), deps.clock.now());
    return { type: "workspace_member_deleted" as const, user_id: userId, workspace_id: workspaceId };
  });
}
