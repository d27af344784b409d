import type { PageRequest, PageResult, ScimGroup, ScimToken, User } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import { ID_PREFIX, idBody, newId } from "../core/ids.js";
import { issueKey, keyHint, parseKey, verifyKey } from "../core/keys.js";
import { type AuthFailure, lastUsedIsStale, presentedKey, recordAuthFailure } from "./auth.js";
import type { Principal } from "../core/rbac.js";
import type { Repos } from "../core/ports.js";
import { type GroupPatch, type GroupResource, type ScimFilter, scimError, type ScimUserPatch, groupRoleFromName, parseFilter, userFromResource } from "../core/scim.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type RequestMeta, type ServiceDeps, auditEvent, diff } from "./context.js";
import { defaultOffboardingPolicy, offboardInTx } from "./offboarding.js";

// ---- Tokens (admin API) ----

export async function createScimToken(deps: ServiceDeps, ctx: Ctx, input: { name: string }): Promise<{ token: ScimToken; secret: string }> {
  requireOrgPermission(ctx, "scim_tokens:write");
  const now = deps.clock.now();
  const generated = issueKey(deps.hashKey, "scim", idBody(now.getTime()));
  const token: ScimToken = {
    id: ID_PREFIX.scimToken + generated.publicId, org_id: ctx.principal.orgId, name: input.name.trim(), token_hash: generated.hash,
    hint: generated.hint, created_at: now.toISOString(), created_by_id: ctx.principal.actor.id, last_used_at: null, revoked_at: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.scimTokens.insert(token);
    await tx.audit.append(auditEvent(ctx, "scim_token.created", { type: "scim_token", id: token.id }, null, { name: token.name, hint: token.hint }), now);
  });
  return { token, secret: generated.key };
}

export async function listScimTokens(deps: ServiceDeps, ctx: Ctx, page: PageRequest): Promise<PageResult<ScimToken>> {
  requireOrgPermission(ctx, "scim_tokens:read");
  return deps.store.scimTokens.list(ctx.principal.orgId, page);
}

export async function revokeScimToken(deps: ServiceDeps, ctx: Ctx, id: string): Promise<ScimToken> {
  requireOrgPermission(ctx, "scim_tokens:write");
  return deps.store.transaction(async (tx) => {
    const t = await tx.scimTokens.get(ctx.principal.orgId, id);
    if (!t) throw notFound("SCIM token", id);
    if (t.revoked_at !== null) return t;
    const now = deps.clock.now();
    await tx.scimTokens.update(ctx.principal.orgId, id, { revoked_at: now.toISOString() });
    await tx.audit.append(auditEvent(ctx, "scim_token.revoked", { type: "scim_token", id }, null, { name: t.name }), now);
    return { ...t, revoked_at: now.toISOString() };
  });
}

/** Authenticates `Authorization: Bearer <SCIM token>`; every failure is audited and is the same 401. */
export async function authenticateScim(deps: ServiceDeps, authorization: string | undefined, meta: RequestMeta): Promise<Principal> {
  const presented = presentedKey({ xApiKey: undefined, authorization });
  const refuse = async (reason: AuthFailure, token: ScimToken | null, hint: string | null): Promise<never> => {
    await recordAuthFailure(deps, meta, "scim", reason, token?.org_id ?? null, hint, token?.id ?? null);
    throw new DomainError("authentication_failed", "invalid or missing SCIM bearer token");
  };
  if ("failure" in presented) return refuse(presented.failure, null, null);
  const parsed = parseKey(presented.key);
  if (!parsed) return refuse("malformed", null, null);
  const hint = keyHint(presented.key);
  if (parsed.marker !== "scim") return refuse("wrong_kind", null, hint);
  const token = await deps.store.scimTokens.getForAuth(ID_PREFIX.scimToken + parsed.publicId);
  if (!token) return refuse("unknown", null, hint);
  if (!verifyKey(deps.hashKey, presented.key, token.token_hash)) return refuse("bad_secret", token, hint);
  if (token.revoked_at !== null) return refuse("revoked", token, hint);
  const now = deps.clock.now();
  if (lastUsedIsStale(token.last_used_at, now)) await deps.store.scimTokens.update(token.org_id, token.id, { last_used_at: now.toISOString() });
  return { orgId: token.org_id, role: "admin", memberships: {}, actor: { type: "scim_token", id: token.id, display: `scim:${token.name}` }, userId: null };
}

// ---- Users ----

const USER_FILTERS: Record<string, "userName" | "externalId" | "email" | "id"> = { username: "userName", externalid: "externalId", "emails.value": "email", emails: "email", id: "id" };
const GROUP_FILTERS: Record<string, "displayName" | "externalId" | "id"> = { displayname: "displayName", externalid: "externalId", id: "id" };

