/**
 * Prices and cost arithmetic. Money is integer: prices are nano-USD per token (USD per million
 * tokens × 1,000), costs are computed exactly in nano-USD and rounded up to whole micro-USD per
 * request, the unit of the ledger and of every counter.
 */

/** Nano-USD per token for each token category. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  /** Fast mode (`speed: "fast"`) input/output prices, where the model has one. */
  fast?: { input: number; output: number } | undefined;
  /** Requests whose input exceeds 200K tokens are billed at these multipliers (1M-context premium). */
  longContext?: { inputMultiplier: number; outputMultiplier: number } | undefined;
  /** US-only inference (`inference_geo: "us"`) costs 1.1× on 4.6+ models. */
  usGeoPremium?: boolean | undefined;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** USD per million tokens → nano-USD per token. */
export function perMillion(usd: number): number {
  return Math.round(usd * 1000);
}

function price(input: number, output: number, w5: number, w1: number, read: number, extra: Partial<ModelPrice> = {}): ModelPrice {
  return { input: perMillion(input), output: perMillion(output), cacheWrite5m: perMillion(w5), cacheWrite1h: perMillion(w1), cacheRead: perMillion(read), ...extra };
}

const OPUS_45 = price(5, 25, 6.25, 10, 0.5);
const OPUS_46 = price(5, 25, 6.25, 10, 0.5, { usGeoPremium: true });
const OPUS_FAST = { fast: { input: perMillion(10), output: perMillion(50) } };
const OPUS_41 = price(15, 75, 18.75, 30, 1.5);
const SONNET_4 = price(3, 15, 3.75, 6, 0.3, { longContext: { inputMultiplier: 2, outputMultiplier: 1.5 } });
const SONNET_46 = price(3, 15, 3.75, 6, 0.3, { usGeoPremium: true });
const SONNET_5 = price(2, 10, 2.5, 4, 0.2, { usGeoPremium: true });
const HAIKU_45 = price(1, 5, 1.25, 2, 0.1);
const FABLE_5 = price(10, 50, 12.5, 20, 1, { usGeoPremium: true });

/**
 * The reference price table (Anthropic's published prices, 2025–Sept 2026). Every number is
 * held, not derived: cache multipliers differ between models. Overridable by configuration.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-5-5": price(4, 20, 5, 8, 0.2, { usGeoPremium: true }),
  "claude-opus-5": { ...OPUS_46, ...OPUS_FAST },
  "claude-opus-4-8": { ...OPUS_46, ...OPUS_FAST },
  "claude-opus-4-7": OPUS_46,
  "claude-opus-4-6": OPUS_46,
  "claude-opus-4-5": OPUS_45,
  "claude-opus-4-5-20251101": OPUS_45,
  "claude-opus-4-1": OPUS_41,
  "claude-opus-4-1-20250805": OPUS_41,
  "claude-opus-4-0": OPUS_41,
  "claude-opus-4-20250514": OPUS_41,
  "claude-3-opus-20240229": OPUS_41,
  "claude-sonnet-5-5": SONNET_5,
  "claude-sonnet-5": SONNET_5,
  "claude-sonnet-4-6": SONNET_46,
  "claude-sonnet-4-5": SONNET_4,
  "claude-sonnet-4-5-20250929": SONNET_4,
  "claude-sonnet-4-0": SONNET_4,
  "claude-sonnet-4-20250514": SONNET_4,
  "claude-3-7-sonnet-20250219": price(3, 15, 3.75, 6, 0.3),
  "claude-haiku-4-5": HAIKU_45,
  "claude-haiku-4-5-20251001": HAIKU_45,
  "claude-3-5-haiku-20241022": price(0.8, 4, 1, 1.6, 0.08),
  "claude-3-haiku-20240307": price(0.25, 1.25, 0.3, 0.5, 0.03),
  "claude-fable-5": FABLE_5,
  "claude-mythos-5": FABLE_5,
};

/** The model line of an id: `claude-opus-4-5` → `opus`, `claude-3-5-haiku-…` → `haiku`. */
export function modelFamily(model: string): string | null {
  const m = /(opus|sonnet|haiku|fable|mythos)/.exec(model);
  return m ? (m[1] as string) : null;
}

function mostExpensive(prices: ModelPrice[]): ModelPrice | null {
  let best: ModelPrice | null = null;
  for (const p of prices) if (!best || p.output > best.output || (p.output === best.output && p.input > best.input)) best = p;
  return best;
}

export type PriceResolution =
  | { kind: "priced"; price: ModelPrice; estimated: false }
  | { kind: "fallback"; price: ModelPrice; estimated: true; basis: "family" | "table" }
  | { kind: "unpriced" };

/**
 * The price of `model`. A model the table does not know is metered at the highest price of its
 * family, else of the whole table, and marked estimated — never as free. With `refuseUnpriced`
 * the caller refuses the request instead.
 */
