import type { FastifyReply, FastifyRequest } from "fastify";
import type { ScimGroup, User } from "../../core/domain.js";
import {
  SCIM_ENTERPRISE_USER_SCHEMA, SCIM_GATEHOUSE_GROUP_SCHEMA, SCIM_GROUP_SCHEMA, SCIM_LIST_SCHEMA, SCIM_USER_SCHEMA, scimError,
  groupFromResource, groupPatchFromRequest, userFromResource, userPatchFromRequest,
} from "../../core/scim.js";
import type { ServiceDeps } from "../../services/context.js";
import {
  scimCreateGroup, scimCreateUser, scimDeleteGroup, scimDeleteUser, scimGetGroup, scimGetUser, scimListGroups, scimListUsers, scimUpdateGroup, scimUpdateUser,
} from "../../services/scim.js";
import { type App, ctx } from "../app.js";

export const SCIM_CONTENT_TYPE = "application/scim+json";
const BASE = "/scim/v2";

function location(request: FastifyRequest, path: string): string {
  return `${request.protocol}://${request.host}${BASE}${path}`;
}

function presentUser(request: FastifyRequest, u: User) {
  return {
    schemas: [SCIM_USER_SCHEMA], id: u.id, externalId: u.external_id ?? undefined, userName: u.user_name ?? u.email,
    name: { givenName: u.given_name ?? undefined, familyName: u.family_name ?? undefined, formatted: u.name },
    displayName: u.name, emails: [{ value: u.email, type: "work", primary: true }], active: u.status === "active",
    meta: { resourceType: "User", created: u.added_at, lastModified: u.added_at, location: location(request, `/Users/${u.id}`) },
  };
}

function presentGroup(request: FastifyRequest, g: ScimGroup, members: string[]) {
  return {
    schemas: [SCIM_GROUP_SCHEMA, SCIM_GATEHOUSE_GROUP_SCHEMA], id: g.id, externalId: g.external_id ?? undefined, displayName: g.display_name,
    members: members.map((m) => ({ value: m, $ref: location(request, `/Users/${m}`) })),
    [SCIM_GATEHOUSE_GROUP_SCHEMA]: { workspaceId: g.workspace_id, workspaceRole: g.workspace_role },
    meta: { resourceType: "Group", created: g.created_at, lastModified: g.updated_at, location: location(request, `/Groups/${g.id}`) },
  };
}

function list<T>(resources: T[], total: number, startIndex: number) {
  return { schemas: [SCIM_LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header("content-type", SCIM_CONTENT_TYPE).send(body);
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw scimError("validation_failed", "the request body must be a JSON object", "invalidSyntax");
  return b as Record<string, unknown>;
}

function listQuery(request: FastifyRequest) {
  const q = request.query as Record<string, unknown>;
  const int = (v: unknown, what: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw scimError("validation_failed", `${what} must be a non-negative integer`, "invalidValue");
    return n;
  };
  const filter = q.filter;
  if (filter !== undefined && (typeof filter !== "string" || filter.length > 500)) throw scimError("validation_failed", "filter must be a string", "invalidFilter");
  return { filter: filter as string | undefined, startIndex: int(q.startIndex, "startIndex"), count: int(q.count, "count") };
}

const SERVICE_PROVIDER_CONFIG = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
  patch: { supported: true }, bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 200 }, changePassword: { supported: false }, sort: { supported: false }, etag: { supported: false },
  authenticationSchemes: [{ type: "oauthbearertoken", name: "Bearer token", description: "A SCIM token created with POST /v1/organizations/scim_tokens", primary: true }],
  meta: { resourceType: "ServiceProviderConfig", location: "/scim/v2/ServiceProviderConfig" },
};

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ name, type, multiValued: false, required: false, caseExact: false, mutability: "readWrite", returned: "default", uniqueness: "none", ...extra });
const SCHEMAS = [
  {
    id: SCIM_USER_SCHEMA, name: "User", description: "A person of the organization",
    attributes: [
      attr("userName", "string", { required: true, uniqueness: "server" }), attr("externalId", "string"), attr("displayName", "string"), attr("active", "boolean"),
      { ...attr("name", "complex"), subAttributes: [attr("givenName", "string"), attr("familyName", "string"), attr("formatted", "string")] },
      { ...attr("emails", "complex", { multiValued: true }), subAttributes: [attr("value", "string"), attr("type", "string"), attr("primary", "boolean")] },
    ],
    meta: { resourceType: "Schema", location: `/scim/v2/Schemas/${SCIM_USER_SCHEMA}` },
  },
  {
    id: SCIM_GROUP_SCHEMA, name: "Group", description: "A group; `<workspace>:<role>` names grant that workspace role to the members",
    attributes: [attr("displayName", "string", { required: true }), attr("externalId", "string"), { ...attr("members", "complex", { multiValued: true }), subAttributes: [attr("value", "string")] }],
    meta: { resourceType: "Schema", location: `/scim/v2/Schemas/${SCIM_GROUP_SCHEMA}` },
  },
];
const RESOURCE_TYPES = [
  { schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], id: "User", name: "User", endpoint: "/Users", schema: SCIM_USER_SCHEMA, schemaExtensions: [{ schema: SCIM_ENTERPRISE_USER_SCHEMA, required: false }], meta: { resourceType: "ResourceType", location: "/scim/v2/ResourceTypes/User" } },
  { schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], id: "Group", name: "Group", endpoint: "/Groups", schema: SCIM_GROUP_SCHEMA, schemaExtensions: [{ schema: SCIM_GATEHOUSE_GROUP_SCHEMA, required: false }], meta: { resourceType: "ResourceType", location: "/scim/v2/ResourceTypes/Group" } },
];

