import { randomUUID } from "node:crypto";
import type { OffboardingPolicy, Organization, UnpricedModelPolicy } from "../core/domain.js";
import { DomainError } from "../core/errors.js";
import { ID_PREFIX } from "../core/ids.js";
import { issueKey } from "../core/keys.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent, diff } from "./context.js";
import { isTransferTarget } from "./offboarding.js";

export async function getOrganization(deps: ServiceDeps, ctx: Ctx): Promise<Organization> {
  const org = await deps.store.orgs.get(ctx.principal.orgId);
  if (!org) throw new DomainError("not_found", "organization not found");
  return org;
}

export interface BootstrapResult {
  organization_id: string;
  organization_created: boolean;
  admin_key_id: string;
  admin_key: string;
}

/**
 * Creates the organization if none exists, and a new admin key with the `admin` role. Runs with
 * local database access only (the CLI); the key is returned once and stored only as a hash.
 */
export async function bootstrap(deps: ServiceDeps, options: { organizationName: string; keyName: string }): Promise<BootstrapResult> {
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    let org = await tx.orgs.first();
    const created = org === null;
    const system = { type: "system" as const, id: "bootstrap", display: "gatehouse bootstrap" };
    const base = { actor: system, workspaceId: null, outcome: "success" as const, reason: null, requestId: null, ip: null, userAgent: "gatehouse-cli" };
    if (!org) {
      org = { id: randomUUID(), name: options.organizationName, created_at: now.toISOString() };
      await tx.orgs.insert(org);
      await tx.audit.append({ ...base, orgId: org.id, action: "organization.created", target: { type: "organization", id: org.id }, changes: { name: org.name } }, now);
    }
    const generated = issueKey(deps.hashKey, "adm");
    const id = ID_PREFIX.adminKey + generated.publicId;
    await tx.adminKeys.insert({
      id, org_id: org.id, name: options.keyName, role: "admin", user_id: null, status: "active",
      key_hash: generated.hash, hint: generated.hint, created_at: now.toISOString(),
      created_by_id: "bootstrap", last_used_at: null, revoked_at: null,
    });
    await tx.audit.append({ ...base, orgId: org.id, action: "admin_key.created", target: { type: "admin_key", id }, changes: { name: options.keyName, role: "admin" } }, now);
    return { organization_id: org.id, organization_created: created, admin_key_id: id, admin_key: generated.key };
  });
}

export interface OrganizationSettings {
  unpriced_models: UnpricedModelPolicy;
  /** What deleting a user or a SCIM deactivation does with the user's API keys. */
  offboarding: OffboardingPolicy;
}

export async function getSettings(deps: ServiceDeps, ctx: Ctx): Promise<OrganizationSettings> {
  requireOrgPermission(ctx, "organization:read");
  return { unpriced_models: await deps.store.orgs.unpricedPolicy(ctx.principal.orgId), offboarding: await deps.store.orgs.offboardingPolicy(ctx.principal.orgId) };
}

/** `unpriced_models`: meter models without a known price at a conservative fallback, or refuse them. */
export async function updateSettings(deps: ServiceDeps, ctx: Ctx, patch: Partial<OrganizationSettings>): Promise<OrganizationSettings> {
  requireOrgPermission(ctx, "organization:write");
  return deps.store.transaction(async (tx) => {
    const orgId = ctx.principal.orgId;
    const before: OrganizationSettings = { unpriced_models: await tx.orgs.unpricedPolicy(orgId), offboarding: await tx.orgs.offboardingPolicy(orgId) };
    const next: OrganizationSettings = { ...before, ...patch };
    if (patch.offboarding !== undefined) {
      const p = patch.offboarding;
      if (p.api_keys === "transfer") {
        if (!(await isTransferTarget(tx, orgId, p.transfer_to_user_id, null))) throw new DomainError("invalid_request", "offboarding.transfer_to_user_id must name an active user when api_keys is \"transfer\"");
      } else {
        next.offboarding = { api_keys: "revoke", transfer_to_user_id: null };
      }
    }
    const changes = diff(before, next);
    if (Object.keys(changes).length === 0) return before;
    if (changes.unpriced_models) await tx.orgs.setUnpricedPolicy(orgId, next.unpriced_models);
    if (changes.offboarding) await tx.orgs.setOffboardingPolicy(orgId, next.offboarding);
    await tx.audit.append(auditEvent(ctx, "organization.updated", { type: "organization", id: orgId }, null, changes), deps.clock.now());
    return next;
  });
}
