import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, type UsageCounts, costNanos, nanosToMicros, perMillion, resolvePrice, worstCaseNanos } from "./pricing.js";
import { overlayUsage, toUsageCounts } from "./usage.js";

const usage = (u: Partial<UsageCounts>): UsageCounts => ({
  inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheCreation5m: null, cacheCreation1h: null, cacheReadInputTokens: 0,
  webSearchRequests: 0, serviceTier: null, speed: null, inferenceGeo: null, ...u,
});

describe("prices", () => {
  it("hold every published number as integer nano-USD per token", () => {
    expect(DEFAULT_PRICES["claude-sonnet-4-5"]).toMatchObject({ input: 3000, output: 15000, cacheWrite5m: 3750, cacheWrite1h: 6000, cacheRead: 300 });
    expect(DEFAULT_PRICES["claude-opus-5-5"]).toMatchObject({ input: 4000, output: 20000, cacheWrite5m: 5000, cacheWrite1h: 8000, cacheRead: 200 });
    expect(DEFAULT_PRICES["claude-3-haiku-20240307"]).toMatchObject({ input: 250, output: 1250, cacheRead: 30 });
    for (const p of Object.values(DEFAULT_PRICES)) for (const v of [p.input, p.output, p.cacheWrite5m, p.cacheWrite1h, p.cacheRead]) expect(Number.isInteger(v)).toBe(true);
    expect(perMillion(0.125)).toBe(125);
  });

  it.each([
    ["claude-sonnet-4-5", "priced", 15000],
    ["claude-haiku-5-5", "fallback", 5000],
    ["claude-mythos-5-2", "fallback", 50000],
    ["claude-fable-5-1", "fallback", 50000],
    ["some-new-model", "fallback", 75000],
  ] as const)("%s → %s at %d nano-USD per output token", (model, kind, output) => {
    const r = resolvePrice(model, DEFAULT_PRICES);
    expect(r.kind).toBe(kind);
    if (r.kind !== "unpriced") expect(r.price.output).toBe(output);
  });

  it("an organization can refuse unpriced models", () => {
    expect(resolvePrice("claude-haiku-5-5", DEFAULT_PRICES, true)).toEqual({ kind: "unpriced" });
    expect(resolvePrice("claude-sonnet-4-5", DEFAULT_PRICES, true).kind).toBe("priced");
  });
});

describe("cost", () => {
  const sonnet = DEFAULT_PRICES["claude-sonnet-4-5"]!;
  it.each([
    ["plain", usage({ inputTokens: 1000, outputTokens: 500 }), 1000 * 3000 + 500 * 15000],
    ["cache read and 5m write", usage({ inputTokens: 10, cacheReadInputTokens: 1000, cacheCreationInputTokens: 200, outputTokens: 1 }), 10 * 3000 + 1000 * 300 + 200 * 3750 + 15000],
    ["1h write from the breakdown", usage({ cacheCreationInputTokens: 300, cacheCreation5m: 100, cacheCreation1h: 200 }), 100 * 3750 + 200 * 6000],
    ["batch halves", usage({ inputTokens: 1000, outputTokens: 1000, serviceTier: "batch" }), (1000 * 3000 + 1000 * 15000) / 2],
    ["web search", usage({ webSearchRequests: 3 }), 30_000_000],
    ["long context premium", usage({ inputTokens: 200_001, outputTokens: 10 }), 200_001 * 6000 + 10 * 22500],
  ])("%s", (_name, u, expected) => {
    expect(costNanos(u, sonnet)).toBe(expected);
  });

  it("fast mode and US-only geography premiums", () => {
    const opus = DEFAULT_PRICES["claude-opus-4-8"]!;
    expect(costNanos(usage({ inputTokens: 100, outputTokens: 10, speed: "fast" }), opus)).toBe(100 * 10000 + 10 * 50000);
    expect(costNanos(usage({ inputTokens: 100, outputTokens: 10, inferenceGeo: "us" }), opus)).toBe(Math.ceil(((100 * 5000 + 10 * 25000) * 11) / 10));
    expect(costNanos(usage({ inputTokens: 100, inferenceGeo: "us" }), DEFAULT_PRICES["claude-opus-4-5"]!)).toBe(100 * 5000);
  });

  it("rounds up to whole micro-USD", () => {
    expect(nanosToMicros(0)).toBe(0);
    expect(nanosToMicros(1)).toBe(1);
    expect(nanosToMicros(1000)).toBe(1);
    expect(nanosToMicros(1001)).toBe(2);
  });

  it("worst case bounds every response that honours max_tokens (random property, 100,000 runs)", () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const models = Object.keys(DEFAULT_PRICES);
    for (let i = 0; i < 100_000; i++) {
      const p = DEFAULT_PRICES[models[rnd(models.length)]!]!;
      const bytes = 1 + rnd(400_000);
      const maxTokens = 1 + rnd(64_000);
      // Split at most `bytes` input tokens over the categories.
      const a = rnd(bytes + 1);
      const b = rnd(bytes - a + 1);
      const c = rnd(bytes - a - b + 1);
      const speed = rnd(2) ? "fast" : "standard";
      const geo = rnd(2) ? "us" : "global";
      const u = usage({ inputTokens: a, cacheReadInputTokens: b, cacheCreationInputTokens: c, cacheCreation1h: c, cacheCreation5m: 0, outputTokens: rnd(maxTokens + 1), speed, inferenceGeo: geo });
      expect(costNanos(u, p)).toBeLessThanOrEqual(worstCaseNanos(p, bytes, maxTokens, { speed, inferenceGeo: geo }));
    }
  });

  it("B9: summing 10^6 random charges in integer micro-USD is exact", () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 5_000_000);
    let total = 0;
    let bigTotal = 0n;
    for (let i = 0; i < 1_000_000; i++) {
      const c = nanosToMicros(rnd() * 1000 + rnd());
      total += c;
      bigTotal += BigInt(c);
    }
    expect(Number.isSafeInteger(total)).toBe(true);
    expect(BigInt(total)).toBe(bigTotal);
  });
});

describe("usage from streams", () => {
  it("takes the last cumulative message_delta values, not their sum, and keeps message_start-only fields", () => {
    let u = { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 0 }, service_tier: "standard" };
    for (const d of [{ output_tokens: 10 }, { output_tokens: 20, input_tokens: null }, { output_tokens: 30, cache_read_input_tokens: 7 }]) u = overlayUsage(u, d) as typeof u;
    expect(toUsageCounts(u)).toMatchObject({ inputTokens: 25, outputTokens: 30, cacheReadInputTokens: 7, cacheCreation5m: 3, serviceTier: "standard" });
  });
  it("treats junk as zero", () => {
    expect(toUsageCounts({ input_tokens: -5, output_tokens: Number.NaN } as never)).toMatchObject({ inputTokens: 0, outputTokens: 0 });
  });
});
