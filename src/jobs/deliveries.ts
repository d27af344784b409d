import { type Notification, deliveryOutcome, nextAttemptDelay, signWebhook, slackBody } from "../core/alerts.js";
import { open } from "../core/crypto.js";
import type { Delivery } from "../core/domain.js";
import type { Clock, Store } from "../core/ports.js";
import { webhookSecretContext } from "../services/alert-rules.js";
import type { Senders } from "./channels.js";

export const SIGNATURE_HEADER = "gatehouse-signature";

/**
 * Sends one pending delivery and records the attempt: delivered on 2xx (or an accepted email),
 * retried with backoff on errors, 5xx, 408 and 429, failed on other 4xx or after the last retry.
 */
async function attempt(store: Store, encryptionKey: Buffer, senders: Senders, d: Delivery, now: Date): Promise<Delivery["status"]> {
  const n = JSON.parse(d.payload) as Notification;
  let status: number | null = null;
  let error: string | null = null;
  let permanent = false;
  try {
    if (d.channel === "webhook") {
      const rule = d.rule_id === null ? null : await store.alertRules.get(d.org_id, d.rule_id);
      if (!rule?.webhook_secret_ciphertext) {
        permanent = true;
        throw new Error("the alert rule of this webhook no longer exists");
      }
      const secret = open(encryptionKey, rule.webhook_secret_ciphertext, webhookSecretContext(d.org_id, rule.id));
      status = await senders.post(d.target, d.payload, {
        "content-type": "application/json", "user-agent": "Gatehouse-Webhooks/1", "gatehouse-event": n.type, "gatehouse-delivery": d.id,
        [SIGNATURE_HEADER]: signWebhook(secret, d.payload, Math.floor(now.getTime() / 1000)),
      });
    } else if (d.channel === "slack") {
      status = await senders.post(d.target, JSON.stringify(slackBody(n)), { "content-type": "application/json", "user-agent": "Gatehouse-Webhooks/1" });
    } else {
      await senders.email(d.target.split(","), `[Gatehouse] ${n.text.slice(0, 120)}`, `${n.text}\n\nEvent: ${n.type}\nNotification: ${n.id}\n\n${JSON.stringify(n.data, null, 2)}\n`);
      status = 250;
    }
  } catch (err) {
    error = err instanceof Error ? err.message.slice(0, 500) : "delivery failed";
  }
  const attempts = [...d.attempts, { at: now.toISOString(), status, error }];
  let outcome = permanent ? "failed" : error !== null ? "retry" : deliveryOutcome(status === 250 ? 200 : status);
  let next: string | null = null;
  if (outcome === "retry") {
    const delay = nextAttemptDelay(attempts.length);
    if (delay === null) outcome = "failed";
    else next = new Date(now.getTime() + delay).toISOString();
  }
  const final = outcome === "retry" ? "pending" : outcome;
  await store.deliveries.update(d.id, { status: final, attempts, next_attempt_at: next, updated_at: now.toISOString() });
  return final;
}

/** Sends every due delivery (bounded per pass). */
export async function deliverDue(store: Store, clock: Clock, encryptionKey: Buffer, senders: Senders, limit = 100): Promise<{ delivered: number; pending: number; failed: number }> {
  const now = clock.now();
  const due = await store.deliveries.due(now.toISOString(), limit);
  const counts = { delivered: 0, pending: 0, failed: 0 };
  for (const d of due) counts[await attempt(store, encryptionKey, senders, d, now)]++;
  return counts;
}
