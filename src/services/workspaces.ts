import type { PageRequest, PageResult, Workspace } from "../core/domain.js";
import { newId } from "../core/ids.js";
import { DEFAULT_ROTATION_POLICY, type RotationPolicy } from "../core/rotation.js";
import { workspacesWith } from "../core/rbac.js";
import { loadWorkspace, requireActiveWorkspace, requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent, diff } from "./context.js";

export const DEFAULT_ENVIRONMENT = "development";
const DEFAULT_COLOR = "#6C5BB9";

export interface WorkspaceInput {
  name: string;
  environment?: string | undefined;
  display_color?: string | undefined;
  tags?: Record<string, string> | undefined;
  rotation_policy?: Partial<RotationPolicy> | undefined;
}

export async function createWorkspace(deps: ServiceDeps, ctx: Ctx, input: WorkspaceInput): Promise<Workspace> {
  requireOrgPermission(ctx, "workspaces:create");
  const now = deps.clock.now();
  const ws: Workspace = {
    id: newId("workspace", now.getTime()), org_id: ctx.principal.orgId, name: input.name.trim(),
    environment: input.environment ?? DEFAULT_ENVIRONMENT, display_color: input.display_color ?? DEFAULT_COLOR,
    tags: input.tags ?? {}, created_at: now.toISOString(), archived_at: null, rotation_max_age_days: input.rotation_policy?.max_key_age_days ?? DEFAULT_ROTATION_POLICY.max_key_age_days,
    rotation_action: input.rotation_policy?.action ?? DEFAULT_ROTATION_POLICY.action,
  };
  return deps.store.transaction(async (tx) => {
    await tx.workspaces.insert(ws);
    await tx.audit.append(auditEvent(ctx, "workspace.created", { type: "workspace", id: ws.id }, ws.id, {
      name: ws.name, environment: ws.environment, rotation_policy: rotationPolicyOf(ws),
    }), now);
    return ws;
  });
}

export async function listWorkspaces(deps: ServiceDeps, ctx: Ctx, filter: { includeArchived: boolean; ids?: string[] | undefined }, page: PageRequest): Promise<PageResult<Workspace>> {
  return deps.store.workspaces.list(ctx.principal.orgId, { ...filter, visible: workspacesWith(ctx.principal, "workspaces:read") }, page);
}

export function getWorkspace(deps: ServiceDeps, ctx: Ctx, id: string): Promise<Workspace> {
  return loadWorkspace(deps.store, ctx, id, "workspaces:read");
}

export async function updateWorkspace(deps: ServiceDeps, ctx: Ctx, id: string, patch: Omit<WorkspaceInput, "name" | "environment"> & { name?: string | undefined }): Promise<Workspace> {
  return deps.store.transaction(async (tx) => {
    const ws = await loadWorkspace(tx, ctx, id, "workspaces:update");
    requireActiveWorkspace(ws);
    const next: Partial<Workspace> = {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.display_color !== undefined ? { display_color: patch.display_color } : {}),
      ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
      ...(patch.rotation_policy?.max_key_age_days !== undefined ? { rotation_max_age_days: patch.rotation_policy.max_key_age_days } : {}),
      ...(patch.rotation_policy?.action !== undefined ? { rotation_action: patch.rotation_policy.action } : {}),
    };
    const changes = diff(ws, next);
    if (Object.keys(changes).length === 0) return ws;
    await tx.workspaces.update(ctx.principal.orgId, id, next);
    await tx.audit.append(auditEvent(ctx, "workspace.updated", { type: "workspace", id }, id, changes), deps.clock.now());
    return { ...ws, ...next };
  });
}

/** Archives a workspace and, in the same transaction, archives every key in it (each audited). */
export async function archiveWorkspace(deps: ServiceDeps, ctx: Ctx, id: string): Promise<Workspace> {
  return deps.store.transaction(async (tx) => {
    const ws = await loadWorkspace(tx, ctx, id, "workspaces:archive");
    if (ws.archived_at !== null) return ws;
    const now = deps.clock.now();
    const keys = await tx.apiKeys.listActiveInWorkspace(ctx.principal.orgId, id);
    await tx.workspaces.update(ctx.principal.orgId, id, { archived_at: now.toISOString() });
    await tx.audit.append(auditEvent(ctx, "workspace.archived", { type: "workspace", id }, id, { keys_archived: keys.length }), now);
    for (const key of keys) {
      await tx.apiKeys.update(ctx.principal.orgId, key.id, { status: "archived" });
      await tx.audit.append({ ...auditEvent(ctx, "api_key.archived", { type: "api_key", id: key.id }, id, { status: { before: key.status, after: "archived" } }), reason: "workspace_archived" }, now);
    }
    return { ...ws, archived_at: now.toISOString() };
  });
}

export function rotationPolicyOf(ws: Pick<Workspace, "rotation_max_age_days" | "rotation_action">): RotationPolicy {
  return { max_key_age_days: ws.rotation_max_age_days, action: ws.rotation_action };
}
