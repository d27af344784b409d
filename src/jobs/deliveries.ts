import { type AttemptResult, type Notification, decideDelivery, signWebhook, slackBody } from "../core/alerts.js";
import { open } from "../core/crypto.js";
import type { Delivery } from "../core/domain.js";
import type { Clock, Store } from "../core/ports.js";
import { webhookSecretContext } from "../services/alert-rules.js";
import type { Senders } from "./channels.js";

export const SIGNATURE_HEADER = "gatehouse-signature";

/** Sends one pending delivery and records the attempt; what happens next is `decideDelivery`'s call. */
async function attempt(store: Store, encryptionKey: Buffer, senders: Senders, d: Delivery, now: Date): Promise<Delivery["status"]> {
  const n = JSON.parse(d.payload) as Notification;
  let result: AttemptResult;
  let error: string | null = null;
  try {
    if (d.channel === "webhook") {
      const rule = d.rule_id === null ? null : await store.alertRules.get(d.org_id, d.rule_id);
      if (!rule?.webhook_secret_ciphertext) {
        error = "the alert rule of this webhook no longer exists";
        result = { kind: "error", permanent: true };
      } else {
        const secret = open(encryptionKey, rule.webhook_secret_ciphertext, webhookSecretContext(d.org_id, rule.id));
        result = { kind: "http", status: await senders.post(d.target, d.payload, {
          "content-type": "application/json", "user-agent": "Gatehouse-Webhooks/1", "gatehouse-event": n.type, "gatehouse-delivery": d.id,
          [SIGNATURE_HEADER]: signWebhook(secret, d.payload, Math.floor(now.getTime() / 1000)),
        }) };
      }
    } else if (d.channel === "slack") {
      result = { kind: "http", status: await senders.post(d.target, JSON.stringify(slackBody(n)), { "content-type": "application/json", "user-agent": "Gatehouse-Webhooks/1" }) };
    } else {
      await senders.email(d.target.split(","), `[Gatehouse] ${n.text.slice(0, 120)}`, `${n.text}\n\nEvent: ${n.type}\nNotification: ${n.id}\n\n${JSON.stringify(n.data, null, 2)}\n`);
      result = { kind: "accepted" };
    }
  } catch (err) {
    error = err instanceof Error ? err.message.slice(0, 500) : "delivery failed";
    result = { kind: "error", permanent: false };
  }
  const attempts = [...d.attempts, { at: now.toISOString(), status: result.kind === "http" ? result.status : null, error }];
  const next = decideDelivery(result, attempts.length);
  await store.deliveries.update(d.id, {
    status: next.status, attempts, next_attempt_at: next.retryInMs === null ? null : new Date(now.getTime() + next.retryInMs).toISOString(), updated_at: now.toISOString(),
  });
  return next.status;
}

/** Sends every due delivery (bounded per pass). */
export async function deliverDue(store: Store, clock: Clock, encryptionKey: Buffer, senders: Senders, limit = 100): Promise<{ delivered: number; pending: number; failed: number }> {
  const now = clock.now();
  const due = await store.deliveries.due(now.toISOString(), limit);
  const counts = { delivered: 0, pending: 0, failed: 0 };
  for (const d of due) counts[await attempt(store, encryptionKey, senders, d, now)]++;
  return counts;
}
