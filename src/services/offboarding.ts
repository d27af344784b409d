import type { AuditAction } from "../core/audit.js";
import type { OffboardingPolicy, User } from "../core/domain.js";
import { DomainError, notFound } from "../core/errors.js";
import type { Repos } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import { type Ctx, type ServiceDeps, auditEvent } from "./context.js";

/** What an offboarding did; returned to the caller and stored in the audit event. */
export interface OffboardingReport {
  type: "offboarding_report";
  user_id: string;
  email: string;
  status_before: string;
  status: "deactivated" | "deleted";
  api_keys_policy: "revoke" | "transfer";
  memberships_removed: string[];
  scim_groups_left: string[];
  admin_keys_revoked: string[];
  api_keys_revoked: string[];
  api_keys_transferred: { id: string; to_user_id: string }[];
  /** There are no console sessions yet; the field is kept for the shape. */
  console_sessions_revoked: number;
  completed_at: string;
}

/**
 * Offboards a user inside the caller's transaction: deactivates (or deletes) them, removes every
 * membership, revokes their admin keys, and revokes or re-homes the API keys they own or created
 * without an owner. Revoked keys are archived (final: reactivating the user does not restore them).
 * Writes one audit event carrying the report; the policy cache drops the keys at commit.
 */
export async function offboardInTx(
  tx: Repos,
  ctx: Ctx,
  user: User,
  policy: OffboardingPolicy,
  options: { finalStatus: "deactivated" | "deleted"; action: AuditAction; now: Date },
): Promise<OffboardingReport> {
  const orgId = ctx.principal.orgId;
  if (policy.api_keys === "transfer" && !(await isTransferTarget(tx, orgId, policy.transfer_to_user_id, user.id))) {
    throw new DomainError("invalid_request", "transfer_to_user_id must name another active user of the organization", { details: { error_code: "invalid_transfer_target" } });
  }
  const memberships = (await tx.members.listForUser(orgId, user.id)).map((m) => m.workspace_id);
  await tx.members.removeAllForUser(orgId, user.id);
  const groups = (await tx.scimGroups.groupsOfUser(orgId, user.id)).map((g) => g.id);
  for (const g of groups) await tx.scimGroups.removeMember(orgId, g, user.id);
  const adminKeys = await tx.adminKeys.listActiveForUser(orgId, user.id);
  for (const k of adminKeys) await tx.adminKeys.update(orgId, k.id, { status: "revoked", revoked_at: options.now.toISOString() });
  const keys = await tx.apiKeys.listLiveForUser(orgId, user.id);
  const revoked: string[] = [];
  const transferred: { id: string; to_user_id: string }[] = [];
  for (const k of keys) {
    if (policy.api_keys === "transfer" && policy.transfer_to_user_id !== null) {
      await tx.apiKeys.update(orgId, k.id, { owner_user_id: policy.transfer_to_user_id });
      transferred.push({ id: k.id, to_user_id: policy.transfer_to_user_id });
    } else {
      await tx.apiKeys.update(orgId, k.id, { status: "archived" });
      revoked.push(k.id);
    }
  }
  await tx.users.update(orgId, user.id, { status: options.finalStatus });
  const report: OffboardingReport = {
    type: "offboarding_report", user_id: user.id, email: user.email, status_before: user.status, status: options.finalStatus,
    api_keys_policy: policy.api_keys, memberships_removed: memberships, scim_groups_left: groups, admin_keys_revoked: adminKeys.map((k) => k.id),
    api_keys_revoked: revoked, api_keys_transferred: transferred, console_sessions_revoked: 0, completed_at: options.now.toISOString(),
  };
  await tx.audit.append(auditEvent(ctx, options.action, { type: "user", id: user.id }, null, { ...report }), options.now);
  return report;
}

/** `POST /users/{id}/offboard`: the explicit offboarding, with a policy for the user's API keys. */
export async function offboardUser(deps: ServiceDeps, ctx: Ctx, id: string, policy: OffboardingPolicy): Promise<OffboardingReport> {
  requireOrgPermission(ctx, "users:write");
  if (ctx.principal.userId === id) throw new DomainError("invalid_request", "a user cannot offboard themselves");
  return deps.store.transaction(async (tx) => {
    const user = await tx.users.get(ctx.principal.orgId, id);
    if (!user) throw notFound("user", id);
    return offboardInTx(tx, ctx, user, policy, { finalStatus: "deactivated", action: "user.offboarded", now: deps.clock.now() });
  });
}

/** Whether `userId` can receive a leaver's keys: an active user of the organization other than the leaver. */
export async function isTransferTarget(repos: Repos, orgId: string, userId: string | null, leaverId: string | null): Promise<boolean> {
  if (userId === null || userId === leaverId) return false;
  const user = await repos.users.get(orgId, userId);
  return user?.status === "active";
}

/** The organization's policy for a leaver's keys; a transfer target that can no longer receive them falls back to revoke. */
export async function defaultOffboardingPolicy(repos: Repos, orgId: string, leaverId: string): Promise<OffboardingPolicy> {
  const policy = await repos.orgs.offboardingPolicy(orgId);
  if (policy.api_keys === "transfer" && (await isTransferTarget(repos, orgId, policy.transfer_to_user_id, leaverId))) return policy;
  return { api_keys: "revoke", transfer_to_user_id: null };
}
