import { Type } from "typebox";
import type { WorkspaceMember } from "../../../core/domain.js";
import { WORKSPACE_ROLES } from "../../../core/rbac.js";
import type { ServiceDeps } from "../../../services/context.js";
import { addMember, getMember, listMembers, removeMember, updateMember } from "../../../services/members.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, PageOf, PageQueryProps, Query, pageRequest, toPage } from "../../http/schemas.js";

const WorkspaceRoleSchema = Type.Union(WORKSPACE_ROLES.map((r) => Type.Literal(r)));
const MemberSchema = Type.Object({ type: Type.Literal("workspace_member"), user_id: Type.String(), workspace_id: Type.String(), workspace_role: Type.String() });

function presentMember(m: WorkspaceMember) {
  return { type: "workspace_member" as const, user_id: m.user_id, workspace_id: m.workspace_id, workspace_role: m.workspace_role };
}

const WsParams = Type.Object({ workspace_id: Id });
const Params = Type.Object({ workspace_id: Id, user_id: Id });

export function registerMemberRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/workspaces/:workspace_id/members", {
    config: { access: "members:write" },
    schema: { tags: ["workspace members"], params: WsParams, body: Body({ user_id: Id, workspace_role: WorkspaceRoleSchema }), response: { 200: MemberSchema } },
  }, async (request) => presentMember(await addMember(deps, ctx(request), request.params.workspace_id, request.body)));
  app.get("/v1/organizations/workspaces/:workspace_id/members", {
    config: { access: "members:read" },
    schema: { tags: ["workspace members"], params: WsParams, querystring: Query(PageQueryProps), response: { 200: PageOf(MemberSchema) } },
  }, async (request) => toPage(await listMembers(deps, ctx(request), request.params.workspace_id, pageRequest(request.query)), presentMember, (m) => m.user_id));
  app.get("/v1/organizations/workspaces/:workspace_id/members/:user_id", {
    config: { access: "members:read" },
    schema: { tags: ["workspace members"], params: Params, response: { 200: MemberSchema } },
  }, async (request) => presentMember(await getMember(deps, ctx(request), request.params.workspace_id, request.params.user_id)));
  app.post("/v1/organizations/workspaces/:workspace_id/members/:user_id", {
    config: { access: "members:write" },
    schema: { tags: ["workspace members"], params: Params, body: Body({ workspace_role: WorkspaceRoleSchema }), response: { 200: MemberSchema } },
  }, async (request) => presentMember(await updateMember(deps, ctx(request), request.params.workspace_id, request.params.user_id, request.body.workspace_role)));
  app.delete("/v1/organizations/workspaces/:workspace_id/members/:user_id", {
    config: { access: "members:write" },
    schema: { tags: ["workspace members"], params: Params, response: { 200: Type.Object({ type: Type.Literal("workspace_member_deleted"), user_id: Type.String(), workspace_id: Type.String() }) } },
  }, async (request) => removeMember(deps, ctx(request), request.params.workspace_id, request.params.user_id));
}