function filterOf<T extends string>(filter: string | undefined, table: Record<string, T>): { attribute: T; value: string } | null {
  if (filter === undefined || filter.trim() === "") return null;
  const f: ScimFilter = parseFilter(filter);
  const attribute = table[f.attribute];
  if (attribute === undefined) throw scimError("validation_failed", `filtering on ${JSON.stringify(f.attribute)} is not supported`, "invalidFilter");
  return { attribute, value: f.value };
}

/** SCIM paging: 1-based `startIndex`, `count` capped at 200. */
export function paging(startIndex: number | undefined, count: number | undefined): { offset: number; count: number; startIndex: number } {
  const s = Math.max(1, Math.floor(startIndex ?? 1));
  return { offset: s - 1, count: Math.min(200, Math.max(0, Math.floor(count ?? 100))), startIndex: s };
}

export async function scimListUsers(deps: ServiceDeps, ctx: Ctx, q: { filter?: string | undefined; startIndex?: number | undefined; count?: number | undefined }) {
  const p = paging(q.startIndex, q.count);
  const { rows, total } = await deps.store.users.scimList(ctx.principal.orgId, filterOf(q.filter, USER_FILTERS), p.offset, p.count);
  return { rows, total, startIndex: p.startIndex };
}

/** The user `id` of the organization, or SCIM's 404. */
async function existingUser(repos: Repos, orgId: string, id: string): Promise<User> {
  const u = await repos.users.get(orgId, id);
  if (!u) throw scimError("not_found", `user ${id} not found`);
  return u;
}

export async function scimGetUser(deps: ServiceDeps, ctx: Ctx, id: string): Promise<User> {
  return existingUser(deps.store, ctx.principal.orgId, id);
}

function emailOf(patch: ScimUserPatch, current: User | null): string {
  const e = patch.email ?? (patch.userName?.includes("@") ? patch.userName : undefined) ?? current?.email;
  if (e === undefined) throw scimError("validation_failed", "an email is required: send emails[type eq \"work\"] or a userName that is an email address", "invalidValue");
  return e.trim().toLowerCase();
}

async function requireUnique(tx: Repos, orgId: string, userName: string, email: string, self: string | null): Promise<void> {
  const byName = await tx.users.scimList(orgId, { attribute: "userName", value: userName }, 0, 2);
  const byEmail = await tx.users.getByEmail(orgId, email);
  if (byName.rows.some((u) => u.id !== self) || (byEmail && byEmail.id !== self)) throw scimError("conflict", `a user with userName ${JSON.stringify(userName)} already exists`, "uniqueness");
}

export async function scimCreateUser(deps: ServiceDeps, ctx: Ctx, body: Record<string, unknown>): Promise<User> {
  const patch = userFromResource(body);
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const email = emailOf(patch, null);
    await requireUnique(tx, orgId, patch.userName, email, null);
    const now = deps.clock.now();
    const user: User = {
      id: newId("user", now.getTime()), org_id: orgId, email, name: patch.displayName ?? ([patch.givenName, patch.familyName].filter(Boolean).join(" ") || email),
      role: "user", status: patch.active === false ? "deactivated" : "active", added_at: now.toISOString(), external_id: patch.externalId ?? null,
      user_name: patch.userName.toLowerCase() === email ? null : patch.userName, given_name: patch.givenName ?? null, family_name: patch.familyName ?? null,
    };
    await tx.users.insert(user);
    await tx.audit.append(auditEvent(ctx, "user.created", { type: "user", id: user.id }, null, { email, name: user.name, role: user.role, external_id: user.external_id, source: "scim" }), now);
    return user;
  });
}

/**
 * Applies a SCIM change (PUT: a full representation; PATCH: a patch). `active:false` runs the
 * offboarding with the organization's policy (H2); `active:true` reactivates the login but not
 * the keys revoked by an earlier offboarding.
 */
