import { readFileSync } from "node:fs";
import { DEFAULT_PRICES, type ModelPrice, type PriceTable, perMillion } from "../core/pricing.js";
import { ConfigError } from "./config.js";

interface PriceOverride {
  input: number;
  output: number;
  cache_write_5m?: number;
  cache_write_1h?: number;
  cache_read?: number;
}

/**
 * The price table: the reference prices, with overrides from a JSON file mapping model ids to
 * USD per million tokens, e.g. `{"claude-haiku-5-5": {"input": 0.1, "output": 0.5, "cache_write_5m": 0.125, "cache_write_1h": 0.2, "cache_read": 0.01}}`.
 * Cache prices not given are 1.25× / 2× / 0.1× input.
 */
export function loadPrices(file: string | null): PriceTable {
  if (!file) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`GATEHOUSE_PRICES_FILE: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== "object" || parsed === null) throw new ConfigError("GATEHOUSE_PRICES_FILE must hold a JSON object of model ids");
  const table: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, raw] of Object.entries(parsed as Record<string, PriceOverride>)) {
    const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
    if (!raw || !ok(raw.input) || !ok(raw.output)) throw new ConfigError(`GATEHOUSE_PRICES_FILE: ${model} needs numeric input and output prices (USD per million tokens)`);
    table[model] = {
      input: perMillion(raw.input), output: perMillion(raw.output),
      cacheWrite5m: perMillion(ok(raw.cache_write_5m) ? (raw.cache_write_5m as number) : raw.input * 1.25),
      cacheWrite1h: perMillion(ok(raw.cache_write_1h) ? (raw.cache_write_1h as number) : raw.input * 2),
      cacheRead: perMillion(ok(raw.cache_read) ? (raw.cache_read as number) : raw.input * 0.1),
    };
  }
  return table;
}
