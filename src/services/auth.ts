import type { AuditEventInput } from "../core/audit.js";
import { AUTHENTICATION_FAILED_MESSAGE, DomainError } from "../core/errors.js";
import { ID_PREFIX } from "../core/ids.js";
import { keyHint, parseKey, verifyKey } from "../core/keys.js";
import type { Principal, WorkspaceRole } from "../core/rbac.js";
import type { RequestMeta, ServiceDeps } from "./context.js";

/** Credentials as presented on a request: the `x-api-key` header and the `Authorization` header. */
export interface PresentedCredentials {
  xApiKey: string | undefined;
  authorization: string | undefined;
}

/** Why authentication failed; recorded in the audit log, never shown to the caller (K4). */
export type AuthFailure = "missing" | "ambiguous" | "malformed" | "wrong_kind" | "unknown" | "bad_secret" | "revoked" | "user_inactive";

const LAST_USED_RESOLUTION_MS = 60_000;

/** The presented key: `x-api-key`, or the token of `Authorization: Bearer`. Both present and different is ambiguous. */
export function presentedKey(c: PresentedCredentials): { key: string } | { failure: AuthFailure } {
  const bearer = c.authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(c.authorization)?.[1];
  if (c.authorization !== undefined && bearer === undefined) return { failure: "malformed" };
  if (c.xApiKey !== undefined && bearer !== undefined && c.xApiKey !== bearer) return { failure: "ambiguous" };
  const key = c.xApiKey ?? bearer;
  return key === undefined || key.length === 0 ? { failure: "missing" } : { key };
}

/**
 * Authenticates an admin-API credential and resolves the principal from current state, so that
 * role and membership changes apply to the very next request. Every failure is audited and
 * surfaces as the same `authentication_failed` error.
 */
export async function authenticateAdmin(deps: ServiceDeps, credentials: PresentedCredentials, meta: RequestMeta): Promise<Principal> {
  const presented = presentedKey(credentials);
  if ("failure" in presented) return fail(deps, meta, presented.failure, null, null);
  const parsed = parseKey(presented.key);
  if (!parsed) return fail(deps, meta, "malformed", null, null);
  const hint = keyHint(presented.key);
  if (parsed.marker !== "adm") return fail(deps, meta, "wrong_kind", null, hint);
  const key = await deps.store.adminKeys.getForAuth(ID_PREFIX.adminKey + parsed.publicId);
  if (!key) return fail(deps, meta, "unknown", null, hint);
  if (!verifyKey(deps.hashKey, presented.key, key.key_hash)) return fail(deps, meta, "bad_secret", key.org_id, hint);
  if (key.status !== "active") return fail(deps, meta, "revoked", key.org_id, hint, key.id);

  let role = key.role;
  let memberships: Record<string, WorkspaceRole> = {};
  if (key.user_id !== null) {
    const user = await deps.store.users.get(key.org_id, key.user_id);
    if (!user || user.status !== "active") return fail(deps, meta, "user_inactive", key.org_id, hint, key.id);
    role = user.role;
    const rows = await deps.store.members.listForUser(key.org_id, user.id);
    memberships = Object.fromEntries(rows.map((m) => [m.workspace_id, m.workspace_role]));
  }
  const now = deps.clock.now();
  if (lastUsedIsStale(key.last_used_at, now)) await deps.store.adminKeys.update(key.org_id, key.id, { last_used_at: now.toISOString() });
  return {
    orgId: key.org_id,
    role,
    memberships,
    actor: { type: "admin_key", id: key.id, display: key.name },
    userId: key.user_id,
  };
}

/** `last_used_at` is kept to the minute: a credential's use writes at most once a minute. */
export function lastUsedIsStale(lastUsedAt: string | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - Date.parse(lastUsedAt) > LAST_USED_RESOLUTION_MS;
}

function fail(deps: ServiceDeps, meta: RequestMeta, reason: AuthFailure, orgId: string | null, hint: string | null, keyId: string | null = null): Promise<never> {
  return recordAuthFailure(deps, meta, "admin_api", reason, orgId, hint, keyId).then(() => {
    throw new DomainError("authentication_failed", AUTHENTICATION_FAILED_MESSAGE);
  });
}

/**
 * Audits a failed authentication (the reason is recorded, never shown to the caller). An
 * unwritable audit log must not turn a 401 into a 5xx, so a failed write is swallowed here.
 */
export async function recordAuthFailure(deps: ServiceDeps, meta: RequestMeta, surface: "admin_api" | "scim", reason: AuthFailure, orgId: string | null, hint: string | null, keyId: string | null): Promise<void> {
  const event: AuditEventInput = {
    orgId,
    actor: { type: "anonymous", id: keyId, display: hint },
    action: "auth.failed",
    target: { type: surface, id: null },
    workspaceId: null,
    outcome: "denied",
    reason,
    requestId: meta.requestId,
    ip: meta.ip,
    userAgent: meta.userAgent,
    changes: null,
  };
  try {
    await deps.store.transaction((tx) => tx.audit.append(event, deps.clock.now()));
  } catch {
    // The caller is refused either way.
  }
}
