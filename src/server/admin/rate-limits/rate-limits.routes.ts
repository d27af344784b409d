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

  // Workspaces (Anthropic's routes) and keys (Gatehouse's addition) share one shape. A key always
  // has effective limits (its tier's), so its entry is always listed with inherited values.
  const scopes = [
    { collection: "workspaces", param: "workspace_id", kind: "workspace_rate_limit", get: getWorkspaceRateLimits, set: setWorkspaceRateLimits, inheritedByDefault: false },
    { collection: "api_keys", param: "api_key_id", kind: "api_key_rate_limit", get: getApiKeyRateLimits, set: setApiKeyRateLimits, inheritedByDefault: true },
  ] as const;
  for (const scope of scopes) {
    const idOfRequest = (request: { params: unknown }) => (request.params as Record<string, string>)[scope.param] as string;
    app.get(`/v1/organizations/${scope.collection}/:${scope.param}/rate_limits`, {
      config: { access: "rate_limits:read" },
      schema: { tags: ["rate limits"], params: Type.Object({ [scope.param]: Id }), querystring: ListQuery },
    }, async (request) => {
      const id = idOfRequest(request);
      const entry = scopedEntry(scope.kind, { [scope.param]: id }, await scope.get(deps, ctx(request), id), request.query.include_inherited ?? scope.inheritedByDefault);
      return toCursorPage(entry.limits.length > 0 || scope.inheritedByDefault ? [entry] : [], request.query);
    });
    app.post(`/v1/organizations/${scope.collection}/:${scope.param}/rate_limits/:rate_limit_id`, {
      config: { access: "rate_limits:write" },
      schema: { tags: ["rate limits"], params: Type.Object({ [scope.param]: Id, rate_limit_id: Type.String({ maxLength: 64 }) }), body: LimitsBody },
    }, async (request) => {
      const id = idOfRequest(request);
      const limits = await scope.set(deps, ctx(request), id, (request.params as { rate_limit_id: string }).rate_limit_id, request.body.limits);
      return scopedEntry(scope.kind, { [scope.param]: id }, limits, scope.inheritedByDefault);
    });
  }
}
