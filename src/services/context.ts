import type { AuditAction, AuditEventInput } from "../core/audit.js";
import type { NameRule } from "../core/names.js";
import type { Clock, Store } from "../core/ports.js";
import type { Principal } from "../core/rbac.js";

/** What every service needs. Built once by the composition root. */
export interface ServiceDeps {
  store: Store;
  clock: Clock;
  /** HMAC key for key hashes (the pepper); never stored in the database. */
  hashKey: Buffer;
  /** AES-256-GCM key for secrets at rest (upstream credentials). */
  encryptionKey: Buffer;
  nameRule: NameRule;
}

/** Who is calling and from where; every audit event carries it. */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

export interface Ctx extends RequestMeta {
  principal: Principal;
}

/** Builds an audit event for a successful mutation by the caller in `ctx`. */
export function auditEvent(
  ctx: Ctx,
  action: AuditAction,
  target: { type: string; id: string },
  workspaceId: string | null,
  changes: Record<string, unknown> | null = null,
): AuditEventInput {
  return {
    orgId: ctx.principal.orgId,
    actor: { type: ctx.principal.actor.type, id: ctx.principal.actor.id, display: ctx.principal.actor.display },
    action,
    target,
    workspaceId,
    outcome: "success",
    reason: null,
    requestId: ctx.requestId,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    changes,
  };
}

/** Only the fields that differ, as `{field: {before, after}}`. */
export function diff<T extends object>(before: T, after: { [K in keyof T]?: T[K] | undefined }): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const [k, v] of Object.entries(after)) {
    const prev = (before as Record<string, unknown>)[k];
    if (v !== undefined && JSON.stringify(prev) !== JSON.stringify(v)) out[k] = { before: prev, after: v };
  }
  return out;
}
