import type { UsageCounts } from "./pricing.js";

/** The `usage` object as Anthropic sends it (any field may be missing or null). */
export interface RawUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  server_tool_use?: { web_search_requests?: number | null } | null;
  service_tier?: string | null;
  speed?: string | null;
  inference_geo?: string | null;
}

const MERGED_FROM_DELTA = ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "server_tool_use"] as const;

/**
 * Overlays a `message_delta.usage` on the usage so far, as the SDK does: delta counters are
 * cumulative, so each non-null field replaces (never adds to) the previous value; fields absent
 * from deltas (cache breakdown, service tier, speed, geography) keep their `message_start` values.
 */
export function overlayUsage(base: RawUsage, delta: RawUsage): RawUsage {
  const out: RawUsage = { ...base };
  for (const field of MERGED_FROM_DELTA) {
    const v = delta[field];
    if (v !== null && v !== undefined) (out as Record<string, unknown>)[field] = v;
  }
  return out;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function countOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
}

/** Normalizes a raw usage into counts for pricing. */
export function toUsageCounts(u: RawUsage): UsageCounts {
  return {
    inputTokens: count(u.input_tokens),
    outputTokens: count(u.output_tokens),
    cacheCreationInputTokens: count(u.cache_creation_input_tokens),
    cacheCreation5m: countOrNull(u.cache_creation?.ephemeral_5m_input_tokens),
    cacheCreation1h: countOrNull(u.cache_creation?.ephemeral_1h_input_tokens),
    cacheReadInputTokens: count(u.cache_read_input_tokens),
    webSearchRequests: count(u.server_tool_use?.web_search_requests),
    serviceTier: typeof u.service_tier === "string" ? u.service_tier : null,
    speed: typeof u.speed === "string" ? u.speed : null,
    inferenceGeo: typeof u.inference_geo === "string" ? u.inference_geo : null,
  };
}
