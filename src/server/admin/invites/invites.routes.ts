import { Type } from "typebox";
import type { Invite } from "../../../core/domain.js";
import type { ServiceDeps } from "../../../services/context.js";
import { acceptInvite, createInvite, deleteInvite, getInvite, inviteStatus, listInvites } from "../../../services/invites.js";
import { type App, ctx, requestMeta } from "../../app.js";
import { Body, Email, Id, Name, Nullable, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";
import { OrgRoleSchema, UserSchema, presentUser } from "../users/users.routes.js";

const InviteSchema = Type.Object({
  id: Type.String(), type: Type.Literal("invite"), email: Type.String(), role: Type.String(), status: Type.String(),
  invited_at: Type.String(), expires_at: Type.String(), accepted_at: Nullable(Type.String()), rbac_group_ids: Type.Array(Type.String()),
});

function presenter(now: Date) {
  return (i: Invite) => ({
    id: i.id, type: "invite" as const, email: i.email, role: i.role, status: inviteStatus(i, now), invited_at: i.invited_at,
    expires_at: i.expires_at, accepted_at: i.accepted_at, rbac_group_ids: [] as string[],
  });
}

const Params = Type.Object({ invite_id: Id });
const InviteStatus = Type.Union(["pending", "accepted", "expired", "deleted"].map((s) => Type.Literal(s)));

export function registerInviteRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/invites", {
    config: { access: "invites:write" },
    schema: {
      tags: ["invites"],
      body: Body({ email: Email, role: OrgRoleSchema, rbac_group_ids: Type.Optional(Type.Array(Id, { maxItems: 0 })) }),
      response: { 200: Type.Intersect([InviteSchema, Type.Object({ accept_token: Type.String() })]) },
    },
  }, async (request) => {
    const { invite, token } = await createInvite(deps, ctx(request), { email: request.body.email, role: request.body.role });
    return { ...presenter(deps.clock.now())(invite), accept_token: token };
  });
  app.get("/v1/organizations/invites", {
    config: { access: "invites:read" },
    schema: {
      tags: ["invites"],
      querystring: Query({ ...PageQueryProps, email: Type.Optional(Email), roles: Type.Optional(Type.Array(OrgRoleSchema, { maxItems: 10 })), statuses: Type.Optional(Type.Array(InviteStatus, { maxItems: 4 })) }),
      response: { 200: PageOf(InviteSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const result = await listInvites(deps, ctx(request), { email: q.email?.toLowerCase(), roles: q.roles, statuses: q.statuses }, pageRequest(q));
    return toPage(result, presenter(deps.clock.now()), idOf);
  });
  app.get("/v1/organizations/invites/:invite_id", {
    config: { access: "invites:read" },
    schema: { tags: ["invites"], params: Params, response: { 200: InviteSchema } },
  }, async (request) => presenter(deps.clock.now())(await getInvite(deps, ctx(request), request.params.invite_id)));
  app.delete("/v1/organizations/invites/:invite_id", {
    config: { access: "invites:write" },
    schema: { tags: ["invites"], params: Params, response: { 200: Type.Object({ id: Type.String(), type: Type.Literal("invite_deleted") }) } },
  }, async (request) => deleteInvite(deps, ctx(request), request.params.invite_id));
  // Public: the invitee proves the invite with its single-use token.
  app.post("/v1/invites/accept", {
    config: { access: "public" },
    schema: { tags: ["invites"], body: Body({ token: Type.String({ minLength: 1, maxLength: 128 }), name: Name }), response: { 201: UserSchema } },
  }, async (request, reply) => reply.code(201).send(presentUser(await acceptInvite(deps, requestMeta(request), request.body))));
}