export function resolvePrice(model: string, table: PriceTable, refuseUnpriced = false): PriceResolution {
  const known = table[model];
  if (known) return { kind: "priced", price: known, estimated: false };
  if (refuseUnpriced) return { kind: "unpriced" };
  const family = modelFamily(model);
  const familyPrices = family ? Object.entries(table).filter(([id]) => modelFamily(id) === family).map(([, p]) => p) : [];
  const fromFamily = mostExpensive(familyPrices);
  if (fromFamily) return { kind: "fallback", price: fromFamily, estimated: true, basis: "family" };
  const fromTable = mostExpensive(Object.values(table));
  return fromTable ? { kind: "fallback", price: fromTable, estimated: true, basis: "table" } : { kind: "unpriced" };
}

/** The token counts of a response's `usage`, normalized (nulls are 0). */
export interface UsageCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheCreation5m: number | null;
  cacheCreation1h: number | null;
  cacheReadInputTokens: number;
  webSearchRequests: number;
  serviceTier: string | null;
  speed: string | null;
  inferenceGeo: string | null;
}

/** Web search: $10 per 1,000 searches, in nano-USD per search. */
export const WEB_SEARCH_NANOS = 10_000_000;
export const LONG_CONTEXT_THRESHOLD_TOKENS = 200_000;

export interface CostOptions {
  batch?: boolean;
}

/** Exact cost of a usage in nano-USD (integer arithmetic throughout). */
export function costNanos(u: UsageCounts, p: ModelPrice, options: CostOptions = {}): number {
  const fast = u.speed === "fast" && p.fast !== undefined;
  const inputRate = fast && p.fast ? p.fast.input : p.input;
  const outputRate = fast && p.fast ? p.fast.output : p.output;
  // Fast mode scales cache categories with the input price.
  const scaleNum = fast && p.fast ? p.fast.input : p.input;
  const scale = (rate: number) => (scaleNum === p.input ? rate : Math.round((rate * scaleNum) / p.input));
  const w5 = u.cacheCreation5m ?? (u.cacheCreation1h === null ? u.cacheCreationInputTokens : Math.max(0, u.cacheCreationInputTokens - u.cacheCreation1h));
  const w1 = u.cacheCreation1h ?? 0;
  const totalInput = u.inputTokens + u.cacheCreationInputTokens + u.cacheReadInputTokens;
  const long = p.longContext !== undefined && totalInput > LONG_CONTEXT_THRESHOLD_TOKENS;
  const inMul = long && p.longContext ? p.longContext.inputMultiplier : 1;
  const outMul = long && p.longContext ? p.longContext.outputMultiplier : 1;
  let input = u.inputTokens * inputRate + w5 * scale(p.cacheWrite5m) + w1 * scale(p.cacheWrite1h) + u.cacheReadInputTokens * scale(p.cacheRead);
  let output = u.outputTokens * outputRate;
  input = Math.round(input * inMul);
  output = Math.round(output * outMul);
  let tokens = input + output;
  if (options.batch || u.serviceTier === "batch") tokens = Math.ceil(tokens / 2);
  if (p.usGeoPremium && u.inferenceGeo === "us") tokens = Math.ceil((tokens * 11) / 10);
  return tokens + u.webSearchRequests * WEB_SEARCH_NANOS;
}

/** Nano-USD → whole micro-USD, rounded up (a request never costs less than its exact price). */
export function nanosToMicros(nanos: number): number {
  return Math.ceil(nanos / 1000);
}

/**
 * Worst-case cost of a request before it runs, in nano-USD: every input byte counted as one token
 * at the dearest input category (no token is shorter than one byte), plus `max_tokens` of output,
 * with the fast-mode, long-context and US-geography premiums when they could apply. The actual
 * cost of a response that honours `max_tokens` never exceeds it.
 */
export function worstCaseNanos(p: ModelPrice, inputBytes: number, maxTokens: number, request: { speed?: string | undefined; inferenceGeo?: string | undefined }): number {
  const fast = request.speed === "fast" && p.fast !== undefined;
  const ratio = fast && p.fast ? p.fast.input / p.input : 1;
  const dearestInput = Math.max(p.input, p.cacheWrite5m, p.cacheWrite1h) * ratio;
  const outputRate = fast && p.fast ? p.fast.output : p.output;
  const long = p.longContext !== undefined && inputBytes > LONG_CONTEXT_THRESHOLD_TOKENS;
  let total = Math.ceil(inputBytes * dearestInput * (long && p.longContext ? p.longContext.inputMultiplier : 1))
    + Math.ceil(maxTokens * outputRate * (long && p.longContext ? p.longContext.outputMultiplier : 1));
  if (p.usGeoPremium && request.inferenceGeo === "us") total = Math.ceil((total * 11) / 10);
  return total;
}
