import { DomainError, forbidden, notFound } from "../core/errors.js";
import type { Workspace } from "../core/domain.js";
import { checkDescriptiveName } from "../core/names.js";
import { type Permission, decideWorkspaceAccess, hasOrgPermission } from "../core/rbac.js";
import type { Repos } from "../core/ports.js";
import type { Ctx, ServiceDeps } from "./context.js";

/** Applies an access decision on an object in a workspace: 404 if invisible, 403 if read-only. */
export function requireWorkspaceAccess(ctx: Ctx, permission: Permission, readPermission: Permission, workspaceId: string, what: string, id: string): void {
  const decision = decideWorkspaceAccess(ctx.principal, permission, readPermission, workspaceId);
  if (decision.kind === "not_found") throw notFound(what, id);
  if (decision.kind === "forbidden") throw forbidden(permission);
}

export function requireOrgPermission(ctx: Ctx, permission: Permission): void {
  if (!hasOrgPermission(ctx.principal, permission)) throw forbidden(permission);
}

/** Loads a workspace of the caller's organization that the caller may at least read. */
export async function loadWorkspace(repos: Repos, ctx: Ctx, id: string, permission: Permission, readPermission: Permission = "workspaces:read"): Promise<Workspace> {
  const ws = await repos.workspaces.get(ctx.principal.orgId, id);
  if (!ws) throw notFound("workspace", id);
  requireWorkspaceAccess(ctx, permission, readPermission, ws.id, "workspace", id);
  return ws;
}

export function requireActiveWorkspace(ws: Workspace): void {
  if (ws.archived_at !== null) throw new DomainError("invalid_request", `workspace ${JSON.stringify(ws.id)} is archived`);
}

/** Applies the descriptive-name rule to a key name (API and admin keys alike). */
export function requireDescriptiveName(deps: Pick<ServiceDeps, "nameRule">, name: string): void {
  const check = checkDescriptiveName(name, deps.nameRule);
  if (!check.ok) throw new DomainError("name_not_descriptive", check.reason, { details: { error_code: "name_not_descriptive" } });
}
