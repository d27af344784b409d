import { createHash } from "node:crypto";

/** The closed catalog of audit actions. */
export const AUDIT_ACTIONS = [
  "organization.created",
  "user.created",
  "user.updated",
  "user.deleted",
  "invite.created",
  "invite.deleted",
  "invite.accepted",
  "workspace.created",
  "workspace.updated",
  "workspace.archived",
  "workspace_member.added",
  "workspace_member.updated",
  "workspace_member.removed",
  "api_key.created",
  "api_key.updated",
  "api_key.archived",
  "admin_key.created",
  "admin_key.revoked",
  "auth.failed",
  "organization.updated",
  "spend_limit.set",
  "spend_limit.deleted",
  "rate_limit.updated",
  "upstream_credential.set",
  "upstream_credential.deleted",
  "api_key.rotated",
  "api_key.rotation_completed",
  "api_key.disabled",
  "user.offboarded",
  "user.reactivated",
  "alert_rule.created",
  "alert_rule.updated",
  "alert_rule.deleted",
  "scim_token.created",
  "scim_token.revoked",
  "scim_group.created",
  "scim_group.updated",
  "scim_group.deleted",
  "spend_limit_increase_request.created",
  "spend_limit_increase_request.approved",
  "spend_limit_increase_request.denied",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type ActorType = "admin_key" | "user" | "system" | "anonymous" | "api_key" | "scim_token";

/** One audit event as the services hand it to the store (no sequence or hash yet). */
export interface AuditEventInput {
  orgId: string | null;
  actor: { type: ActorType; id: string | null; display: string | null };
  action: AuditAction;
  target: { type: string; id: string | null };
  workspaceId: string | null;
  outcome: "success" | "denied" | "error";
  reason: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Before/after values; never secrets. */
  changes: Record<string, unknown> | null;
}

/** An event as stored: chained by `prev_hash` → `hash`. */
export interface AuditEvent {
  seq: number;
  id: string;
  ts: string;
  org_id: string | null;
  actor_type: string;
  actor_id: string | null;
  actor_display: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  workspace_id: string | null;
  outcome: string;
  reason: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  changes: string | null;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** Raised by an audit sink that cannot take an event: the surrounding mutation must fail (A3). */
export class AuditWriteError extends Error {
  constructor(cause: unknown) {
    super("audit write failed", { cause });
    this.name = "AuditWriteError";
  }
}

const HASHED_FIELDS = [
  "seq", "id", "ts", "org_id", "actor_type", "actor_id", "actor_display", "action", "target_type", "target_id",
  "workspace_id", "outcome", "reason", "request_id", "ip", "user_agent", "changes", "prev_hash",
] as const;

/** SHA-256 over the canonical JSON array of every field but `hash`, in a fixed order. */
export function eventHash(event: Omit<AuditEvent, "hash">): string {
  const canonical = JSON.stringify(HASHED_FIELDS.map((f) => event[f] ?? null));
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

export type ChainVerdict =
  | { ok: true; count: number; headSeq: number; headHash: string }
  | { ok: false; count: number; badSeq: number | null; reason: string };

/**
 * Verifies a chain read in ascending `seq` order. Detects edits (hash mismatch), deletions and
 * insertions (seq gap or prev_hash mismatch) and reordering (seq not increasing by one).
 * `expectedHead`, when known (the store's head row), also catches truncation of the tail.
 */
export function verifyChain(events: Iterable<AuditEvent>, expectedHead?: { seq: number; hash: string }): ChainVerdict {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  for (const e of events) {
    count++;
    if (e.seq !== prevSeq + 1) return { ok: false, count, badSeq: e.seq, reason: `sequence jumps from ${prevSeq} to ${e.seq}` };
    if (e.prev_hash !== prevHash) return { ok: false, count, badSeq: e.seq, reason: "prev_hash does not match the previous event" };
    const { hash, ...rest } = e;
    if (eventHash(rest) !== hash) return { ok: false, count, badSeq: e.seq, reason: "event content does not match its hash" };
    prevHash = hash;
    prevSeq = e.seq;
  }
  if (expectedHead && (expectedHead.seq !== prevSeq || expectedHead.hash !== prevHash)) {
    return { ok: false, count, badSeq: prevSeq + 1, reason: `chain ends at ${prevSeq} but the head says ${expectedHead.seq}` };
  }
  return { ok: true, count, headSeq: prevSeq, headHash: prevHash };
}
