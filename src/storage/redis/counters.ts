import { Redis } from "ioredis";
import type { SpendCheck, SpendCounter } from "../../core/limits.js";
import type { AdmissionPlan, AdmissionResult, AdmissionTicket, CounterStore, Settlement } from "../../core/ports.js";

/**
 * Admission in one atomic script: refill and check every bucket, then check every spend counter
 * (spent + reserved + request ≤ limit), and only if all fit, take from the buckets and reserve.
 * The arithmetic mirrors core/limits (decideBuckets, decideSpend); the shared conformance suite
 * holds both to the same results.
 *
 * KEYS: bucket keys..., spend keys...
 * ARGV: nowMs, reserveMicros, nBuckets, then per bucket (capacity, cost), then per spend (limitMicros, ttlSeconds)
 * Returns: {1} | {2, bucketIndex, retryAfterMs, remaining} | {3, spendIndex, available}
 */
/** Shared by both scripts: the tokens in a bucket at `now`, refilled continuously (core/limits refill). */
const REFILL = `
local function bucket_tokens(key, cap, now)
  local b = redis.call('HMGET', key, 't', 'u')
  if not b[1] then return cap end
  local elapsed = now - tonumber(b[2])
  if elapsed < 0 then elapsed = 0 end
  return math.min(cap, tonumber(b[1]) + elapsed * cap / 60000)
end
`;

const ADMIT = `${REFILL}
local now = tonumber(ARGV[1])
local reserve = tonumber(ARGV[2])
local nb = tonumber(ARGV[3])
local ns = #KEYS - nb
local newTokens = {}
for i = 1, nb do
  local cap = tonumber(ARGV[3 + (i - 1) * 2 + 1])
  local cost = tonumber(ARGV[3 + (i - 1) * 2 + 2])
  if cost > cap then cost = cap end
  local tokens = bucket_tokens(KEYS[i], cap, now)
  if tokens < cost then
    local wait = math.ceil((cost - tokens) * 60000 / cap)
    if wait < 1 then wait = 1 end
    return {2, i, wait, math.floor(tokens)}
  end
  newTokens[i] = tokens - cost
end
local base = 3 + nb * 2
for j = 1, ns do
  local limit = tonumber(ARGV[base + (j - 1) * 2 + 1])
  local s = redis.call('HMGET', KEYS[nb + j], 's', 'r')
  local available = limit - tonumber(s[1] or '0') - tonumber(s[2] or '0')
  if reserve > available then
    if available < 0 then available = 0 end
    return {3, j, available}
  end
end
for i = 1, nb do
  redis.call('HSET', KEYS[i], 't', tostring(newTokens[i]), 'u', tostring(now))
  redis.call('PEXPIRE', KEYS[i], 120000)
end
for j = 1, ns do
  redis.call('HINCRBY', KEYS[nb + j], 'r', reserve)
  redis.call('EXPIRE', KEYS[nb + j], tonumber(ARGV[base + (j - 1) * 2 + 2]))
end
return {1}
`;

/**
 * KEYS: spend keys..., bucket keys...
 * ARGV: nowMs, reserveMicros, costMicros, nSpend, then per bucket (capacity, delta)
 * Spend counters that no longer exist (expired, or Redis restarted) are left absent: the next
 * admission rebuilds them from the ledger.
 */
const SETTLE = `${REFILL}
local now = tonumber(ARGV[1])
local reserve = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local ns = tonumber(ARGV[4])
for j = 1, ns do
  if redis.call('EXISTS', KEYS[j]) == 1 then
    redis.call('HINCRBY', KEYS[j], 'r', -reserve)
    redis.call('HINCRBY', KEYS[j], 's', cost)
  end
end
for i = ns + 1, #KEYS do
  local k = i - ns
  local cap = tonumber(ARGV[4 + (k - 1) * 2 + 1])
  local delta = tonumber(ARGV[4 + (k - 1) * 2 + 2])
  local tokens = bucket_tokens(KEYS[i], cap, now) + delta
  if tokens > cap then tokens = cap end
  if tokens < -cap then tokens = -cap end
  redis.call('HSET', KEYS[i], 't', tostring(tokens), 'u', tostring(now))
  redis.call('PEXPIRE', KEYS[i], 120000)
end
return 1
`;

