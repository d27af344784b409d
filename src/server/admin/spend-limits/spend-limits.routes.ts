import { Type } from "typebox";
import type { SpendLimit } from "../../../core/domain.js";
import { SPEND_PERIODS, microsToCentsString } from "../../../core/limits.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type EffectiveSpend, type SpendScope, deleteSpendLimit, effectiveSpend, getSpendLimit, listSpendLimits, scopeOf, setSpendLimit } from "../../../services/spend-limits.js";
import { type App, ctx } from "../../app.js";
import { Body, CursorPageOf, CursorQueryProps, Id, Nullable, Query, toCursorPage } from "../../http/schemas.js";

const ScopeSchema = Type.Union([
  Type.Object({ type: Type.Literal("organization") }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("workspace"), workspace_id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("user"), user_id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("api_key"), api_key_id: Id }, { additionalProperties: false }),
]);
const Period = Type.Union(SPEND_PERIODS.map((p) => Type.Literal(p)));
const Amount = Nullable(Type.String({ pattern: "^(0|[1-9][0-9]{0,13})$" }));

const SpendLimitSchema = Type.Object({
  id: Type.String(), type: Type.Literal("spend_limit"), scope: Type.Record(Type.String(), Type.String()), amount: Nullable(Type.String()),
  currency: Type.Literal("USD"), period: Type.String(), is_enabled: Type.Boolean(), created_at: Type.String(), updated_at: Type.String(),
});

export function presentSpendLimit(l: SpendLimit) {
  return {
    id: l.id, type: "spend_limit" as const, scope: scopeOf(l) as Record<string, string>, amount: l.amount_cents === null ? null : String(l.amount_cents),
    currency: "USD" as const, period: l.period, is_enabled: true, created_at: l.created_at, updated_at: l.updated_at,
  };
}

function actorOf(scope: SpendScope) {
  if (scope.type === "api_key") return { type: "scoped_api_key_actor", scoped_api_key_id: scope.api_key_id };
  if (scope.type === "user") return { type: "user_actor", user_id: scope.user_id };
  return null;
}

function presentEffective(e: EffectiveSpend) {
  const amountMicros = e.limit?.amount_cents == null ? null : e.limit.amount_cents * 10_000;
  return {
    type: "spend_summary", actor: actorOf(e.scope), scope: e.scope, source: e.scope, spend_limit_id: e.limit?.id ?? null,
    amount: e.limit?.amount_cents == null ? null : String(e.limit.amount_cents), currency: "USD", period: e.period,
    period_to_date_spend: microsToCentsString(e.spentMicros),
    remaining: amountMicros === null ? null : microsToCentsString(Math.max(0, amountMicros - e.spentMicros)),
    period_starts_at: e.windowStart, period_ends_at: e.windowEnd,
  };
}

const Params = Type.Object({ spend_limit_id: Id });

export function registerSpendLimitRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/spend_limits", {
    config: { access: "spend_limits:write" },
    schema: { tags: ["spend limits"], body: Body({ scope: ScopeSchema, amount: Amount, period: Type.Optional(Period) }), response: { 200: SpendLimitSchema } },
  }, async (request) => presentSpendLimit(await setSpendLimit(deps, ctx(request), { scope: request.body.scope as SpendScope, amount: request.body.amount, period: request.body.period ?? "monthly" })));
  app.get("/v1/organizations/spend_limits", {
    config: { access: "spend_limits:read" },
    schema: {
      tags: ["spend limits"],
      querystring: Query({ ...CursorQueryProps, scope_type: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })), workspace_id: Type.Optional(Id) }),
      response: { 200: CursorPageOf(SpendLimitSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const all = await listSpendLimits(deps, ctx(request), { scopeTypes: q.scope_type, workspaceId: q.workspace_id });
    const page = toCursorPage(all, q);
    return { ...page, data: page.data.map(presentSpendLimit) };
  });
  app.get("/v1/organizations/spend_limits/effective", {
    config: { access: "spend_limits:read" },
    schema: { tags: ["spend limits"], querystring: Query(CursorQueryProps) },
  }, async (request) => {
    const page = toCursorPage(await effectiveSpend(deps, ctx(request)), request.query);
    return { ...page, data: page.data.map(presentEffective) };
  });
  app.get("/v1/organizations/spend_limits/:spend_limit_id", {
    config: { access: "spend_limits:read" },
    schema: { tags: ["spend limits"], params: Params, response: { 200: SpendLimitSchema } },
  }, async (request) => presentSpendLimit(await getSpendLimit(deps, ctx(request), request.params.spend_limit_id)));
  app.delete("/v1/organizations/spend_limits/:spend_limit_id", {
    config: { access: "spend_limits:write" },
    schema: { tags: ["spend limits"], params: Params, response: { 200: Type.Object({ id: Type.String(), type: Type.Literal("spend_limit_deleted") }) } },
  }, async (request) => deleteSpendLimit(deps, ctx(request), request.params.spend_limit_id));
}
