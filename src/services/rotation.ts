import type { ApiKey, Workspace } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { ID_PREFIX, idBody } from "../core/ids.js";
import { issueKey, markerForEnvironment } from "../core/keys.js";
import { type RotationStatus, decideRotate, rotationDueAt, rotationStatus } from "../core/rotation.js";
import { requireWorkspaceAccess } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";
import { rotationPolicyOf } from "./workspaces.js";

/**
 * Rolls a key: a new key with the same workspace, owner, settings and per-key limits works at
 * once; the old one keeps working for `graceSeconds` and never after (K6). One audit event.
 */
export async function rotateApiKey(deps: ServiceDeps, ctx: Ctx, id: string, graceSeconds: number): Promise<{ key: ApiKey; secret: string; previous: ApiKey }> {
  return deps.store.transaction(async (tx) => {
    const orgId = ctx.principal.orgId;
    const key = await tx.apiKeys.get(orgId, id);
    if (!key) throw notFound("api key", id);
    requireWorkspaceAccess(ctx, "api_keys:write", "api_keys:read", key.workspace_id, "api key", id);
    const ws = await tx.workspaces.get(orgId, key.workspace_id);
    if (!ws || ws.archived_at !== null) throw new DomainError("invalid_request", "the key's workspace is archived");
    const predecessor = key.rotated_from === null ? null : await tx.apiKeys.get(orgId, key.rotated_from);
    const now = deps.clock.now();
    const decision = decideRotate(key, predecessor, graceSeconds, now);
    if (!decision.ok) throw new DomainError(decision.code, decision.reason, decision.code === "key_already_rotated" ? { details: { error_code: decision.code } } : undefined);
    const generated = issueKey(deps.hashKey, markerForEnvironment(ws.environment), idBody(now.getTime()));
    const next: ApiKey = {
      ...key, id: ID_PREFIX.apiKey + generated.publicId, key_hash: generated.hash, hint: generated.hint,
      created_at: now.toISOString(), created_by_type: ctx.principal.userId !== null ? "user" : "admin_key",
      created_by_id: ctx.principal.userId ?? ctx.principal.actor.id, last_used_at: null, rotated_from: key.id, rotated_to: null, rotated_at: null,
    };
    await tx.apiKeys.insert(next);
    for (const l of (await tx.spendLimits.listAll(orgId)).filter((s) => s.scope_type === "api_key" && s.scope_id === key.id)) {
      await tx.spendLimits.upsert({ ...l, id: `spl_${idBody(now.getTime())}`, scope_id: next.id, created_at: now.toISOString(), updated_at: now.toISOString() });
    }
    for (const r of await tx.rateLimits.list(orgId, "api_key", key.id)) {
      await tx.rateLimits.set(orgId, "api_key", next.id, r.limit_type, r.value, now.toISOString());
    }
    const oldExpiresAt = decision.oldExpiresAt.toISOString();
    await tx.apiKeys.update(orgId, key.id, { expires_at: oldExpiresAt, rotated_to: next.id, rotated_at: now.toISOString() });
    if (decision.expireOlder !== null) await tx.apiKeys.update(orgId, decision.expireOlder, { expires_at: now.toISOString() });
    await tx.audit.append(auditEvent(ctx, "api_key.rotated", { type: "api_key", id: key.id }, key.workspace_id, {
      new_key_id: next.id, new_key_hint: next.hint, grace_period_seconds: graceSeconds, old_key_expires_at: oldExpiresAt,
      ...(decision.expireOlder !== null ? { expired_predecessor: decision.expireOlder } : {}),
    }), now);
    return { key: next, secret: generated.key, previous: { ...key, expires_at: oldExpiresAt, rotated_to: next.id, rotated_at: now.toISOString() } };
  });
}

/** Ends a rotation's grace early, once traffic has moved to the new key: the old key stops now. */
export async function completeRotation(deps: ServiceDeps, ctx: Ctx, id: string): Promise<ApiKey> {
  return deps.store.transaction(async (tx) => {
    const key = await tx.apiKeys.get(ctx.principal.orgId, id);
    if (!key) throw notFound("api key", id);
    requireWorkspaceAccess(ctx, "api_keys:write", "api_keys:read", key.workspace_id, "api key", id);
    const now = deps.clock.now();
    if (key.rotated_to === null) throw new DomainError("invalid_state_transition", "this key has not been rotated; nothing to complete");
    if (key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return key;
    await tx.apiKeys.update(ctx.principal.orgId, id, { expires_at: now.toISOString() });
    await tx.audit.append(auditEvent(ctx, "api_key.rotation_completed", { type: "api_key", id }, key.workspace_id, {
      expires_at: { before: key.expires_at, after: now.toISOString() }, rotated_to: key.rotated_to,
    }), now);
    return { ...key, expires_at: now.toISOString() };
  });
}

export interface RotationInfo {
  rotation_status: RotationStatus;
  rotation_due_at: string;
  /** While the key is in a rotation's grace period: its use since the rotation. */
  grace: { rotated_at: string; ends_at: string | null; requests_since_rotation: number; last_used_at: string | null } | null;
}

/** Rotation state of keys for their objects: status under the workspace policy and grace-period usage. */
export async function rotationInfo(deps: ServiceDeps, orgId: string, keys: readonly ApiKey[]): Promise<Map<string, RotationInfo>> {
  const workspaces = new Map<string, Workspace>((await deps.store.workspaces.listAll(orgId)).map((w) => [w.id, w]));
  const now = deps.clock.now();
  const out = new Map<string, RotationInfo>();
  for (const k of keys) {
    const ws = workspaces.get(k.workspace_id);
    const policy = ws ? rotationPolicyOf(ws) : { max_key_age_days: 90, action: "notify" as const };
    const inGrace = k.rotated_at !== null && (k.expires_at === null || Date.parse(k.expires_at) > now.getTime());
    out.set(k.id, {
      rotation_status: rotationStatus(k, policy, now),
      rotation_due_at: rotationDueAt(k, policy).toISOString(),
      grace: inGrace && k.rotated_at !== null
        ? { rotated_at: k.rotated_at, ends_at: k.expires_at, requests_since_rotation: await deps.store.usage.countRequests(orgId, k.id, k.rotated_at), last_used_at: k.last_used_at }
        : null,
    });
  }
  return out;
}