export async function scimUpdateUser(deps: ServiceDeps, ctx: Ctx, id: string, patch: ScimUserPatch): Promise<User> {
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const user = await existingUser(tx, orgId, id);
    const now = deps.clock.now();
    const email = patch.email !== undefined || patch.userName?.includes("@") ? emailOf(patch, user) : user.email;
    const userName = patch.userName ?? user.user_name ?? user.email;
    if (patch.userName !== undefined || email !== user.email) await requireUnique(tx, orgId, userName, email, id);
    const next: Partial<User> = {
      email,
      user_name: userName.toLowerCase() === email ? null : userName,
      ...(patch.displayName !== undefined ? { name: patch.displayName } : {}),
      ...(patch.externalId !== undefined ? { external_id: patch.externalId } : {}),
      ...(patch.givenName !== undefined ? { given_name: patch.givenName } : {}),
      ...(patch.familyName !== undefined ? { family_name: patch.familyName } : {}),
    };
    const changes = diff(user, next);
    let current: User = { ...user, ...next };
    if (Object.keys(changes).length > 0) {
      await tx.users.update(orgId, id, next);
      await tx.audit.append(auditEvent(ctx, "user.updated", { type: "user", id }, null, { ...changes, source: "scim" }), now);
    }
    if (patch.active === false && user.status === "active") {
      await offboardInTx(tx, ctx, current, await defaultOffboardingPolicy(tx, orgId, id), { finalStatus: "deactivated", action: "user.offboarded", now });
      current = { ...current, status: "deactivated" };
    } else if (patch.active === true && user.status === "deactivated") {
      await tx.users.update(orgId, id, { status: "active" });
      await tx.audit.append(auditEvent(ctx, "user.reactivated", { type: "user", id }, null, { status: { before: "deactivated", after: "active" }, source: "scim" }), now);
      current = { ...current, status: "active" };
    }
    return current;
  });
}

/** DELETE: the offboarding with the organization's policy, then the user is gone (404 afterwards). */
export async function scimDeleteUser(deps: ServiceDeps, ctx: Ctx, id: string): Promise<void> {
  const orgId = ctx.principal.orgId;
  await deps.store.transaction(async (tx) => {
    const user = await existingUser(tx, orgId, id);
    await offboardInTx(tx, ctx, user, await defaultOffboardingPolicy(tx, orgId, id), { finalStatus: "deleted", action: "user.deleted", now: deps.clock.now() });
  });
}

// ---- Groups (mapped to workspace roles) ----

export async function scimListGroups(deps: ServiceDeps, ctx: Ctx, q: { filter?: string | undefined; startIndex?: number | undefined; count?: number | undefined }) {
  const p = paging(q.startIndex, q.count);
  const { rows, total } = await deps.store.scimGroups.list(ctx.principal.orgId, filterOf(q.filter, GROUP_FILTERS), p.offset, p.count);
  return { rows, total, startIndex: p.startIndex };
}

/** The SCIM group `id` of the organization, or SCIM's 404. */
async function existingGroup(repos: Repos, orgId: string, id: string): Promise<ScimGroup> {
  const g = await repos.scimGroups.get(orgId, id);
  if (!g) throw scimError("not_found", `group ${id} not found`);
  return g;
}

export async function scimGetGroup(deps: ServiceDeps, ctx: Ctx, id: string): Promise<{ group: ScimGroup; members: string[] }> {
  const group = await existingGroup(deps.store, ctx.principal.orgId, id);
  return { group, members: await deps.store.scimGroups.members(ctx.principal.orgId, id) };
}

/** The workspace role a group grants: from its name (`<workspace>:<role>`) or the Gatehouse extension. */
async function mapping(tx: Repos, orgId: string, displayName: string, extension: { workspaceId?: unknown; workspaceRole?: unknown } | undefined): Promise<Pick<ScimGroup, "workspace_id" | "workspace_role">> {
  const byName = groupRoleFromName(displayName);
  const wsRef = typeof extension?.workspaceId === "string" ? extension.workspaceId : byName?.workspace;
  const role = typeof extension?.workspaceRole === "string" ? groupRoleFromName(`x:${extension.workspaceRole}`)?.role : byName?.role;
  if (wsRef === undefined || role === undefined) return { workspace_id: null, workspace_role: null };
  const ws = (await tx.workspaces.listAll(orgId)).find((w) => w.archived_at === null && (w.id === wsRef || w.name.toLowerCase() === wsRef.toLowerCase()));
  return ws ? { workspace_id: ws.id, workspace_role: role } : { workspace_id: null, workspace_role: null };
}

async function applyMembership(tx: Repos, orgId: string, group: Pick<ScimGroup, "workspace_id" | "workspace_role">, userId: string, add: boolean, now: Date): Promise<void> {
  if (group.workspace_id === null || group.workspace_role === null) return;
  const user = await tx.users.get(orgId, userId);
  if (!user || user.status !== "active") return;
  const existing = await tx.members.get(orgId, group.workspace_id, userId);
  if (add) {
    if (!existing) await tx.members.insert({ org_id: orgId, workspace_id: group.workspace_id, user_id: userId, workspace_role: group.workspace_role, created_at: now.toISOString() });
    else if (existing.workspace_role !== group.workspace_role) await tx.members.update(orgId, group.workspace_id, userId, group.workspace_role);
  } else if (existing) {
    await tx.members.remove(orgId, group.workspace_id, userId);
  }
}

