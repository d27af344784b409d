import { Type } from "typebox";
import type { Workspace } from "../../../core/domain.js";
import type { ServiceDeps } from "../../../services/context.js";
import { rotationPolicyOf, archiveWorkspace, createWorkspace, getWorkspace, listWorkspaces, updateWorkspace } from "../../../services/workspaces.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Name, Nullable, PageOf, PageQueryProps, Query, SpendSchema, idOf, pageRequest, toPage } from "../../http/schemas.js";
import { monthToDate, presentMonthToDate } from "../../../services/spend-limits.js";

const Environment = Type.String({ minLength: 1, maxLength: 32, pattern: "^[a-z][a-z0-9_-]*$" });
const Color = Type.String({ pattern: "^#[0-9a-fA-F]{6}$" });
/** Tag map: up to 50 entries; keys may not start with `anthropic` (as in Anthropic's API). */
const Tags = Type.Unsafe<Record<string, string>>({
  type: "object",
  propertyNames: { minLength: 1, maxLength: 64, pattern: "^(?!anthropic)" },
  additionalProperties: { type: "string", maxLength: 256 },
  maxProperties: 50,
});

const RotationPolicyBody = Type.Object({
  max_key_age_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  action: Type.Optional(Type.Union([Type.Literal("notify"), Type.Literal("disable")])),
}, { additionalProperties: false });

export const WorkspaceSchema = Type.Object({
  id: Type.String(), type: Type.Literal("workspace"), name: Type.String(), environment: Type.String(), display_color: Type.String(),
  created_at: Type.String(), archived_at: Nullable(Type.String()), tags: Type.Record(Type.String(), Type.String()),
  data_residency: Type.Object({ workspace_geo: Type.String(), allowed_inference_geos: Type.String(), default_inference_geo: Type.String() }),
  compartment_id: Nullable(Type.String()), external_key_id: Nullable(Type.String()), user_profile_id: Nullable(Type.String()),
  rotation_policy: Type.Object({ max_key_age_days: Type.Integer(), action: Type.String() }),
  spend: Type.Optional(SpendSchema),
});

export function presentWorkspace(w: Workspace) {
  return {
    id: w.id, type: "workspace" as const, name: w.name, environment: w.environment, display_color: w.display_color,
    created_at: w.created_at, archived_at: w.archived_at, tags: w.tags,
    data_residency: { workspace_geo: "us", allowed_inference_geos: "unrestricted", default_inference_geo: "global" },
    compartment_id: null, external_key_id: null, user_profile_id: null, rotation_policy: rotationPolicyOf(w),
  };
}

const Params = Type.Object({ workspace_id: Id });

export function registerWorkspaceRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/workspaces", {
    config: { access: "workspaces:create" },
    schema: { tags: ["workspaces"], body: Body({ name: Name, environment: Type.Optional(Environment), display_color: Type.Optional(Color), tags: Type.Optional(Tags), rotation_policy: Type.Optional(RotationPolicyBody) }), response: { 200: WorkspaceSchema } },
  }, async (request) => presentWorkspace(await createWorkspace(deps, ctx(request), request.body)));
  app.get("/v1/organizations/workspaces", {
    config: { access: "workspaces:read" },
    schema: {
      tags: ["workspaces"],
      querystring: Query({ ...PageQueryProps, include_archived: Type.Optional(Type.Boolean()), ids: Type.Optional(Type.Array(Id, { maxItems: 100 })) }),
      response: { 200: PageOf(WorkspaceSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const c = ctx(request);
    const result = await listWorkspaces(deps, c, { includeArchived: q.include_archived ?? false, ids: q.ids }, pageRequest(q));
    const spend = await monthToDate(deps, c.principal.orgId, "workspace", result.data.map((w) => w.id));
    return toPage(result, (w) => ({ ...presentWorkspace(w), spend: presentMonthToDate(spend.get(w.id)) }), idOf);
  });
  app.get("/v1/organizations/workspaces/:workspace_id", {
    config: { access: "workspaces:read" },
    schema: { tags: ["workspaces"], params: Params, response: { 200: WorkspaceSchema } },
  }, async (request) => {
    const c = ctx(request);
    const w = await getWorkspace(deps, c, request.params.workspace_id);
    const spend = await monthToDate(deps, c.principal.orgId, "workspace", [w.id]);
    return { ...presentWorkspace(w), spend: presentMonthToDate(spend.get(w.id)) };
  });
  app.post("/v1/organizations/workspaces/:workspace_id", {
    config: { access: "workspaces:update" },
    schema: { tags: ["workspaces"], params: Params, body: Body({ name: Type.Optional(Name), display_color: Type.Optional(Color), tags: Type.Optional(Tags), rotation_policy: Type.Optional(RotationPolicyBody) }), response: { 200: WorkspaceSchema } },
  }, async (request) => presentWorkspace(await updateWorkspace(deps, ctx(request), request.params.workspace_id, request.body)));
  app.post("/v1/organizations/workspaces/:workspace_id/archive", {
    config: { access: "workspaces:archive" },
    schema: { tags: ["workspaces"], params: Params, response: { 200: WorkspaceSchema } },
  }, async (request) => presentWorkspace(await archiveWorkspace(deps, ctx(request), request.params.workspace_id)));
}
