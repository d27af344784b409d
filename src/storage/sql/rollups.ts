import type { UsageRecord } from "../../core/domain.js";
import type { UsageRollupsTable } from "./schema.js";

/** The three rollup widths and the length of their bucket keys (`YYYY-MM-DDTHH:MM`, `…THH`, `YYYY-MM-DD`). */
export const ROLLUP_WIDTHS = [["1m", 16], ["1h", 13], ["1d", 10]] as const;
/** Columns that identify a rollup row. */
export const ROLLUP_KEY = ["org_id", "width", "bucket", "workspace_id", "api_key_id", "user_id", "model", "service_tier", "inference_geo"] as const;
/** Columns that are summed. */
export const ROLLUP_SUMS = [
  "requests", "input_tokens", "output_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens", "cache_read_input_tokens",
  "web_search_requests", "cost_micros", "estimated_requests",
] as const;

/** Columns of a ledger record, in the order of the worker's rows (see `ledgerRow`). */
export const LEDGER_COLUMNS = [
  "id", "org_id", "workspace_id", "api_key_id", "user_id", "model", "request_id", "upstream_request_id", "status", "stream", "input_tokens", "output_tokens",
  "cache_creation_input_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens", "cache_read_input_tokens", "web_search_requests",
  "service_tier", "speed", "inference_geo", "cost_micros", "price_estimated", "uncharged_reason", "latency_ms", "created_at",
] as const;

export type LedgerRow = (string | number | null)[];

/** A record as a flat row of SQL values (booleans as 0/1): cheap to pass to the ledger thread. */
export function ledgerRow(r: UsageRecord): LedgerRow {
  return LEDGER_COLUMNS.map((c) => (c === "stream" || c === "price_estimated" ? (r[c] ? 1 : 0) : r[c]));
}

/** The inverse of `ledgerRow`. */
export function recordOfRow(row: LedgerRow): UsageRecord {
  const r: Record<string, unknown> = {};
  LEDGER_COLUMNS.forEach((c, i) => (r[c] = c === "stream" || c === "price_estimated" ? row[i] === 1 : row[i]));
  return r as unknown as UsageRecord;
}

/** Aggregates a batch of ledger records into rollup rows at every width (bucketed by `created_at`). */
export function rollupRows(records: readonly UsageRecord[]): UsageRollupsTable[] {
  const rollups = new Map<string, UsageRollupsTable>();
  for (const r of records) {
    for (const [width, chars] of ROLLUP_WIDTHS) {
      const row = {
        org_id: r.org_id, width, bucket: r.created_at.slice(0, chars), workspace_id: r.workspace_id, api_key_id: r.api_key_id, user_id: r.user_id ?? "",
        model: r.model, service_tier: r.service_tier ?? "", inference_geo: r.inference_geo ?? "",
      };
      const key = JSON.stringify(row);
      const acc = rollups.get(key) ?? { ...row, requests: 0, input_tokens: 0, output_tokens: 0, cache_creation_5m_input_tokens: 0, cache_creation_1h_input_tokens: 0, cache_read_input_tokens: 0, web_search_requests: 0, cost_micros: 0, estimated_requests: 0 };
      acc.requests += 1;
      acc.input_tokens += r.input_tokens;
      acc.output_tokens += r.output_tokens;
      acc.cache_creation_5m_input_tokens += r.cache_creation_5m_input_tokens;
      acc.cache_creation_1h_input_tokens += r.cache_creation_1h_input_tokens;
      acc.cache_read_input_tokens += r.cache_read_input_tokens;
      acc.web_search_requests += r.web_search_requests;
      acc.cost_micros += r.cost_micros;
      acc.estimated_requests += r.price_estimated ? 1 : 0;
      rollups.set(key, acc);
    }
  }
  return [...rollups.values()];
}