async function requireMembers(tx: Repos, orgId: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) if (!(await tx.users.get(orgId, id))) throw scimError("validation_failed", `member ${id} is not a user of this organization`, "invalidValue");
}

export async function scimCreateGroup(deps: ServiceDeps, ctx: Ctx, resource: GroupResource): Promise<{ group: ScimGroup; members: string[] }> {
  const orgId = ctx.principal.orgId;
  const { displayName, members } = resource;
  return deps.store.transaction(async (tx) => {
    if ((await tx.scimGroups.list(orgId, { attribute: "displayName", value: displayName }, 0, 1)).total > 0) throw scimError("conflict", `a group named ${JSON.stringify(displayName)} already exists`, "uniqueness");
    await requireMembers(tx, orgId, members);
    const now = deps.clock.now();
    const group: ScimGroup = {
      id: newId("scimGroup", now.getTime()), org_id: orgId, display_name: displayName, external_id: resource.externalId,
      ...(await mapping(tx, orgId, displayName, resource.extension)), created_at: now.toISOString(), updated_at: now.toISOString(),
    };
    await tx.scimGroups.insert(group);
    for (const m of members) {
      await tx.scimGroups.addMember(orgId, group.id, m);
      await applyMembership(tx, orgId, group, m, true, now);
    }
    await tx.audit.append(auditEvent(ctx, "scim_group.created", { type: "scim_group", id: group.id }, group.workspace_id, {
      display_name: displayName, workspace_id: group.workspace_id, workspace_role: group.workspace_role, members,
    }), now);
    return { group, members };
  });
}

/** PUT and PATCH on a group: name, external id and members; members gain or lose the group's workspace role. */
export async function scimUpdateGroup(deps: ServiceDeps, ctx: Ctx, id: string, patch: GroupPatch): Promise<{ group: ScimGroup; members: string[] }> {
  const orgId = ctx.principal.orgId;
  return deps.store.transaction(async (tx) => {
    const group = await existingGroup(tx, orgId, id);
    const now = deps.clock.now();
    const before = await tx.scimGroups.members(orgId, id);
    let next: ScimGroup = { ...group };
    if (patch.displayName !== undefined && patch.displayName !== group.display_name) {
      next = { ...next, display_name: patch.displayName, ...(await mapping(tx, orgId, patch.displayName, undefined)) };
    }
    if (patch.externalId !== undefined) next.external_id = patch.externalId;
    const target = new Set(patch.setMembers ?? before);
    for (const m of patch.addMembers) target.add(m);
    for (const m of patch.removeMembers) target.delete(m);
    await requireMembers(tx, orgId, [...target].filter((m) => !before.includes(m)));
    const mappingChanged = next.workspace_id !== group.workspace_id || next.workspace_role !== group.workspace_role;
    for (const m of before) if (!target.has(m) || mappingChanged) await applyMembership(tx, orgId, group, m, false, now);
    for (const m of before) if (!target.has(m)) await tx.scimGroups.removeMember(orgId, id, m);
    for (const m of target) {
      if (!before.includes(m)) await tx.scimGroups.addMember(orgId, id, m);
      if (!before.includes(m) || mappingChanged) await applyMembership(tx, orgId, next, m, true, now);
    }
    const added = [...target].filter((m) => !before.includes(m));
    const removed = before.filter((m) => !target.has(m));
    const changes = { ...diff(group, { display_name: next.display_name, external_id: next.external_id, workspace_id: next.workspace_id, workspace_role: next.workspace_role }), ...(added.length ? { members_added: added } : {}), ...(removed.length ? { members_removed: removed } : {}) };
    if (Object.keys(changes).length > 0) {
      await tx.scimGroups.update(orgId, id, { display_name: next.display_name, external_id: next.external_id, workspace_id: next.workspace_id, workspace_role: next.workspace_role, updated_at: now.toISOString() });
      await tx.audit.append(auditEvent(ctx, "scim_group.updated", { type: "scim_group", id }, next.workspace_id, changes), now);
    }
    return { group: { ...next, updated_at: now.toISOString() }, members: [...target].sort() };
  });
}

export async function scimDeleteGroup(deps: ServiceDeps, ctx: Ctx, id: string): Promise<void> {
  const orgId = ctx.principal.orgId;
  await deps.store.transaction(async (tx) => {
    const group = await existingGroup(tx, orgId, id);
    const now = deps.clock.now();
    const members = await tx.scimGroups.members(orgId, id);
    for (const m of members) await applyMembership(tx, orgId, group, m, false, now);
    await tx.scimGroups.remove(orgId, id);
    await tx.audit.append(auditEvent(ctx, "scim_group.deleted", { type: "scim_group", id }, group.workspace_id, { display_name: group.display_name, members_removed: members }), now);
  });
}

