import { Type } from "typebox";
import type { User } from "../../../core/domain.js";
import { ORG_ROLES } from "../../../core/rbac.js";
import type { ServiceDeps } from "../../../services/context.js";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../../services/users.js";
import { type App, ctx } from "../../app.js";
import { Body, Email, Id, Name, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";

export const OrgRoleSchema = Type.Union(ORG_ROLES.map((r) => Type.Literal(r)));

export const UserSchema = Type.Object({
  id: Type.String(), type: Type.Literal("user"), email: Type.String(), name: Type.String(), role: Type.String(),
  added_at: Type.String(), status: Type.String(),
});

export function presentUser(u: User) {
  return { id: u.id, type: "user" as const, email: u.email, name: u.name, role: u.role, added_at: u.added_at, status: u.status };
}

const Params = Type.Object({ user_id: Id });

export function registerUserRoutes(app: App, deps: ServiceDeps): void {
  app.get("/v1/organizations/users", {
    config: { access: "users:read" },
    schema: { tags: ["users"], querystring: Query({ ...PageQueryProps, email: Type.Optional(Email), roles: Type.Optional(Type.Array(OrgRoleSchema, { maxItems: 10 })) }), response: { 200: PageOf(UserSchema) } },
  }, async (request) => {
    const q = request.query;
    return toPage(await listUsers(deps, ctx(request), { email: q.email?.toLowerCase(), roles: q.roles }, pageRequest(q)), presentUser, idOf);
  });
  app.post("/v1/organizations/users", {
    config: { access: "users:write" },
    schema: { tags: ["users"], body: Body({ email: Email, name: Name, role: OrgRoleSchema }), response: { 201: UserSchema } },
  }, async (request, reply) => {
    return reply.code(201).send(presentUser(await createUser(deps, ctx(request), request.body)));
  });
  app.get("/v1/organizations/users/:user_id", {
    config: { access: "users:read" },
    schema: { tags: ["users"], params: Params, response: { 200: UserSchema } },
  }, async (request) => presentUser(await getUser(deps, ctx(request), request.params.user_id)));
  app.post("/v1/organizations/users/:user_id", {
    config: { access: "users:write" },
    schema: { tags: ["users"], params: Params, body: Body({ role: Type.Optional(OrgRoleSchema), name: Type.Optional(Name) }), response: { 200: UserSchema } },
  }, async (request) => presentUser(await updateUser(deps, ctx(request), request.params.user_id, request.body)));
  app.delete("/v1/organizations/users/:user_id", {
    config: { access: "users:write" },
    schema: { tags: ["users"], params: Params, response: { 200: Type.Object({ id: Type.String(), type: Type.Literal("user_deleted") }) } },
  }, async (request) => deleteUser(deps, ctx(request), request.params.user_id));
}