/**
 * SCIM 2.0 for identity providers (Okta, Entra ID): Users and Groups with a SCIM bearer token.
 * Bodies are parsed by `core/scim` (identity providers send many attributes we do not keep);
 * errors use SCIM's envelope (see `http/errors`).
 */
export function registerScimRoutes(app: App, deps: ServiceDeps): void {
  const opts = { config: { access: "scim" as const }, schema: { hide: true } };
  app.get(`${BASE}/ServiceProviderConfig`, opts, async (_request, reply) => send(reply, 200, SERVICE_PROVIDER_CONFIG));
  app.get(`${BASE}/Schemas`, opts, async (_request, reply) => send(reply, 200, list(SCHEMAS, SCHEMAS.length, 1)));
  app.get(`${BASE}/Schemas/:id`, opts, async (request, reply) => {
    const s = SCHEMAS.find((x) => x.id === (request.params as { id: string }).id);
    if (!s) throw scimError("not_found", "schema not found");
    return send(reply, 200, s);
  });
  app.get(`${BASE}/ResourceTypes`, opts, async (_request, reply) => send(reply, 200, list(RESOURCE_TYPES, RESOURCE_TYPES.length, 1)));
  app.get(`${BASE}/ResourceTypes/:id`, opts, async (request, reply) => {
    const r = RESOURCE_TYPES.find((x) => x.id === (request.params as { id: string }).id);
    if (!r) throw scimError("not_found", "resource type not found");
    return send(reply, 200, r);
  });

  app.get(`${BASE}/Users`, opts, async (request, reply) => {
    const r = await scimListUsers(deps, ctx(request), listQuery(request));
    return send(reply, 200, list(r.rows.map((u) => presentUser(request, u)), r.total, r.startIndex));
  });
  app.post(`${BASE}/Users`, opts, async (request, reply) => {
    const user = await scimCreateUser(deps, ctx(request), objectBody(request));
    return send(reply.header("location", location(request, `/Users/${user.id}`)), 201, presentUser(request, user));
  });
  app.get(`${BASE}/Users/:id`, opts, async (request, reply) => send(reply, 200, presentUser(request, await scimGetUser(deps, ctx(request), (request.params as { id: string }).id))));
  app.put(`${BASE}/Users/:id`, opts, async (request, reply) => {
    const patch = userFromResource(objectBody(request));
    return send(reply, 200, presentUser(request, await scimUpdateUser(deps, ctx(request), (request.params as { id: string }).id, patch)));
  });
  app.patch(`${BASE}/Users/:id`, opts, async (request, reply) => {
    const patch = userPatchFromRequest(objectBody(request));
    return send(reply, 200, presentUser(request, await scimUpdateUser(deps, ctx(request), (request.params as { id: string }).id, patch)));
  });
  app.delete(`${BASE}/Users/:id`, opts, async (request, reply) => {
    await scimDeleteUser(deps, ctx(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get(`${BASE}/Groups`, opts, async (request, reply) => {
    const c = ctx(request);
    const r = await scimListGroups(deps, c, listQuery(request));
    const excludeMembers = /members/i.test(String((request.query as Record<string, unknown>).excludedAttributes ?? ""));
    const items = await Promise.all(r.rows.map(async (g) => presentGroup(request, g, excludeMembers ? [] : await deps.store.scimGroups.members(c.principal.orgId, g.id))));
    return send(reply, 200, list(items, r.total, r.startIndex));
  });
  app.post(`${BASE}/Groups`, opts, async (request, reply) => {
    const { group, members } = await scimCreateGroup(deps, ctx(request), groupFromResource(objectBody(request)));
    return send(reply.header("location", location(request, `/Groups/${group.id}`)), 201, presentGroup(request, group, members));
  });
  app.get(`${BASE}/Groups/:id`, opts, async (request, reply) => {
    const { group, members } = await scimGetGroup(deps, ctx(request), (request.params as { id: string }).id);
    return send(reply, 200, presentGroup(request, group, members));
  });
  app.put(`${BASE}/Groups/:id`, opts, async (request, reply) => {
    const r = groupFromResource(objectBody(request));
    const { group, members: now } = await scimUpdateGroup(deps, ctx(request), (request.params as { id: string }).id, {
      displayName: r.displayName, externalId: r.externalId, setMembers: r.members, addMembers: [], removeMembers: [],
    });
    return send(reply, 200, presentGroup(request, group, now));
  });
  app.patch(`${BASE}/Groups/:id`, opts, async (request, reply) => {
    const patch = groupPatchFromRequest(objectBody(request));
    const { group, members } = await scimUpdateGroup(deps, ctx(request), (request.params as { id: string }).id, patch);
    return send(reply, 200, presentGroup(request, group, members));
  });
  app.delete(`${BASE}/Groups/:id`, opts, async (request, reply) => {
    await scimDeleteGroup(deps, ctx(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
