/**
 * The data plane's decisions about one request, as pure functions: may this key be used now, from
 * here, for this model; which limits apply; what the admission plan (buckets to take from, spend
 * counters to reserve against, worst-case amount) is. The gateway service applies them.
 */
import { isCidrMatch } from "./cidr.js";
import { type ApiKey, type SpendLimit, effectiveKeyStatus } from "./domain.js";
import { type BucketCheck, RATE_LIMIT_TYPES, type RateLimits, type SpendCheck, type SpendPeriod, centsToMicros, periodWindow } from "./limits.js";
import type { AdmissionPlan } from "./ports.js";
import { type ModelPrice, nanosToMicros, worstCaseNanos } from "./pricing.js";

export type KeyUseDecision = { ok: true } | { ok: false; reason: "expired" | "revoked" | "wrong_workspace" };

/** A key may be used while active, unexpired, in an unarchived workspace, and (if named) that workspace. */
export function decideKeyUse(key: Pick<ApiKey, "status" | "expires_at" | "workspace_id">, workspaceArchivedAt: string | null, workspaceHeader: string | undefined, now: Date): KeyUseDecision {
  const status = effectiveKeyStatus(key, now);
  if (status === "expired") return { ok: false, reason: "expired" };
  if (status !== "active" || workspaceArchivedAt !== null) return { ok: false, reason: "revoked" };
  if (workspaceHeader !== undefined && workspaceHeader !== key.workspace_id) return { ok: false, reason: "wrong_workspace" };
  return { ok: true };
}

export function modelAllowed(key: Pick<ApiKey, "allowed_models">, model: string): boolean {
  return key.allowed_models === null || key.allowed_models.length === 0 || key.allowed_models.includes(model);
}

/** True when the key has no network restriction or `ip` lies in one of its blocks. */
export function sourceAllowed(key: Pick<ApiKey, "allowed_cidrs">, ip: string | null): boolean {
  if (key.allowed_cidrs === null || key.allowed_cidrs.length === 0) return true;
  return ip !== null && key.allowed_cidrs.some((c) => isCidrMatch(c, ip));
}

/** Spend limits (with an amount) above a key: its own, its owner's, its workspace's, the organization's. */
export function applicableSpendLimits(limits: readonly SpendLimit[], key: Pick<ApiKey, "id" | "workspace_id" | "owner_user_id">): SpendLimit[] {
  return limits.filter((l) => l.amount_cents !== null && (
    l.scope_type === "organization"
    || (l.scope_type === "workspace" && l.scope_id === key.workspace_id)
    || (l.scope_type === "api_key" && l.scope_id === key.id)
    || (l.scope_type === "user" && key.owner_user_id !== null && l.scope_id === key.owner_user_id)));
}

/** Input tokens a request is expected to use, for the input-token buckets: about 4 bytes a token. */
export function estimateInputTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}

export interface AdmissionInput {
  orgId: string;
  workspaceId: string;
  keyId: string;
  rate: { api_key: RateLimits; workspace: RateLimits; organization: RateLimits };
  spendLimits: readonly SpendLimit[];
  price: ModelPrice;
  request: { bodyBytes: number; maxTokens: number; speed?: string | undefined; inferenceGeo?: string | undefined };
  now: Date;
}

/**
 * The parts of admission plans that depend only on a key's policy and the current spend windows:
 * counter identities, capacities and limits. Valid until `validUntilMs` (the first window end), so
 * a gateway builds it once per policy and window instead of once per request.
 */
export interface AdmissionFrame {
  buckets: readonly Omit<BucketCheck, "cost">[];
  spend: readonly { check: SpendCheck; windowStart: string }[];
  /** The frame holds for instants in [validFromMs, validUntilMs): the latest window start, the first window end. */
  validFromMs: number;
  validUntilMs: number;
}

export function frameHolds(frame: AdmissionFrame, nowMs: number): boolean {
  return nowMs >= frame.validFromMs && nowMs < frame.validUntilMs;
}

export function admissionFrame(a: Omit<AdmissionInput, "price" | "request">): AdmissionFrame {
  const buckets: Omit<BucketCheck, "cost">[] = [];
  for (const [level, id, limits] of [["api_key", a.keyId, a.rate.api_key], ["workspace", a.workspaceId, a.rate.workspace], ["organization", a.orgId, a.rate.organization]] as const) {
    for (const type of RATE_LIMIT_TYPES) {
      const capacity = limits[type];
      if (capacity !== undefined) buckets.push({ id: `rl:${level}:${id}:${type}`, capacity, level, type });
    }
  }
  let validFromMs = Number.NEGATIVE_INFINITY;
  let validUntilMs = Number.POSITIVE_INFINITY;
  const spend = a.spendLimits.map((l) => {
    const period = l.period as SpendPeriod;
    const window = periodWindow(period, a.now);
    validFromMs = Math.max(validFromMs, window.start.getTime());
    validUntilMs = Math.min(validUntilMs, window.end.getTime());
    const windowStart = window.start.toISOString();
    const scopeId = l.scope_id ?? a.orgId;
    const check: SpendCheck = {
      id: `spend:${a.orgId}:${l.scope_type}:${scopeId}:${period}:${windowStart}`,
      scope: { type: l.scope_type, id: scopeId }, period, limitMicros: centsToMicros(l.amount_cents ?? 0),
    };
    return { check, windowStart };
  });
  return { buckets, spend, validFromMs, validUntilMs };
}

/**
 * The admission plan of a request: one bucket per configured limit type and level (requests cost
 * 1, input tokens the estimate, output tokens `max_tokens`), one spend counter per applicable
 * limit in its current calendar window, and the worst-case cost to reserve.
 */
export function planFromFrame(frame: AdmissionFrame, price: ModelPrice, request: AdmissionInput["request"], nowMs: number): AdmissionPlan {
  const inputCost = estimateInputTokens(request.bodyBytes);
  const buckets: BucketCheck[] = new Array<BucketCheck>(frame.buckets.length);
  for (let i = 0; i < frame.buckets.length; i++) {
    const b = frame.buckets[i] as Omit<BucketCheck, "cost">;
    const cost = b.type === "requests_per_minute" ? 1 : b.type === "input_tokens_per_minute" ? inputCost : request.maxTokens;
    buckets[i] = { id: b.id, capacity: b.capacity, cost, level: b.level, type: b.type };
  }
  const reserveMicros = nanosToMicros(worstCaseNanos(price, request.bodyBytes, request.maxTokens, request));
  return { nowMs, buckets, spend: frame.spend, reserveMicros };
}

export function planAdmission(a: AdmissionInput): AdmissionPlan {
  return planFromFrame(admissionFrame(a), a.price, a.request, a.now.getTime());
}
