/**
 * Pure limit decisions: token buckets for requests/tokens per minute and spend reservations per
 * calendar window. Adapters (memory, Redis) hold the state and apply the decisions atomically.
 */

export const RATE_LIMIT_TYPES = ["requests_per_minute", "input_tokens_per_minute", "output_tokens_per_minute"] as const;
export type RateLimitType = (typeof RATE_LIMIT_TYPES)[number];
export type RateLimits = Partial<Record<RateLimitType, number>>;

/** Key tiers 1–4: default per-key limits (requests / input tokens / output tokens per minute). */
export const TIER_LIMITS: Readonly<Record<number, Required<RateLimits>>> = {
  1: { requests_per_minute: 50, input_tokens_per_minute: 30_000, output_tokens_per_minute: 8_000 },
  2: { requests_per_minute: 1_000, input_tokens_per_minute: 450_000, output_tokens_per_minute: 90_000 },
  3: { requests_per_minute: 2_000, input_tokens_per_minute: 800_000, output_tokens_per_minute: 160_000 },
  4: { requests_per_minute: 4_000, input_tokens_per_minute: 2_000_000, output_tokens_per_minute: 400_000 },
};

export interface Bucket {
  /** Tokens available (may be fractional: refill is continuous). */
  tokens: number;
  updatedMs: number;
}

export interface BucketCheck {
  /** Counter identity, e.g. `rl:key:apikey_…:output_tokens_per_minute`. */
  id: string;
  /** Capacity = the per-minute limit; refills capacity/60,000 per ms. */
  capacity: number;
  cost: number;
  /** For messages and headers: which level and limit type this is. */
  level: "api_key" | "workspace" | "organization";
  type: RateLimitType;
}

export function refill(bucket: Bucket | undefined, capacity: number, nowMs: number): Bucket {
  if (!bucket) return { tokens: capacity, updatedMs: nowMs };
  const elapsed = Math.max(0, nowMs - bucket.updatedMs);
  return { tokens: Math.min(capacity, bucket.tokens + (elapsed * capacity) / 60_000), updatedMs: nowMs };
}

export type BucketDecision =
  | { kind: "allow"; next: Bucket[] }
  | { kind: "deny"; check: BucketCheck; retryAfterMs: number; remaining: number };

/**
 * All-or-nothing admission over several buckets: the request must fit every one; a denied request
 * takes nothing from any. A cost above a bucket's capacity is clamped to the capacity (the request
 * then needs a full bucket). On admission, `next[i]` is the new state of `checks[i]`'s bucket.
 */
export function decideBuckets(checks: readonly BucketCheck[], state: (id: string) => Bucket | undefined, nowMs: number): BucketDecision {
  const next = new Array<Bucket>(checks.length);
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i] as BucketCheck;
    const b = refill(earlier(checks, next, i) ?? state(c.id), c.capacity, nowMs);
    const cost = Math.min(c.cost, c.capacity);
    if (b.tokens < cost) {
      const retryAfterMs = Math.ceil(((cost - b.tokens) * 60_000) / c.capacity);
      return { kind: "deny", check: c, retryAfterMs: Math.max(1, retryAfterMs), remaining: Math.floor(b.tokens) };
    }
    next[i] = { tokens: b.tokens - cost, updatedMs: nowMs };
  }
  return { kind: "allow", next };
}

/** The state already decided for the same bucket earlier in the list (a bucket checked twice). */
function earlier(checks: readonly BucketCheck[], next: Bucket[], i: number): Bucket | undefined {
  const id = (checks[i] as BucketCheck).id;
  for (let j = i - 1; j >= 0; j--) if ((checks[j] as BucketCheck).id === id) return next[j];
  return undefined;
}

/** Returns `amount` tokens to a bucket (e.g. unused reserved output tokens), never above capacity. */
export function refund(bucket: Bucket | undefined, capacity: number, amount: number, nowMs: number): Bucket {
  const b = refill(bucket, capacity, nowMs);
  return { tokens: Math.min(capacity, b.tokens + Math.max(0, amount)), updatedMs: nowMs };
}

export const SPEND_PERIODS = ["daily", "weekly", "monthly"] as const;
export type SpendPeriod = (typeof SPEND_PERIODS)[number];
export type SpendScopeType = "organization" | "workspace" | "user" | "api_key";

/** The calendar window (UTC) of `period` containing `now`: days, ISO weeks (Monday), months. */
export function periodWindow(period: SpendPeriod, now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  if (period === "daily") return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
  if (period === "monthly") return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  const sinceMonday = (now.getUTCDay() + 6) % 7;
  return { start: new Date(Date.UTC(y, m, d - sinceMonday)), end: new Date(Date.UTC(y, m, d - sinceMonday + 7)) };
}

/** One spend counter a request is checked against. */
export interface SpendCheck {
  /** Counter identity: scope, period and window start. */
  id: string;
  scope: { type: SpendScopeType; id: string };
  period: SpendPeriod;
  limitMicros: number;
}

export interface SpendCounter {
  spentMicros: number;
  reservedMicros: number;
}

export type SpendDecision = { kind: "allow" } | { kind: "deny"; check: SpendCheck; availableMicros: number };

/**
 * Strict reservation: admitted only if, at every level, spent + reserved + the request's worst
 * case stays within the limit. Overshoot is therefore 0 as long as actual ≤ worst case.
 */
export function decideSpend(checks: readonly SpendCheck[], counter: (id: string) => SpendCounter, reserveMicros: number): SpendDecision {
  for (const c of checks) {
    const s = counter(c.id);
    const available = c.limitMicros - s.spentMicros - s.reservedMicros;
    if (reserveMicros > available) return { kind: "deny", check: c, availableMicros: Math.max(0, available) };
  }
  return { kind: "allow" };
}

/** Cents (the API's unit for spend limits) → micro-USD. */
export function centsToMicros(cents: number): number {
  return cents * 10_000;
}

/** Micro-USD → a cents decimal string with up to 4 decimals (`12050.5`), as Anthropic reports spend. */
export function microsToCentsString(micros: number): string {
  const whole = Math.floor(micros / 10_000);
  const frac = micros % 10_000;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(4, "0").replace(/0+$/, "")}`;
}

/** The human name of a spend scope in a refusal message. */
export function scopeLabel(type: SpendScopeType): string {
  return type === "api_key" ? "API key" : type === "organization" ? "organization" : type;
}
