import { Type } from "typebox";
import { type ApiKey, effectiveKeyStatus } from "../../../core/domain.js";
import { createApiKey, getApiKey, listApiKeys, updateApiKey } from "../../../services/api-keys.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Name, Nullable, PageOf, PageQueryProps, Query, SpendSchema, Timestamp, idOf, pageRequest, toPage } from "../../http/schemas.js";
import { monthToDate, presentMonthToDate } from "../../../services/spend-limits.js";
import { type RotationInfo, completeRotation, rotateApiKey, rotationInfo } from "../../../services/rotation.js";
import { MAX_GRACE_SECONDS } from "../../../core/rotation.js";

const Models = Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }));
const Cidrs = Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 }));
const Tier = Type.Integer({ minimum: 1, maximum: 4 });

export const ApiKeySchema = Type.Object({
  id: Type.String(), type: Type.Literal("api_key"), name: Type.String(), status: Type.String(),
  workspace_id: Type.String(), scope: Type.Object({ type: Type.Literal("workspace"), workspace_id: Type.String() }),
  created_at: Type.String(), created_by: Nullable(Type.Object({ id: Type.String(), type: Type.String() })),
  partial_key_hint: Type.String(), expires_at: Nullable(Type.String()),
  principal: Nullable(Type.Object({ type: Type.Literal("user_actor"), user_id: Type.String() })),
  owner_user_id: Nullable(Type.String()), tier: Type.Integer(), allowed_models: Models, allowed_cidrs: Cidrs,
  last_used_at: Nullable(Type.String()), rotated_from: Nullable(Type.String()), rotated_to: Nullable(Type.String()), rotated_at: Nullable(Type.String()),
  rotation_status: Type.Optional(Type.String()), rotation_due_at: Type.Optional(Type.String()),
  rotation_grace: Type.Optional(Nullable(Type.Object({
    rotated_at: Type.String(), ends_at: Nullable(Type.String()), requests_since_rotation: Type.Integer(), last_used_at: Nullable(Type.String()),
  }))),
  spend: Type.Optional(SpendSchema),
});

export function presentApiKey(now: Date) {
  return (k: ApiKey) => ({
    id: k.id, type: "api_key" as const, name: k.name, status: effectiveKeyStatus(k, now), workspace_id: k.workspace_id,
    scope: { type: "workspace" as const, workspace_id: k.workspace_id }, created_at: k.created_at,
    created_by: k.created_by_id === null ? null : { id: k.created_by_id, type: k.created_by_type },
    partial_key_hint: k.hint, expires_at: k.expires_at,
    principal: k.owner_user_id === null ? null : { type: "user_actor" as const, user_id: k.owner_user_id },
    owner_user_id: k.owner_user_id, tier: k.tier, allowed_models: k.allowed_models, allowed_cidrs: k.allowed_cidrs,
    last_used_at: k.last_used_at, rotated_from: k.rotated_from, rotated_to: k.rotated_to, rotated_at: k.rotated_at,
  });
}

function presentRotation(info: RotationInfo | undefined) {
  return info === undefined ? {} : { rotation_status: info.rotation_status, rotation_due_at: info.rotation_due_at, rotation_grace: info.grace };
}

const Params = Type.Object({ api_key_id: Id });
const StatusFilter = Type.Union(["active", "inactive", "archived", "expired"].map((s) => Type.Literal(s)));

export function registerApiKeyRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/api_keys", {
    config: { access: "api_keys:write" },
    schema: {
      tags: ["api keys"],
      body: Body({
        name: Name, workspace_id: Id, owner_user_id: Type.Optional(Id), expires_at: Type.Optional(Nullable(Timestamp)),
        tier: Type.Optional(Tier), allowed_models: Type.Optional(Models), allowed_cidrs: Type.Optional(Cidrs),
      }),
      response: { 201: Type.Intersect([ApiKeySchema, Type.Object({ secret: Type.String() })]) },
    },
  }, async (request, reply) => {
    const { key, secret } = await createApiKey(deps, ctx(request), request.body);
    return reply.code(201).send({ ...presentApiKey(deps.clock.now())(key), secret });
  });
  app.get("/v1/organizations/api_keys", {
    config: { access: "api_keys:read" },
    schema: {
      tags: ["api keys"],
      querystring: Query({ ...PageQueryProps, status: Type.Optional(StatusFilter), workspace_id: Type.Optional(Id), created_by_user_id: Type.Optional(Id) }),
      response: { 200: PageOf(ApiKeySchema) },
    },
  }, async (request) => {
    const q = request.query;
    const c = ctx(request);
    const result = await listApiKeys(deps, c, { status: q.status, workspaceId: q.workspace_id, createdByUserId: q.created_by_user_id }, pageRequest(q));
    const spend = await monthToDate(deps, c.principal.orgId, "api_key", result.data.map((k) => k.id));
    const rotation = await rotationInfo(deps, c.principal.orgId, result.data);
    const present = presentApiKey(deps.clock.now());
    return toPage(result, (k) => ({ ...present(k), ...presentRotation(rotation.get(k.id)), spend: presentMonthToDate(spend.get(k.id)) }), idOf);
  });
  app.get("/v1/organizations/api_keys/:api_key_id", {
    config: { access: "api_keys:read" },
    schema: { tags: ["api keys"], params: Params, response: { 200: ApiKeySchema } },
  }, async (request) => {
    const c = ctx(request);
    const key = await getApiKey(deps, c, request.params.api_key_id);
    const spend = await monthToDate(deps, c.principal.orgId, "api_key", [key.id]);
    const rotation = await rotationInfo(deps, c.principal.orgId, [key]);
    return { ...presentApiKey(deps.clock.now())(key), ...presentRotation(rotation.get(key.id)), spend: presentMonthToDate(spend.get(key.id)) };
  });
  app.post("/v1/organizations/api_keys/:api_key_id", {
    config: { access: "api_keys:write" },
    schema: {
      tags: ["api keys"], params: Params,
      body: Body({
        name: Type.Optional(Name), status: Type.Optional(Type.Union(["active", "inactive", "archived"].map((s) => Type.Literal(s)))),
        owner_user_id: Type.Optional(Id), allowed_models: Type.Optional(Models), allowed_cidrs: Type.Optional(Cidrs), tier: Type.Optional(Tier),
      }),
      response: { 200: ApiKeySchema },
    },
  }, async (request) => {
    const body = request.body as Parameters<typeof updateApiKey>[3];
    return presentApiKey(deps.clock.now())(await updateApiKey(deps, ctx(request), request.params.api_key_id, body));
  });
  app.post("/v1/organizations/api_keys/:api_key_id/rotate", {
    config: { access: "api_keys:write" },
    schema: {
      tags: ["api keys"], params: Params,
      body: Body({ grace_period_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_SECONDS })) }),
      response: { 200: Type.Intersect([ApiKeySchema, Type.Object({ secret: Type.String(), previous_key: ApiKeySchema })]) },
    },
  }, async (request) => {
    const body = (request.body ?? {}) as { grace_period_seconds?: number };
    const { key, secret, previous } = await rotateApiKey(deps, ctx(request), request.params.api_key_id, body.grace_period_seconds ?? 0);
    const present = presentApiKey(deps.clock.now());
    return { ...present(key), secret, previous_key: present(previous) };
  });
  app.post("/v1/organizations/api_keys/:api_key_id/rotate/complete", {
    config: { access: "api_keys:write" },
    schema: { tags: ["api keys"], params: Params, response: { 200: ApiKeySchema } },
  }, async (request) => presentApiKey(deps.clock.now())(await completeRotation(deps, ctx(request), request.params.api_key_id)));
}
