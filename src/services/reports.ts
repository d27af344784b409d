import { DomainError } from "../core/errors.js";
import type { ReportDimension, UsageReportRow } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import type { Ctx, ServiceDeps } from "./context.js";

export type BucketWidth = "1m" | "1h" | "1d";
const WIDTH_MS: Record<BucketWidth, number> = { "1m": 60_000, "1h": 3_600_000, "1d": 86_400_000 };
const WIDTH_CHARS: Record<BucketWidth, 16 | 13 | 10> = { "1m": 16, "1h": 13, "1d": 10 };
/** Most buckets one report may span (as Anthropic: 24 h of minutes, 31 days of hours or days). */
const MAX_BUCKETS: Record<BucketWidth, number> = { "1m": 1440, "1h": 744, "1d": 31 };

export interface ReportRequest {
  startingAt: string;
  endingAt?: string | undefined;
  width: BucketWidth;
  /** Buckets when `endingAt` is absent. */
  defaultBuckets: number;
  groupBy: ReportDimension[];
  apiKeyIds?: string[] | undefined;
  workspaceIds?: string[] | undefined;
  models?: string[] | undefined;
}

export interface ReportBucket {
  startingAt: string;
  endingAt: string;
  rows: UsageReportRow[];
}

/** Floors a time to the start of its bucket (UTC). */
function floorTo(ms: number, width: BucketWidth): number {
  return Math.floor(ms / WIDTH_MS[width]) * WIDTH_MS[width];
}

function minuteKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/**
 * Usage per time bucket from the per-minute rollups: every bucket of the range is listed, empty
 * ones with no rows. Reports never scan the raw ledger.
 */
export async function usageBuckets(deps: ServiceDeps, ctx: Ctx, r: ReportRequest): Promise<ReportBucket[]> {
  requireOrgPermission(ctx, "usage:read");
  const startMs = Date.parse(r.startingAt);
  if (Number.isNaN(startMs)) throw new DomainError("validation_failed", "starting_at must be an RFC 3339 time");
  const start = floorTo(startMs, r.width);
  const endMs = r.endingAt === undefined ? start + r.defaultBuckets * WIDTH_MS[r.width] : Date.parse(r.endingAt);
  if (Number.isNaN(endMs)) throw new DomainError("validation_failed", "ending_at must be an RFC 3339 time");
  if (endMs <= startMs) throw new DomainError("validation_failed", "ending_at must be after starting_at");
  const count = Math.ceil((endMs - start) / WIDTH_MS[r.width]);
  if (count > MAX_BUCKETS[r.width]) throw new DomainError("validation_failed", `a ${r.width} report spans at most ${MAX_BUCKETS[r.width]} buckets`);
  const end = start + count * WIDTH_MS[r.width];
  const rows = await deps.store.usage.report(ctx.principal.orgId, {
    startBucket: minuteKey(start), endBucket: minuteKey(end), bucketChars: WIDTH_CHARS[r.width], groupBy: r.groupBy,
    apiKeyIds: r.apiKeyIds, workspaceIds: r.workspaceIds, models: r.models,
  });
  const byBucket = new Map<string, UsageReportRow[]>();
  for (const row of rows) byBucket.set(row.bucket, [...(byBucket.get(row.bucket) ?? []), row]);
  const out: ReportBucket[] = [];
  for (let t = start; t < end; t += WIDTH_MS[r.width]) {
    const key = new Date(t).toISOString().slice(0, WIDTH_CHARS[r.width]);
    out.push({ startingAt: new Date(t).toISOString().replace(".000Z", "Z"), endingAt: new Date(t + WIDTH_MS[r.width]).toISOString().replace(".000Z", "Z"), rows: byBucket.get(key) ?? [] });
  }
  return out;
}
