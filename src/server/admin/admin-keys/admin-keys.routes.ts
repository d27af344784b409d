import { Type } from "typebox";
import type { AdminKey } from "../../../core/domain.js";
import { createAdminKey, getAdminKey, listAdminKeys, revokeAdminKey } from "../../../services/admin-keys.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Name, Nullable, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";
import { OrgRoleSchema } from "../users/users.routes.js";

const AdminKeySchema = Type.Object({
  id: Type.String(), type: Type.Literal("admin_key"), name: Type.String(), role: Type.String(), user_id: Nullable(Type.String()),
  status: Type.String(), partial_key_hint: Type.String(), created_at: Type.String(), created_by: Nullable(Type.Object({ id: Type.String() })),
  last_used_at: Nullable(Type.String()), revoked_at: Nullable(Type.String()),
});

function presentAdminKey(k: AdminKey) {
  return {
    id: k.id, type: "admin_key" as const, name: k.name, role: k.role, user_id: k.user_id, status: k.status, partial_key_hint: k.hint,
    created_at: k.created_at, created_by: k.created_by_id === null ? null : { id: k.created_by_id }, last_used_at: k.last_used_at, revoked_at: k.revoked_at,
  };
}

const Params = Type.Object({ admin_key_id: Id });

export function registerAdminKeyRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/admin_keys", {
    config: { access: "admin_keys:write" },
    schema: {
      tags: ["admin keys"], body: Body({ name: Name, role: Type.Optional(OrgRoleSchema), user_id: Type.Optional(Id) }),
      response: { 201: Type.Intersect([AdminKeySchema, Type.Object({ secret: Type.String() })]) },
    },
  }, async (request, reply) => {
    const { key, secret } = await createAdminKey(deps, ctx(request), request.body);
    return reply.code(201).send({ ...presentAdminKey(key), secret });
  });
  app.get("/v1/organizations/admin_keys", {
    config: { access: "admin_keys:read" },
    schema: { tags: ["admin keys"], querystring: Query(PageQueryProps), response: { 200: PageOf(AdminKeySchema) } },
  }, async (request) => toPage(await listAdminKeys(deps, ctx(request), pageRequest(request.query)), presentAdminKey, idOf));
  app.get("/v1/organizations/admin_keys/:admin_key_id", {
    config: { access: "admin_keys:read" },
    schema: { tags: ["admin keys"], params: Params, response: { 200: AdminKeySchema } },
  }, async (request) => presentAdminKey(await getAdminKey(deps, ctx(request), request.params.admin_key_id)));
  app.post("/v1/organizations/admin_keys/:admin_key_id/revoke", {
    config: { access: "admin_keys:write" },
    schema: { tags: ["admin keys"], params: Params, response: { 200: AdminKeySchema } },
  }, async (request) => presentAdminKey(await revokeAdminKey(deps, ctx(request), request.params.admin_key_id)));
}
