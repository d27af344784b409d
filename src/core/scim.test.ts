import { describe, expect, it } from "vitest";
import { DomainError } from "./errors.js";
import { groupPatchFromRequest, groupRoleFromName, parseFilter, userFromResource, userPatchFromRequest } from "./scim.js";

const op = (Operations: unknown[]) => ({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations });

describe("SCIM filters", () => {
  it.each([
    ['userName eq "ada@example.com"', "username", "ada@example.com"],
    ['userName EQ "ada@example.com"', "username", "ada@example.com"],
    ['externalId eq "00u1abc"', "externalid", "00u1abc"],
    ['emails[type eq "work"].value eq "a@b.co"', "emails.value", "a@b.co"],
    ['displayName eq "Production:developer"', "displayname", "Production:developer"],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x@y.z"', "username", "x@y.z"],
  ])("%s", (filter, attribute, value) => {
    expect(parseFilter(filter)).toEqual({ attribute, value });
  });
  it.each(['userName sw "a"', "userName eq ada", 'userName eq "a" or userName eq "b"', ""])("refuses %j as invalidFilter", (f) => {
    expect(() => parseFilter(f)).toThrow(DomainError);
  });
});

describe("SCIM user PATCH in both vendors' shapes", () => {
  it.each([
    ["Okta deactivate (no path)", op([{ op: "replace", value: { active: false } }]), { active: false }],
    ["Entra deactivate (path, string)", op([{ op: "Replace", path: "active", value: "False" }]), { active: false }],
    ["Entra reactivate", op([{ op: "replace", path: "active", value: "True" }]), { active: true }],
    ["Entra attribute updates", op([
      { op: "Add", path: 'emails[type eq "work"].value', value: "new@example.com" },
      { op: "Replace", path: "name.givenName", value: "Ada" },
      { op: "Replace", path: "displayName", value: "Ada L." },
      { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value: "R&D" },
    ]), { email: "new@example.com", givenName: "Ada", displayName: "Ada L." }],
    ["Okta profile replace", op([{ op: "replace", value: { name: { givenName: "Grace", familyName: "Hopper" }, userName: "grace@example.com" } }]), { givenName: "Grace", familyName: "Hopper", userName: "grace@example.com" }],
    ["remove externalId", op([{ op: "remove", path: "externalId" }]), { externalId: null }],
  ])("%s", (_name, body, expected) => {
    expect(userPatchFromRequest(body)).toEqual(expected);
  });
  it.each([
    ["no operations", { Operations: [] }],
    ["unknown op", op([{ op: "move", path: "active" }])],
    ["active not boolean", op([{ op: "replace", path: "active", value: "maybe" }])],
    ["remove without path", op([{ op: "remove" }])],
  ])("refuses %s with 400", (_name, body) => {
    expect(() => userPatchFromRequest(body)).toThrow(DomainError);
  });
  it("a full representation needs userName; an absent active stays absent (a PUT must not reactivate)", () => {
    expect(userFromResource({ userName: "a@b.co", emails: [{ value: "a@b.co", type: "work", primary: true }] })).toEqual({ userName: "a@b.co", email: "a@b.co" });
    expect(userFromResource({ userName: "a@b.co", active: "False" })).toEqual({ userName: "a@b.co", active: false });
    expect(() => userFromResource({ emails: [] })).toThrow(DomainError);
  });
});

describe("SCIM group PATCH and role mapping", () => {
  it("adds and removes members in Entra's and Okta's forms", () => {
    expect(groupPatchFromRequest(op([{ op: "Add", path: "members", value: [{ value: "user_1" }, { value: "user_2" }] }, { op: "Remove", path: 'members[value eq "user_3Ab"]' }])))
      .toEqual({ addMembers: ["user_1", "user_2"], removeMembers: ["user_3Ab"] });
    expect(groupPatchFromRequest(op([{ op: "replace", value: { id: "g", displayName: "Staging:admin" } }]))).toEqual({ addMembers: [], removeMembers: [], displayName: "Staging:admin" });
    expect(groupPatchFromRequest(op([{ op: "replace", path: "members", value: [{ value: "user_9" }] }]))).toEqual({ addMembers: [], removeMembers: [], setMembers: ["user_9"] });
  });
  it.each([
    ["Production:developer", { workspace: "Production", role: "workspace_developer" }],
    ["Production / admin", { workspace: "Production", role: "workspace_admin" }],
    ["wrkspc_abc:workspace_user", { workspace: "wrkspc_abc", role: "workspace_user" }],
    ["Engineering", null],
    ["Production:owner", null],
  ])("%s → %j", (name, expected) => {
    expect(groupRoleFromName(name)).toEqual(expected);
  });
});
