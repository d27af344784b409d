import type { AuditEventInput } from "../core/audit.js";
import type { ApiKey, Workspace } from "../core/domain.js";
import type { Clock, Repos, Store } from "../core/ports.js";
import { type KeyNotice, type RotationPolicy, decideKeyNotices } from "../core/rotation.js";
import { newNotification, notify } from "../services/notify.js";
import { rotationPolicyOf } from "../services/workspaces.js";

const SYSTEM = { type: "system" as const, id: "scheduler", display: "gatehouse scheduler" };

async function ownerEmail(repos: Repos, key: ApiKey): Promise<string[]> {
  const id = key.owner_user_id ?? (key.created_by_type === "user" ? key.created_by_id : null);
  const user = id === null ? null : await repos.users.get(key.org_id, id);
  return user?.status === "active" ? [user.email] : [];
}

const plural = (days: number) => `${days} day${days === 1 ? "" : "s"}`;

/** The notification of a notice (type, text, data). */
function describe(n: KeyNotice, key: ApiKey, policy: RotationPolicy): { type: string; text: string; data: Record<string, unknown> } {
  const name = `API key ${key.name} (${key.id})`;
  switch (n.kind) {
    case "expiring":
      return { type: "api_key.expiring", text: `${name} expires in less than ${plural(n.days)}, at ${n.at}`, data: { expires_at: n.at, days: n.days } };
    case "rotation_due":
      return { type: "api_key.rotation_due", text: `${name} must be rotated within ${plural(n.days)} (due ${n.at}, policy ${policy.max_key_age_days} days)`, data: { rotation_due_at: n.at, days: n.days } };
    case "rotation_overdue":
      return {
        type: n.disable ? "api_key.disabled_overdue" : "api_key.rotation_overdue",
        text: `${name} is overdue for rotation (due ${n.at})${n.disable ? " and was disabled by the workspace's rotation policy" : ""}`,
        data: { rotation_due_at: n.at, action: policy.action },
      };
  }
}

/**
 * Expiry and rotation for every active key (the decisions are `decideKeyNotices`): each notice
 * goes once (its firing row is claimed in the same transaction) to the key's owner by email and
 * to the rules subscribed to `key_lifecycle`; a `disable` notice also makes the key inactive,
 * audited as the system actor.
 */
export async function runKeyLifecycle(store: Store, clock: Clock): Promise<string> {
  const now = clock.now();
  let sent = 0;
  let disabled = 0;
  for (const orgId of await store.orgs.listIds()) {
    const workspaces = new Map<string, Workspace>((await store.workspaces.listAll(orgId)).map((w) => [w.id, w]));
    for (const key of await store.apiKeys.listActive(orgId)) {
      const ws = workspaces.get(key.workspace_id);
      if (!ws || ws.archived_at !== null) continue;
      const policy = rotationPolicyOf(ws);
      for (const notice of decideKeyNotices(key, policy, now)) {
        const { type, text, data } = describe(notice, key, policy);
        await store.transaction(async (tx) => {
          if (!(await tx.firings.claim(orgId, notice.fireKey, now.toISOString()))) return;
          if (notice.kind === "rotation_overdue" && notice.disable) {
            await tx.apiKeys.update(orgId, key.id, { status: "inactive" });
            const event: AuditEventInput = {
              orgId, actor: SYSTEM, action: "api_key.disabled", target: { type: "api_key", id: key.id }, workspaceId: key.workspace_id, outcome: "success",
              reason: "rotation_overdue", requestId: null, ip: null, userAgent: null, changes: { status: { before: "active", after: "inactive" }, rotation_due_at: notice.at },
            };
            await tx.audit.append(event, now);
            disabled++;
          }
          const notification = newNotification(orgId, type, text, { api_key_id: key.id, api_key_name: key.name, workspace_id: key.workspace_id, ...data }, now);
          await notify(tx, orgId, "key_lifecycle", { workspaceId: key.workspace_id, apiKeyId: key.id }, notification, await ownerEmail(tx, key), now);
          sent++;
        });
      }
    }
  }
  return `${sent} notices, ${disabled} keys disabled`;
}
