import { type AlertChannel, type AlertEvent, type Notification, rulesCovering } from "../core/alerts.js";
import type { AlertRule, Delivery } from "../core/domain.js";
import { newId } from "../core/ids.js";
import type { Repos } from "../core/ports.js";

/** Where one notification goes: a channel of an alert rule, or a direct address (rule null). */
export interface Recipient {
  ruleId: string | null;
  channel: AlertChannel;
}

export function ruleRecipients(rules: readonly AlertRule[]): Recipient[] {
  return rules.flatMap((r) => r.channels.map((channel) => ({ ruleId: r.id, channel })));
}

/** An email to people (key owners, workspace admins): delivered through SMTP like an email channel. */
export function emailRecipient(addresses: readonly string[]): Recipient[] {
  const to = [...new Set(addresses)].filter((a) => a.length > 0);
  return to.length === 0 ? [] : [{ ruleId: null, channel: { type: "email", to } }];
}

export function newNotification(orgId: string, type: string, text: string, data: Record<string, unknown>, now: Date): Notification {
  return { id: newId("notification", now.getTime()), type, created_at: now.toISOString(), organization_id: orgId, text, data };
}

/**
 * Queues one delivery per recipient, in the caller's transaction, due at once. The delivery job
 * sends them and records every attempt.
 */
export async function enqueue(repos: Repos, notification: Notification, recipients: readonly Recipient[], now: Date): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (const r of recipients) {
    const d: Delivery = {
      id: newId("delivery", now.getTime()), org_id: notification.organization_id, rule_id: r.ruleId, event_type: notification.type,
      notification_id: notification.id, channel: r.channel.type, target: r.channel.type === "email" ? r.channel.to.join(",") : r.channel.url,
      payload: JSON.stringify(notification), status: "pending", attempts: [], next_attempt_at: now.toISOString(),
      created_at: now.toISOString(), updated_at: now.toISOString(),
    };
    await repos.deliveries.insert(d);
    out.push(d);
  }
  return out;
}

/** Notifies the rules subscribed to `event` for the subject, plus direct addresses. */
export async function notify(
  repos: Repos,
  orgId: string,
  event: AlertEvent,
  subject: { workspaceId?: string | null; apiKeyId?: string | null },
  notification: Notification,
  directEmails: readonly string[],
  now: Date,
): Promise<Delivery[]> {
  const rules = rulesCovering(await repos.alertRules.listAll(orgId), event, subject);
  return enqueue(repos, notification, [...ruleRecipients(rules), ...emailRecipient(directEmails)], now);
}
