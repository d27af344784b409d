import { Type } from "typebox";
import type { User } from "../../../core/domain.js";
import { ORG_ROLES } from "../../../core/rbac.js";
import { DomainError } from "../../../core/errors.js";
import type { ServiceDeps } from "../../../services/context.js";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "../../../services/users.js";
import { offboardUser } from "../../../services/offboarding.js";
import { type App, ctx } from "../../app.js";
import { Body, Email, Id, Name, Nullable, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";

export const OrgRoleSchema = Type.Union(ORG_ROLES.map((r) => Type.Literal(r)));

export const UserSchema = Type.Object({
  id: Type.String(), type: Type.Literal("user"), email: Type.String(), name: Type.String(), role: Type.String(),
  added_at: Type.String(), status: Type.String(), external_id: Type.Optional(Nullable(Type.String())),
});

const OffboardingReportSchema = Type.Object({
  type: Type.Literal("offboarding_report"), user_id: Type.String(), email: Type.String(), status_before: Type.String(), status: Type.String(),
  api_keys_policy: Type.String(), memberships_removed: Type.Array(Type.String()), scim_groups_left: Type.Array(Type.String()),
  admin_keys_revoked: Type.Array(Type.String()), api_keys_revoked: Type.Array(Type.String()),
  api_keys_transferred: Type.Array(Type.Object({ id: Type.String(), to_user_id: Type.String() })),
  console_sessions_revoked: Type.Integer(), completed_at: Type.String(),
});

export function presentUser(u: User) {
  return { id: u.id, type: "user" as const, email: u.email, name: u.name, role: u.role, added_at: u.added_at, status: u.status, external_id: u.external_id };
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
  app.post("/v1/organizations/users/:user_id/offboard", {
    config: { access: "users:write" },
    schema: {
      tags: ["users"], params: Params,
      body: Body({ api_keys: Type.Union([Type.Literal("revoke"), Type.Literal("transfer")]), transfer_to_user_id: Type.Optional(Id) }),
      response: { 200: OffboardingReportSchema },
    },
  }, async (request) => {
    const b = request.body;
    if (b.api_keys === "transfer" && b.transfer_to_user_id === undefined) throw new DomainError("validation_failed", "transfer_to_user_id is required when api_keys is \"transfer\"");
    return offboardUser(deps, ctx(request), request.params.user_id, { api_keys: b.api_keys, transfer_to_user_id: b.transfer_to_user_id ?? null });
  });
}
