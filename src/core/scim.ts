import { DomainError } from "./errors.js";
import { WORKSPACE_ROLES, type WorkspaceRole } from "./rbac.js";

/** SCIM 2.0 (RFC 7643/7644): pure parsing of filters and PATCH requests, in Okta's and Entra's shapes. */

export const SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCIM_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const SCIM_ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const SCIM_GATEHOUSE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group";
export const SCIM_LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimType = "invalidFilter" | "invalidValue" | "uniqueness" | "invalidSyntax" | "noTarget" | "invalidPath" | "mutability";

/**
 * A SCIM failure is an error of the one catalog (its HTTP status comes from there); the SCIM
 * `scimType` rides along in the details and the /scim routes render SCIM's envelope.
 */
export function scimError(code: "validation_failed" | "not_found" | "conflict", message: string, scimType?: ScimType): DomainError {
  return new DomainError(code, message, scimType === undefined ? undefined : { details: { scim_type: scimType } });
}

export interface ScimFilter {
  /** Lower-cased attribute path, e.g. `username`, `externalid`, `emails.value`, `displayname`. */
  attribute: string;
  value: string;
}

/** Parses the one filter form identity providers send: `<attribute> eq "<value>"` (operator in any case). */
export function parseFilter(filter: string): ScimFilter {
  const m = /^\s*([A-Za-z][\w.:-]*(?:\[type eq "work"\][\w.]*)?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) throw scimError("validation_failed", `unsupported filter ${JSON.stringify(filter.slice(0, 200))}; use <attribute> eq "<value>"`, "invalidFilter");
  const attribute = stripSchema((m[1] as string).trim()).toLowerCase().replace(/\[type eq "work"\]/, "");
  const value = (m[2] as string).replace(/\\(.)/g, "$1");
  return { attribute, value };
}

function stripSchema(path: string): string {
  for (const s of [SCIM_USER_SCHEMA, SCIM_GROUP_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA]) {
    if (path.toLowerCase().startsWith(s.toLowerCase() + ":")) return path.slice(s.length + 1);
  }
  return path;
}

/** SCIM booleans arrive as JSON booleans or, from Entra, as the strings "True" / "False". */
export function scimBoolean(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw scimError("validation_failed", `expected a boolean, got ${JSON.stringify(v)}`, "invalidValue");
}

/** The user attributes Gatehouse keeps. Unknown attributes are accepted and ignored. */
export interface ScimUserPatch {
  userName?: string;
  externalId?: string | null;
  displayName?: string;
  givenName?: string | null;
  familyName?: string | null;
  email?: string;
  active?: boolean;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > 320) throw scimError("validation_failed", `${what} must be a non-empty string`, "invalidValue");
  return v;
}

function workEmail(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const entries = v.filter((e): e is { value: unknown; type?: unknown; primary?: unknown } => typeof e === "object" && e !== null && "value" in e);
  const chosen = entries.find((e) => e.primary === true || e.primary === "True" || e.primary === "true") ?? entries.find((e) => e.type === "work") ?? entries[0];
  return chosen === undefined ? undefined : str(chosen.value, "emails.value");
}

/** Applies one attribute (by lower-cased path) to a patch. */
function setAttribute(patch: ScimUserPatch, path: string, value: unknown, remove: boolean): void {
  switch (path) {
    case "active":
      if (remove) throw scimError("validation_failed", "active cannot be removed", "mutability");
      patch.active = scimBoolean(value);
      return;
    case "username":
      if (remove) throw scimError("validation_failed", "userName cannot be removed", "mutability");
      patch.userName = str(value, "userName");
      return;
    case "externalid":
      patch.externalId = remove ? null : str(value, "externalId");
      return;
    case "displayname":
      if (!remove) patch.displayName = str(value, "displayName");
      return;
    case "name.givenname":
      patch.givenName = remove ? null : str(value, "name.givenName");
      return;
    case "name.familyname":
      patch.familyName = remove ? null : str(value, "name.familyName");
      return;
    case "name":
      if (remove || typeof value !== "object" || value === null) return;
      for (const [k, v] of Object.entries(value)) setAttribute(patch, `name.${k.toLowerCase()}`, v, false);
      return;
    case "emails":
    case "emails.value":
    case 'emails[type eq "work"].value': {
      if (remove) return;
      const e = Array.isArray(value) ? workEmail(value) : str(value, "emails.value");
      if (e !== undefined) patch.email = e;
      return;
    }
    default:
      // Attributes Gatehouse does not keep (title, phoneNumbers, enterprise extension…) are ignored.
      return;
  }
}

/**
 * A full user representation (POST or PUT body) as a patch; `userName` is required. An absent
 * `active` stays absent: a PUT without it must not reactivate a deactivated user (POST defaults it).
 */
export function userFromResource(body: Record<string, unknown>): ScimUserPatch & { userName: string } {
  const patch: ScimUserPatch = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === "schemas" || k === "id" || k === "meta") continue;
    setAttribute(patch, stripSchema(k).toLowerCase(), v, false);
  }
  if (patch.userName === undefined) throw scimError("validation_failed", "userName is required", "invalidValue");
  return patch as ScimUserPatch & { userName: string };
}

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