/** A spend counter lives until its window ends, plus a day. */
function ttlSeconds(check: SpendCheck, windowStart: string, nowMs: number): number {
  const lengths = { daily: 86_400, weekly: 7 * 86_400, monthly: 31 * 86_400 };
  const endMs = Date.parse(windowStart) + lengths[check.period] * 1000;
  return Math.max(60, Math.ceil((endMs - nowMs) / 1000) + 86_400);
}

/** Rate and spend counters in Redis, shared by every gateway process (B6). */
export class RedisCounterStore implements CounterStore {
  readonly redis: Redis;

  constructor(url: string, private readonly prefix = "gatehouse:") {
    // Fail fast when Redis is away: admissions then fail closed instead of queueing.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 2000 });
    this.redis.on("error", () => {});
    this.redis.defineCommand("ghAdmit", { lua: ADMIT });
    this.redis.defineCommand("ghSettle", { lua: SETTLE });
  }

  private key(id: string): string {
    return this.prefix + id;
  }

  async ready(): Promise<void> {
    if (this.redis.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("redis connect timeout")), 5000);
      this.redis.once("ready", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async admit(plan: AdmissionPlan, loadSpent: Parameters<CounterStore["admit"]>[1]): Promise<AdmissionResult> {
    // Cold counters are built from the ledger once: SET-if-absent, so concurrent loaders agree.
    const exists = plan.spend.length === 0 ? [] : await Promise.all(plan.spend.map((s) => this.redis.exists(this.key(s.check.id))));
    await Promise.all(plan.spend.map(async (s, i) => {
      if (exists[i] === 1) return;
      const spent = await loadSpent(s.check, s.windowStart);
      const k = this.key(s.check.id);
      await this.redis.hsetnx(k, "s", String(spent));
      await this.redis.hsetnx(k, "r", "0");
      await this.redis.expire(k, ttlSeconds(s.check, s.windowStart, plan.nowMs));
    }));
    const keys = [...plan.buckets.map((b) => this.key(b.id)), ...plan.spend.map((s) => this.key(s.check.id))];
    const args: (string | number)[] = [plan.nowMs, plan.reserveMicros, plan.buckets.length];
    for (const b of plan.buckets) args.push(b.capacity, b.cost);
    for (const s of plan.spend) args.push(s.check.limitMicros, ttlSeconds(s.check, s.windowStart, plan.nowMs));
    const r = (await (this.redis as unknown as { ghAdmit: (n: number, ...a: (string | number)[]) => Promise<number[]> }).ghAdmit(keys.length, ...keys, ...args));
    if (r[0] === 2) {
      const check = plan.buckets[(r[1] as number) - 1];
      if (!check) throw new Error("admission script returned an unknown bucket");
      return { kind: "rate_limited", check, retryAfterMs: r[2] as number, remaining: r[3] as number };
    }
    if (r[0] === 3) {
      const s = plan.spend[(r[1] as number) - 1];
      if (!s) throw new Error("admission script returned an unknown counter");
      return { kind: "spend_limited", check: s.check, availableMicros: r[2] as number };
    }
    const ticket: AdmissionTicket = { plan };
    return { kind: "admitted", ticket };
  }

  async settle(ticket: AdmissionTicket, actual: Settlement, nowMs: number): Promise<void> {
    const { plan } = ticket;
    const keys = [...plan.spend.map((s) => this.key(s.check.id)), ...plan.buckets.map((b) => this.key(b.id))];
    const args: (string | number)[] = [nowMs, plan.reserveMicros, actual.costMicros, plan.spend.length];
    for (const b of plan.buckets) {
      const delta = b.type === "output_tokens_per_minute" ? b.cost - actual.outputTokens : b.type === "input_tokens_per_minute" ? b.cost - actual.inputTokens : 0;
      args.push(b.capacity, delta);
    }
    if (keys.length === 0) return;
    await (this.redis as unknown as { ghSettle: (n: number, ...a: (string | number)[]) => Promise<number> }).ghSettle(keys.length, ...keys, ...args);
  }

  async peek(id: string): Promise<SpendCounter | null> {
    const v = await this.redis.hmget(this.key(id), "s", "r");
    if (v[0] === null) return null;
    return { spentMicros: Number(v[0]), reservedMicros: Number(v[1] ?? 0) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
