import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { microsToCentsString } from "../../../core/limits.js";
import { REPORT_DIMENSIONS, type ReportDimension, type UsageReportRow } from "../../../core/ports.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type BucketWidth, usageBuckets } from "../../../services/reports.js";
import { type App, ctx } from "../../app.js";
import { Query, toCursorPage } from "../../http/schemas.js";

const Ids = Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 }));
const Width = Type.Union([Type.Literal("1m"), Type.Literal("1h"), Type.Literal("1d")]);
const Time = Type.String({ maxLength: 40 });
const DEFAULT_BUCKETS: Record<BucketWidth, number> = { "1m": 60, "1h": 24, "1d": 7 };

/** Accepts Anthropic's dimension names; `description` (cost report) groups by model. */
function dimensions(groupBy: string[] | undefined): ReportDimension[] {
  const out = new Set<ReportDimension>();
  for (const g of groupBy ?? []) {
    if (g === "description") out.add("model");
    else if ((REPORT_DIMENSIONS as readonly string[]).includes(g)) out.add(g as ReportDimension);
  }
  return [...out];
}

function usageOf(r: UsageReportRow) {
  return {
    uncached_input_tokens: r.input_tokens,
    cache_creation: { ephemeral_1h_input_tokens: r.cache_creation_1h_input_tokens, ephemeral_5m_input_tokens: r.cache_creation_5m_input_tokens },
    cache_read_input_tokens: r.cache_read_input_tokens,
    output_tokens: r.output_tokens,
    server_tool_use: { web_search_requests: r.web_search_requests },
  };
}

function groupOf(r: UsageReportRow) {
  return { api_key_id: r.api_key_id, workspace_id: r.workspace_id, model: r.model, service_tier: r.service_tier, inference_geo: r.inference_geo, context_window: null };
}

const COMMON = {
  starting_at: Time, ending_at: Type.Optional(Time), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })), page: Type.Optional(Type.String({ maxLength: 64 })),
  group_by: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 5 })), api_key_ids: Ids, workspace_ids: Ids, models: Ids,
};

/**
 * Usage and cost reports in both of Anthropic's shapes: the 2025 Admin API (`usage_report/messages`,
 * `cost_report`: buckets with `results`) and SDK 1.x analytics (`analytics/usage`, `analytics/cost`:
 * one row per bucket and group). Amounts are cents as decimal strings.
 */
export function registerReportRoutes(app: App, deps: ServiceDeps): void {
  const refreshed = () => deps.clock.now().toISOString();

  app.get("/v1/organizations/usage_report/messages", {
    config: { access: "usage:read" },
    schema: { tags: ["reports"], querystring: Query({ ...COMMON, bucket_width: Type.Optional(Width) }) },
  }, async (request) => {
    const q = request.query;
    const width = (q.bucket_width ?? "1d") as BucketWidth;
    const buckets = await usageBuckets(deps, ctx(request), {
      startingAt: q.starting_at, endingAt: q.ending_at, width, defaultBuckets: q.limit ?? DEFAULT_BUCKETS[width],
      groupBy: dimensions(q.group_by), apiKeyIds: q.api_key_ids, workspaceIds: q.workspace_ids, models: q.models,
    });
    const page = toCursorPage(buckets, { page: q.page, limit: q.limit ?? DEFAULT_BUCKETS[width] });
    return {
      ...page,
      data: page.data.map((b) => ({ starting_at: b.startingAt, ending_at: b.endingAt, results: b.rows.map((r) => ({ ...usageOf(r), ...groupOf(r), requests: r.requests })) })),
    };
  });

  app.get("/v1/organizations/cost_report", {
    config: { access: "usage:read" },
    schema: { tags: ["reports"], querystring: Query({ ...COMMON, bucket_width: Type.Optional(Type.Literal("1d")) }) },
  }, async (request) => {
    const q = request.query;
    const buckets = await usageBuckets(deps, ctx(request), {
      startingAt: q.starting_at, endingAt: q.ending_at, width: "1d", defaultBuckets: q.limit ?? 7,
      groupBy: dimensions(q.group_by), apiKeyIds: q.api_key_ids, workspaceIds: q.workspace_ids, models: q.models,
    });
    const page = toCursorPage(buckets, { page: q.page, limit: q.limit ?? 7 });
    return {
      ...page,
      data: page.data.map((b) => ({
        starting_at: b.startingAt, ending_at: b.endingAt,
        results: b.rows.map((r) => ({
          currency: "USD", amount: microsToCentsString(r.cost_micros), workspace_id: r.workspace_id, description: r.model, cost_type: "tokens",
          context_window: null, model: r.model, service_tier: r.service_tier, token_type: null, requests: r.requests, estimated_requests: r.estimated_requests,
        })),
      })),
    };
  });

  const analyticsQuery = Query({ ...COMMON, time_bucket_width: Type.Optional(Width), order: Type.Optional(Type.Union([Type.Literal("asc"), Type.Literal("desc")])) });
  const analyticsRows = async (request: FastifyRequest) => {
    const q = request.query as { starting_at: string; ending_at?: string; time_bucket_width?: BucketWidth; group_by?: string[]; api_key_ids?: string[]; workspace_ids?: string[]; models?: string[]; order?: "asc" | "desc" };
    const width = q.time_bucket_width ?? "1d";
    const buckets = await usageBuckets(deps, ctx(request), {
      startingAt: q.starting_at, endingAt: q.ending_at, width, defaultBuckets: DEFAULT_BUCKETS[width],
      groupBy: dimensions(q.group_by), apiKeyIds: q.api_key_ids, workspaceIds: q.workspace_ids, models: q.models,
    });
    const rows = buckets.flatMap((b) => b.rows.map((r) => ({ b, r })));
    return q.order === "desc" ? rows.reverse() : rows;
  };

  app.get("/v1/organizations/analytics/usage", {
    config: { access: "usage:read" }, schema: { tags: ["reports"], querystring: analyticsQuery },
  }, async (request) => {
    const rows = (await analyticsRows(request)).map(({ b, r }) => {
      const u = usageOf(r);
      const total = r.input_tokens + r.cache_read_input_tokens + r.cache_creation_5m_input_tokens + r.cache_creation_1h_input_tokens + r.output_tokens;
      return { starting_at: b.startingAt, ending_at: b.endingAt, group: groupOf(r), usage: { ...u, total_tokens: total, requests: r.requests } };
    });
    const q = request.query;
    return { ...toCursorPage(rows, { page: q.page, limit: q.limit ?? 20 }), data_refreshed_at: refreshed() };
  });

  app.get("/v1/organizations/analytics/cost", {
    config: { access: "usage:read" }, schema: { tags: ["reports"], querystring: analyticsQuery },
  }, async (request) => {
    const rows = (await analyticsRows(request)).map(({ b, r }) => ({
      starting_at: b.startingAt, ending_at: b.endingAt, group: groupOf(r),
      cost: { amount: microsToCentsString(r.cost_micros), list_amount: microsToCentsString(r.cost_micros), currency: "USD", requests: r.requests, estimated_requests: r.estimated_requests },
    }));
    const q = request.query;
    return { ...toCursorPage(rows, { page: q.page, limit: q.limit ?? 20 }), data_refreshed_at: refreshed() };
  });
}