function operations(body: unknown): PatchOperation[] {
  const ops = (body as { Operations?: unknown } | null)?.Operations;
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > 100) throw scimError("validation_failed", "Operations must be a non-empty array", "invalidSyntax");
  return ops.map((o) => {
    if (typeof o !== "object" || o === null || typeof (o as PatchOperation).op !== "string") throw scimError("validation_failed", "each operation needs an op", "invalidSyntax");
    const op = (o as PatchOperation).op.toLowerCase();
    if (op !== "add" && op !== "replace" && op !== "remove") throw scimError("validation_failed", `unknown op ${JSON.stringify((o as PatchOperation).op)}`, "invalidSyntax");
    const path = (o as PatchOperation).path;
    if (path !== undefined && typeof path !== "string") throw scimError("validation_failed", "path must be a string", "invalidPath");
    return { op, ...(path === undefined ? {} : { path }), value: (o as PatchOperation).value };
  });
}

/**
 * A PATCH request on a user as one patch. Ops in any case; with a path (Entra:
 * `{op:"Replace", path:"active", value:"False"}`) or without (Okta: `{op:"replace", value:{active:false}}`).
 */
export function userPatchFromRequest(body: unknown): ScimUserPatch {
  const patch: ScimUserPatch = {};
  for (const o of operations(body)) {
    const remove = o.op === "remove";
    if (o.path === undefined) {
      if (remove) throw scimError("validation_failed", "remove needs a path", "noTarget");
      if (typeof o.value !== "object" || o.value === null) throw scimError("validation_failed", "an operation without a path needs an object value", "invalidValue");
      for (const [k, v] of Object.entries(o.value)) setAttribute(patch, stripSchema(k).toLowerCase(), v, false);
    } else {
      setAttribute(patch, stripSchema(o.path).toLowerCase(), o.value, remove);
    }
  }
  return patch;
}

export interface GroupPatch {
  displayName?: string;
  externalId?: string | null;
  /** Replace the member list with these user ids. */
  setMembers?: string[];
  addMembers: string[];
  removeMembers: string[];
}

function memberIds(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((m) => str((m as { value?: unknown }).value, "members.value"));
}

export interface GroupResource {
  displayName: string;
  externalId: string | null;
  members: string[];
  /** The Gatehouse extension: an explicit workspace and role. */
  extension: { workspaceId?: unknown; workspaceRole?: unknown } | undefined;
}

/** A full group representation (POST or PUT body). */
export function groupFromResource(body: Record<string, unknown>): GroupResource {
  const displayName = str(body.displayName, "displayName");
  if (displayName.length > 256) throw scimError("validation_failed", "displayName is too long", "invalidValue");
  return {
    displayName,
    externalId: body.externalId === undefined || body.externalId === null ? null : str(body.externalId, "externalId"),
    members: memberIds(body.members),
    extension: body[SCIM_GATEHOUSE_GROUP_SCHEMA] as GroupResource["extension"],
  };
}

/** A PATCH request on a group: displayName and members, with Okta's and Entra's forms. */
export function groupPatchFromRequest(body: unknown): GroupPatch {
  const patch: GroupPatch = { addMembers: [], removeMembers: [] };
  for (const o of operations(body)) {
    const path = o.path === undefined ? undefined : stripSchema(o.path).toLowerCase();
    if (path === undefined) {
      if (o.op === "remove" || typeof o.value !== "object" || o.value === null) throw scimError("validation_failed", "an operation without a path needs an object value", "invalidValue");
      const v = o.value as Record<string, unknown>;
      if (v.displayName !== undefined) patch.displayName = str(v.displayName, "displayName");
      if (v.externalId !== undefined) patch.externalId = str(v.externalId, "externalId");
      if (v.members !== undefined && o.op === "replace") patch.setMembers = memberIds(v.members);
      else if (v.members !== undefined) patch.addMembers.push(...memberIds(v.members));
      continue;
    }
    if (path === "displayname") {
      if (o.op !== "remove") patch.displayName = str(o.value, "displayName");
    } else if (path === "externalid") {
      patch.externalId = o.op === "remove" ? null : str(o.value, "externalId");
    } else if (path === "members") {
      if (o.op === "add") patch.addMembers.push(...memberIds(o.value));
      else if (o.op === "replace") patch.setMembers = memberIds(o.value);
      else if (o.value !== undefined) patch.removeMembers.push(...memberIds(o.value));
      else patch.setMembers = [];
    } else {
      const m = /^members\[value eq "([^"]+)"\]$/i.exec(stripSchema(o.path ?? ""));
      if (m && o.op === "remove") patch.removeMembers.push(m[1] as string);
      else throw scimError("validation_failed", `unsupported path ${JSON.stringify(o.path)}`, "invalidPath");
    }
  }
  return patch;
}

/**
 * Which workspace role a group grants. Groups are named `<workspace name or id>:<role>` (or with `/`),
 * the role being `admin`, `developer`, `user` or `billing` (a `workspace_` prefix is optional);
 * the Gatehouse group extension may name them explicitly instead. null = the group grants nothing.
 */
export function groupRoleFromName(displayName: string): { workspace: string; role: WorkspaceRole } | null {
  const m = /^(.+?)\s*[:/]\s*(workspace_)?(admin|developer|user|billing)\s*$/i.exec(displayName);
  if (!m) return null;
  const role = `workspace_${(m[3] as string).toLowerCase()}` as WorkspaceRole;
  return WORKSPACE_ROLES.includes(role) ? { workspace: (m[1] as string).trim(), role } : null;
}
