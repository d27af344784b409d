import type { ApiKey } from "./domain.js";

/** Rotation policy of a workspace: maximum key age and what happens once a key is older. */
export interface RotationPolicy {
  max_key_age_days: number;
  action: "notify" | "disable";
}

export const DEFAULT_ROTATION_POLICY: RotationPolicy = { max_key_age_days: 90, action: "notify" };
/** Warnings before a key expires or its rotation falls due, in days. */
export const WARNING_DAYS: readonly number[] = [14, 7, 1];
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;
const DAY_MS = 86_400_000;

export type RotationStatus = "ok" | "due_soon" | "overdue";

/** When a key's rotation falls due: its creation plus the policy's maximum age. */
export function rotationDueAt(key: Pick<ApiKey, "created_at">, policy: RotationPolicy): Date {
  return new Date(Date.parse(key.created_at) + policy.max_key_age_days * DAY_MS);
}

/** `overdue` past the due date, `due_soon` within the first warning window, else `ok`. */
export function rotationStatus(key: Pick<ApiKey, "created_at">, policy: RotationPolicy, now: Date): RotationStatus {
  const due = rotationDueAt(key, policy).getTime();
  if (now.getTime() >= due) return "overdue";
  if (due - now.getTime() <= (WARNING_DAYS[0] ?? 14) * DAY_MS) return "due_soon";
  return "ok";
}

/**
 * The warning window `now` falls in before `deadline`: the smallest of `WARNING_DAYS` that is at
 * least the time left, or null when the deadline is further away or already past.
 */
export function warningWindow(deadline: Date, now: Date, days: readonly number[] = WARNING_DAYS): number | null {
  const left = deadline.getTime() - now.getTime();
  if (left <= 0) return null;
  const candidates = days.filter((d) => left <= d * DAY_MS);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

export type RotateDecision =
  | { ok: true; oldExpiresAt: Date; expireOlder: string | null }
  | { ok: false; code: "validation_failed" | "key_already_rotated" | "invalid_state_transition"; reason: string };

/**
 * Rolling a key with a grace period: the new key works at once; the old one until now + grace and
 * never after. A key that was already replaced cannot be rolled again (roll its successor). When
 * the key is itself still inside the grace of a predecessor, that predecessor expires now, so no
 * more than two secrets are ever live (K6).
 */
export function decideRotate(
  key: Pick<ApiKey, "status" | "expires_at" | "rotated_to">,
  predecessor: Pick<ApiKey, "id" | "status" | "expires_at"> | null,
  graceSeconds: number,
  now: Date,
): RotateDecision {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
    return { ok: false, code: "validation_failed", reason: `grace_period_seconds must be an integer from 0 to ${MAX_GRACE_SECONDS}` };
  }
  if (key.rotated_to !== null) return { ok: false, code: "key_already_rotated", reason: `this key was already rotated to ${key.rotated_to}; rotate that key instead` };
  if (key.status !== "active") return { ok: false, code: "invalid_state_transition", reason: `only an active key can be rotated (this one is ${key.status})` };
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return { ok: false, code: "invalid_state_transition", reason: "an expired key cannot be rotated" };
  let oldExpiresAt = new Date(now.getTime() + graceSeconds * 1000);
  // The old key never outlives its own expiry.
  if (key.expires_at !== null && Date.parse(key.expires_at) < oldExpiresAt.getTime()) oldExpiresAt = new Date(key.expires_at);
  const predecessorLive = predecessor !== null && predecessor.status === "active"
    && (predecessor.expires_at === null || Date.parse(predecessor.expires_at) > now.getTime());
  return { ok: true, oldExpiresAt, expireOlder: predecessorLive ? predecessor.id : null };
}

/** A notice the key-lifecycle job sends once (`fireKey` names it); `disable` also makes the key inactive. */
export type KeyNotice =
  | { kind: "expiring"; fireKey: string; days: number; at: string }
  | { kind: "rotation_due"; fireKey: string; days: number; at: string }
  | { kind: "rotation_overdue"; fireKey: string; at: string; disable: boolean };

/**
 * What an active key is owed now: an expiry warning in the 14 / 7 / 1-day windows before
 * `expires_at`; a rotation warning in the same windows before its rotation falls due, or once
 * overdue a notice (and, under a `disable` policy, disabling). Expired keys are owed nothing; a
 * key already replaced by a rotation or expiring before its rotation falls due needs no rotation.
 */
export function decideKeyNotices(key: Pick<ApiKey, "id" | "created_at" | "expires_at" | "rotated_to">, policy: RotationPolicy, now: Date): KeyNotice[] {
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return [];
  const out: KeyNotice[] = [];
  if (key.expires_at !== null && key.rotated_to === null) {
    const days = warningWindow(new Date(key.expires_at), now);
    if (days !== null) out.push({ kind: "expiring", fireKey: `expiry:${key.id}:${key.expires_at}:${days}`, days, at: key.expires_at });
  }
  if (key.rotated_to !== null) return out;
  const due = rotationDueAt(key, policy);
  if (key.expires_at !== null && Date.parse(key.expires_at) <= due.getTime()) return out;
  const days = warningWindow(due, now);
  if (days !== null) out.push({ kind: "rotation_due", fireKey: `rotation_due:${key.id}:${days}`, days, at: due.toISOString() });
  else if (now.getTime() >= due.getTime()) out.push({ kind: "rotation_overdue", fireKey: `rotation_overdue:${key.id}`, at: due.toISOString(), disable: policy.action === "disable" });
  return out;
}
