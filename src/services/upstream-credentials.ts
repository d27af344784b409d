import { seal } from "../core/crypto.js";
import type { UpstreamCredential } from "../core/domain.js";
import { notFound } from "../core/errors.js";
import { loadWorkspace, requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

/** The additional data bound into a credential's sealed box. */
export function credentialContext(orgId: string, workspaceId: string | null): string {
  return `upstream:${orgId}:${workspaceId ?? "default"}`;
}

/** A display hint of an upstream key: its first 12 and last 4 characters. */
export function upstreamHint(apiKey: string): string {
  return apiKey.length > 20 ? `${apiKey.slice(0, 12)}...${apiKey.slice(-4)}` : "...";
}

/**
 * Stores the organization's default (workspaceId null) or a workspace's upstream credential,
 * encrypted. Write-only: nothing ever returns the key, only a hint.
 */
export async function setUpstreamCredential(deps: ServiceDeps, ctx: Ctx, workspaceId: string | null, apiKey: string): Promise<UpstreamCredential> {
  requireOrgPermission(ctx, "upstream_credentials:write");
  return deps.store.transaction(async (tx) => {
    if (workspaceId !== null) await loadWorkspace(tx, ctx, workspaceId, "workspaces:read");
    const now = deps.clock.now().toISOString();
    const existing = await tx.upstreamCredentials.get(ctx.principal.orgId, workspaceId);
    const credential: UpstreamCredential = {
      org_id: ctx.principal.orgId, workspace_id: workspaceId, ciphertext: seal(deps.encryptionKey, apiKey, credentialContext(ctx.principal.orgId, workspaceId)),
      hint: upstreamHint(apiKey), created_at: existing?.created_at ?? now, updated_at: now,
    };
    await tx.upstreamCredentials.upsert(credential);
    await tx.audit.append(auditEvent(ctx, "upstream_credential.set", { type: "upstream_credential", id: workspaceId ?? "default" }, workspaceId, { hint: credential.hint, replaced: existing !== null }), deps.clock.now());
    return credential;
  });
}

export async function getUpstreamCredential(deps: ServiceDeps, ctx: Ctx, workspaceId: string | null): Promise<UpstreamCredential | null> {
  requireOrgPermission(ctx, "upstream_credentials:read");
  if (workspaceId !== null) await loadWorkspace(deps.store, ctx, workspaceId, "workspaces:read");
  return deps.store.upstreamCredentials.get(ctx.principal.orgId, workspaceId);
}

export async function deleteUpstreamCredential(deps: ServiceDeps, ctx: Ctx, workspaceId: string | null): Promise<void> {
  requireOrgPermission(ctx, "upstream_credentials:write");
  await deps.store.transaction(async (tx) => {
    if (workspaceId !== null) await loadWorkspace(tx, ctx, workspaceId, "workspaces:read");
    if (!(await tx.upstreamCredentials.remove(ctx.principal.orgId, workspaceId))) throw notFound("upstream credential", workspaceId ?? "default");
    await tx.audit.append(auditEvent(ctx, "upstream_credential.deleted", { type: "upstream_credential", id: workspaceId ?? "default" }, workspaceId), deps.clock.now());
  });
}
