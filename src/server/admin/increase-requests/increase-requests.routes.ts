import { Type } from "typebox";
import type { IncreaseRequest } from "../../../core/domain.js";
import { SPEND_PERIODS } from "../../../core/limits.js";
import type { ServiceDeps } from "../../../services/context.js";
import { approveIncreaseRequest, createIncreaseRequest, denyIncreaseRequest, getIncreaseRequest, listIncreaseRequests, spendSummary } from "../../../services/increase-requests.js";
import { type App, ctx } from "../../app.js";
import { Body, CursorPageOf, CursorQueryProps, Id, Nullable, Query, toCursorPage } from "../../http/schemas.js";
import { presentSpendLimit } from "../spend-limits/spend-limits.routes.js";

const Period = Type.Union(SPEND_PERIODS.map((p) => Type.Literal(p)));
const Status = Type.Union(["pending", "approved", "denied"].map((s) => Type.Literal(s)));
const Actor = Type.Record(Type.String(), Type.Unknown());

const IncreaseRequestSchema = Type.Object({
  id: Type.String(), type: Type.Literal("spend_limit_increase_request"), actor: Actor, created_at: Type.String(), period: Type.String(),
  status: Type.String(), resolved_at: Nullable(Type.String()), resolved_by: Nullable(Actor), spend_summary: Nullable(Type.Record(Type.String(), Type.Unknown())),
  scope: Type.Record(Type.String(), Type.Unknown()), api_key_id: Nullable(Type.String()), reason: Nullable(Type.String()),
});

async function present(deps: ServiceDeps, r: IncreaseRequest) {
  const user = await deps.store.users.get(r.org_id, r.user_id);
  return {
    id: r.id, type: "spend_limit_increase_request" as const,
    actor: { type: "user_actor", user_id: r.user_id, name: user?.name ?? null, email_address: user?.email ?? null, deleted: user === null },
    created_at: r.created_at, period: r.period, status: r.status, resolved_at: r.resolved_at,
    resolved_by: r.resolved_by_id === null ? null : r.resolved_by_type === "user" ? { type: "user_actor", user_id: r.resolved_by_id } : { type: "admin_key_actor", admin_key_id: r.resolved_by_id },
    spend_summary: await spendSummary(deps, r),
    scope: r.scope_type === "api_key" ? { type: "api_key", api_key_id: r.scope_id } : { type: "user", user_id: r.scope_id }, api_key_id: r.api_key_id, reason: r.reason,
  };
}

const Params = Type.Object({ request_id: Id });
const Suppress = { suppress_notification: Type.Optional(Type.Boolean()) };

export function registerIncreaseRequestRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/spend_limit_increase_requests", {
    config: { access: "spend_requests:create" },
    schema: {
      tags: ["spend limits"],
      body: Body({ period: Type.Optional(Period), api_key_id: Type.Optional(Id), user_id: Type.Optional(Id), reason: Type.Optional(Type.String({ maxLength: 1000 })) }),
      response: { 201: IncreaseRequestSchema },
    },
  }, async (request, reply) => {
    const b = request.body;
    return reply.code(201).send(await present(deps, await createIncreaseRequest(deps, ctx(request), { period: b.period ?? "monthly", api_key_id: b.api_key_id, user_id: b.user_id, reason: b.reason })));
  });
  app.get("/v1/organizations/spend_limit_increase_requests", {
    config: { access: "spend_limits:read" },
    schema: {
      tags: ["spend limits"],
      querystring: Query({ ...CursorQueryProps, actor_ids: Type.Optional(Type.Array(Id, { maxItems: 100 })), status: Type.Optional(Type.Array(Status, { maxItems: 3 })) }),
      response: { 200: CursorPageOf(IncreaseRequestSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const page = toCursorPage(await listIncreaseRequests(deps, ctx(request), { userIds: q.actor_ids, statuses: q.status }), q);
    return { ...page, data: await Promise.all(page.data.map((r) => present(deps, r))) };
  });
  app.get("/v1/organizations/spend_limit_increase_requests/:request_id", {
    config: { access: "spend_limits:read" },
    schema: { tags: ["spend limits"], params: Params, response: { 200: IncreaseRequestSchema } },
  }, async (request) => present(deps, await getIncreaseRequest(deps, ctx(request), request.params.request_id)));
  app.post("/v1/organizations/spend_limit_increase_requests/:request_id/approve", {
    config: { access: "spend_limits:write" },
    schema: {
      tags: ["spend limits"], params: Params,
      body: Body({ amount: Type.String({ pattern: "^(0|[1-9][0-9]{0,13})$" }), period: Type.Optional(Period), ...Suppress }),
      response: { 200: Type.Intersect([IncreaseRequestSchema, Type.Object({ spend_limit: Nullable(Type.Record(Type.String(), Type.Unknown())) })]) },
    },
  }, async (request) => {
    const { request: r, spendLimit } = await approveIncreaseRequest(deps, ctx(request), request.params.request_id, request.body);
    return { ...(await present(deps, r)), spend_limit: presentSpendLimit(spendLimit) };
  });
  app.post("/v1/organizations/spend_limit_increase_requests/:request_id/deny", {
    config: { access: "spend_limits:write" },
    schema: { tags: ["spend limits"], params: Params, body: Type.Optional(Nullable(Body(Suppress))), response: { 200: IncreaseRequestSchema } },
  }, async (request) => present(deps, await denyIncreaseRequest(deps, ctx(request), request.params.request_id, request.body ?? {})));
}
