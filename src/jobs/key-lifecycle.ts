import type { AuditEventInput } from "../core/audit.js";
import type { ApiKey, Workspace } from "../core/domain.js";
import type { Clock, Repos, Store } from "../core/ports.js";
import { rotationDueAt, warningWindow } from "../core/rotation.js";
import { newNotification, notify } from "../services/notify.js";
import { rotationPolicyOf } from "../services/workspaces.js";

const SYSTEM = { type: "system" as const, id: "scheduler", display: "gatehouse scheduler" };

async function ownerEmail(repos: Repos, key: ApiKey): Promise<string[]> {
  const id = key.owner_user_id ?? (key.created_by_type === "user" ? key.created_by_id : null);
  const user = id === null ? null : await repos.users.get(key.org_id, id);
  return user?.status === "active" ? [user.email] : [];
}

/**
 * Expiry and rotation for every active key: warnings to the owner (and the rules subscribed to
 * `key_lifecycle`) 14, 7 and 1 days before expiry and before rotation falls due, and once a key is
 * overdue either a notice or, under a `disable` policy, the key is made inactive (audited). Each
 * warning is sent once (firing rows).
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
      if (key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) continue;
      const subject = { workspaceId: key.workspace_id, apiKeyId: key.id };
      const once = async (fireKey: string, type: string, text: string, data: Record<string, unknown>, then?: (tx: Repos) => Promise<void>) => {
        await store.transaction(async (tx) => {
          if (!(await tx.firings.claim(orgId, fireKey, now.toISOString()))) return;
          await then?.(tx);
          await notify(tx, orgId, "key_lifecycle", subject, newNotification(orgId, type, text, { api_key_id: key.id, api_key_name: key.name, workspace_id: key.workspace_id, ...data }, now), await ownerEmail(tx, key), now);
          sent++;
        });
      };
      if (key.expires_at !== null && key.rotated_to === null) {
        const days = warningWindow(new Date(key.expires_at), now);
        if (days !== null) await once(`expiry:${key.id}:${key.expires_at}:${days}`, "api_key.expiring", `API key ${key.name} (${key.id}) expires in less than ${days} day${days === 1 ? "" : "s"}, at ${key.expires_at}`, { expires_at: key.expires_at, days });
      }
      if (key.rotated_to !== null) continue;
      const policy = rotationPolicyOf(ws);
      const due = rotationDueAt(key, policy);
      // A key that expires before its rotation falls due needs no rotation.
      if (key.expires_at !== null && Date.parse(key.expires_at) <= due.getTime()) continue;
      const days = warningWindow(due, now);
      if (days !== null) {
        await once(`rotation_due:${key.id}:${days}`, "api_key.rotation_due", `API key ${key.name} (${key.id}) must be rotated within ${days} day${days === 1 ? "" : "s"} (due ${due.toISOString()}, policy ${policy.max_key_age_days} days)`, { rotation_due_at: due.toISOString(), days });
      } else if (now.getTime() >= due.getTime()) {
        const disable = policy.action === "disable";
        await once(`rotation_overdue:${key.id}`, disable ? "api_key.disabled_overdue" : "api_key.rotation_overdue",
          `API key ${key.name} (${key.id}) is overdue for rotation (due ${due.toISOString()})${disable ? " and was disabled by the workspace's rotation policy" : ""}`,
          { rotation_due_at: due.toISOString(), action: policy.action },
          disable ? async (tx) => {
            await tx.apiKeys.update(orgId, key.id, { status: "inactive" });
            const event: AuditEventInput = {
              orgId, actor: SYSTEM, action: "api_key.disabled", target: { type: "api_key", id: key.id }, workspaceId: key.workspace_id, outcome: "success",
              reason: "rotation_overdue", requestId: null, ip: null, userAgent: null, changes: { status: { before: "active", after: "inactive" }, rotation_due_at: due.toISOString() },
            };
            await tx.audit.append(event, now);
            disabled++;
          } : undefined);
      }
    }
  }
  return `${sent} notices, ${disabled} keys disabled`;
}
