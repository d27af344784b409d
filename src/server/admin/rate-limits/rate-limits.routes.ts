import { Type } from "typebox";
import type { ServiceDeps } from "../../../services/context.js";
import {
  type EffectiveLimit, MESSAGES_GROUP, MESSAGES_RATE_LIMIT_ID, getApiKeyRateLimits, getOrgRateLimits, getWorkspaceRateLimits, setApiKeyRateLimits,
  setOrgRateLimits, setWorkspaceRateLimits,
} from "../../../services/rate-limits.js";
import { type App, ctx } from "../../app.js";
import { Body, CursorQueryProps, Id, Nullable, Query, toCursorPage } from "../../http/schemas.js";

const LimitsBody = Body({
  limits: Type.Array(Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }), value: Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 })) }, { additionalProperties: false }), { minItems: 1, maxItems: 16 }),
});
const LimitsBodyWithId = Body({ ...LimitsBody.properties, rate_limit_id: Type.Optional(Type.String({ maxLength: 64 })) });

function orgEntry(limits: Partial<Record<string, number>>) {
  return {
    type: "rate_limit", id: MESSAGES_RATE_LIMIT_ID, group: MESSAGES_GROUP, models: null,
    limits: Object.entries(limits).map(([type, value]) => ({ type, value })),
  };
}

function scopedEntry(kind: "workspace_rate_limit" | "api_key_rate_limit", idField: Record<string, string>, limits: EffectiveLimit[], includeInherited: boolean) {
  const shown = includeInherited ? limits : limits.filter((l) => l.source === "workspace" || l.source === "api_key");
  return {
    type: kind, rate_limit_id: MESSAGES_RATE_LIMIT_ID, ...idField, group: MESSAGES_GROUP, models: null,
    limits: shown.map((l) => ({ type: l.type, value: l.value, org_limit: l.parent, source: { type: l.source } })),
  };
}

const ListQuery = Query({ ...CursorQueryProps, include_inherited: Type.Optional(Type.Boolean()), group_type: Type.Optional(Type.String({ maxLength: 32 })) });

export function registerRateLimitRoutes(app: App, deps: ServiceDeps): void {
  app.get("/v1/organizations/rate_limits", {
    config: { access: "rate_limits:read" },
    schema: { tags: ["rate limits"], querystring: Query({ ...CursorQueryProps, group_type: Type.Optional(Type.String({ maxLength: 32 })), model: Type.Optional(Type.String({ maxLength: 128 })) }) },
  }, async (request) => toCursorPage([orgEntry(await getOrgRateLimits(deps, ctx(request)))], request.query));
  app.post("/v1/organizations/rate_limits", {
    config: { access: "rate_limits:write" },
    schema: { tags: ["rate limits"], body: LimitsBodyWithId },
  }, async (request) => orgEntry(await setOrgRateLimits(deps, ctx(request), request.body.rate_limit_id ?? MESSAGES_RATE_LIMIT_ID, request.body.limits)));

  const WsParams = Type.Object({ workspace_id: Id });
  app.get("/v1/organizations/workspaces/:workspace_id/rate_limits", {
    config: { access: "rate_limits:read" },
    schema: { tags: ["rate limits"], params: WsParams, querystring: ListQuery },
  }, async (request) => {
    const limits = await getWorkspaceRateLimits(deps, ctx(request), request.params.workspace_id);
    const entry = scopedEntry("workspace_rate_limit", { workspace_id: request.params.workspace_id }, limits, request.query.include_inherited ?? false);
    return toCursorPage(entry.limits.length > 0 ? [entry] : [], request.query);
  });
  app.post("/v1/organizations/workspaces/:workspace_id/rate_limits/:rate_limit_id", {
    config: { access: "rate_limits:write" },
    schema: { tags: ["rate limits"], params: Type.Object({ workspace_id: Id, rate_limit_id: Type.String({ maxLength: 64 }) }), body: LimitsBody },
  }, async (request) => {
    const limits = await setWorkspaceRateLimits(deps, ctx(request), request.params.workspace_id, request.params.rate_limit_id, request.body.limits);
    return scopedEntry("workspace_rate_limit", { workspace_id: request.params.workspace_id }, limits, false);
  });

  const KeyParams = Type.Object({ api_key_id: Id });
  app.get("/v1/organizations/api_keys/:api_key_id/rate_limits", {
    config: { access: "rate_limits:read" },
    schema: { tags: ["rate limits"], params: KeyParams, querystring: ListQuery },
  }, async (request) => {
    const limits = await getApiKeyRateLimits(deps, ctx(request), request.params.api_key_id);
    // A key always has effective limits (its tier's defaults), so its entry is always listed.
    return toCursorPage([scopedEntry("api_key_rate_limit", { api_key_id: request.params.api_key_id }, limits, request.query.include_inherited ?? true)], request.query);
  });
  app.post("/v1/organizations/api_keys/:api_key_id/rate_limits/:rate_limit_id", {
    config: { access: "rate_limits:write" },
    schema: { tags: ["rate limits"], params: Type.Object({ api_key_id: Id, rate_limit_id: Type.String({ maxLength: 64 }) }), body: LimitsBody },
  }, async (request) => {
    const limits = await setApiKeyRateLimits(deps, ctx(request), request.params.api_key_id, request.params.rate_limit_id, request.body.limits);
    return scopedEntry("api_key_rate_limit", { api_key_id: request.params.api_key_id }, limits, true);
  });
}
