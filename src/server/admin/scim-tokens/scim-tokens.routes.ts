import { Type } from "typebox";
import type { ScimToken } from "../../../core/domain.js";
import type { ServiceDeps } from "../../../services/context.js";
import { createScimToken, listScimTokens, revokeScimToken } from "../../../services/scim.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Name, Nullable, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";

const ScimTokenSchema = Type.Object({
  id: Type.String(), type: Type.Literal("scim_token"), name: Type.String(), partial_key_hint: Type.String(), status: Type.String(),
  created_at: Type.String(), created_by: Nullable(Type.String()), last_used_at: Nullable(Type.String()), revoked_at: Nullable(Type.String()),
});

function presentToken(t: ScimToken) {
  return {
    id: t.id, type: "scim_token" as const, name: t.name, partial_key_hint: t.hint, status: t.revoked_at === null ? "active" : "revoked",
    created_at: t.created_at, created_by: t.created_by_id, last_used_at: t.last_used_at, revoked_at: t.revoked_at,
  };
}

export function registerScimTokenRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/scim_tokens", {
    config: { access: "scim_tokens:write" },
    schema: { tags: ["scim"], body: Body({ name: Name }), response: { 201: Type.Intersect([ScimTokenSchema, Type.Object({ secret: Type.String() })]) } },
  }, async (request, reply) => {
    const { token, secret } = await createScimToken(deps, ctx(request), request.body);
    return reply.code(201).send({ ...presentToken(token), secret });
  });
  app.get("/v1/organizations/scim_tokens", {
    config: { access: "scim_tokens:read" },
    schema: { tags: ["scim"], querystring: Query(PageQueryProps), response: { 200: PageOf(ScimTokenSchema) } },
  }, async (request) => toPage(await listScimTokens(deps, ctx(request), pageRequest(request.query)), presentToken, idOf));
  app.post("/v1/organizations/scim_tokens/:scim_token_id/revoke", {
    config: { access: "scim_tokens:write" },
    schema: { tags: ["scim"], params: Type.Object({ scim_token_id: Id }), response: { 200: ScimTokenSchema } },
  }, async (request) => presentToken(await revokeScimToken(deps, ctx(request), request.params.scim_token_id)));
}
