import { Type, type TSchema } from "typebox";
import type { PageRequest, PageResult } from "../../core/domain.js";
import { DomainError } from "../../core/errors.js";

/** Every string in a request is bounded; ids and names have their own bounds. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" });
export const Name = Type.String({ minLength: 1, maxLength: 200 });
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: "^[^@\\s]+@[^@\\s]+$" });
export const Timestamp = Type.String({ format: "date-time", maxLength: 40 });

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** Strict request body: unknown fields are refused. */
export function Body<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/** Query strings tolerate unknown parameters (SDKs add some, e.g. `beta=true`); known ones are typed. */
export function Query<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: true });
}

export const PageQueryProps = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
  after_id: Type.Optional(Type.String({ maxLength: 64 })),
  before_id: Type.Optional(Type.String({ maxLength: 64 })),
};

export function pageRequest(q: { limit?: number | undefined; after_id?: string | undefined; before_id?: string | undefined }): PageRequest {
  return { limit: q.limit ?? 20, afterId: q.after_id || undefined, beforeId: q.before_id || undefined };
}

/** Anthropic's `Page` shape: `data, has_more, first_id, last_id`. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), has_more: Type.Boolean(), first_id: Nullable(Type.String()), last_id: Nullable(Type.String()) });
}

export function toPage<T, U>(result: PageResult<T>, present: (item: T) => U, idOf: (item: U) => string): { data: U[]; has_more: boolean; first_id: string | null; last_id: string | null } {
  const data = result.data.map(present);
  const first = data[0];
  const last = data[data.length - 1];
  return { data, has_more: result.hasMore, first_id: first === undefined ? null : idOf(first), last_id: last === undefined ? null : idOf(last) };
}

export const ErrorEnvelopeSchema = Type.Object({
  type: Type.Literal("error"),
  error: Type.Object({ type: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  request_id: Type.String(),
});

export const idOf = (x: { id: string }) => x.id;

/** Query of Anthropic's `PageCursor` routes: `page` (opaque token) and `limit`. */
export const CursorQueryProps = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  page: Type.Optional(Type.String({ maxLength: 128 })),
};

/** Anthropic's `PageCursor` shape: `data, next_page` (null on the last page, so the SDK stops). */
export function CursorPageOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), has_more: Type.Boolean(), next_page: Nullable(Type.String()) });
}

/** Slices an in-memory list by an opaque offset token; `limit` absent means everything. */
export function toCursorPage<T>(items: T[], q: { page?: string | undefined; limit?: number | undefined }): { data: T[]; has_more: boolean; next_page: string | null } {
  let offset = 0;
  if (q.page) {
    const m = /^page_(\d{1,9})$/.exec(q.page);
    if (!m) throw new DomainError("validation_failed", "page is not a token returned by this API");
    offset = Number(m[1]);
  }
  const end = q.limit === undefined ? items.length : offset + q.limit;
  const data = items.slice(offset, end);
  const hasMore = end < items.length;
  return { data, has_more: hasMore, next_page: hasMore ? `page_${end}` : null };
}

/** Month-to-date spend of a key, workspace or organization (cents as decimal strings). */
export const SpendSchema = Type.Object({
  period: Type.Literal("monthly"), month_to_date_spend: Type.String(), monthly_limit: Nullable(Type.String()), remaining_budget: Nullable(Type.String()),
});
