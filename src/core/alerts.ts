import { createHmac, timingSafeEqual } from "node:crypto";
import type { AlertRule, SpendLimit } from "./domain.js";

/**
 * Spend alerts and notification delivery: pure decisions. The scheduler's jobs read state, call
 * these, and write what they return.
 */

export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];

/** Events a rule can subscribe to. */
export const ALERT_EVENTS = ["spend", "key_lifecycle", "limit_requests"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export type AlertChannel =
  | { type: "webhook"; url: string }
  | { type: "slack"; url: string }
  | { type: "email"; to: string[] };
export type ChannelType = AlertChannel["type"];

/** The least elapsed share of a period before a run-rate projection is trusted. */
export const PROJECTION_MIN_ELAPSED = 0.1;

export interface SpendWindow {
  limitMicros: number;
  spentMicros: number;
  startMs: number;
  endMs: number;
  nowMs: number;
}

/** What the alert job should fire for one (rule, limit) now; `fired` holds what already fired this period. */
export type SpendAlert = { kind: "threshold"; percent: number } | { kind: "projected"; projectedMicros: number };

/** Spend over a limit as a percentage, rounded down (a limit of 0 counts as 100% at once). */
export function percentUsed(spentMicros: number, limitMicros: number): number {
  if (limitMicros <= 0) return 100;
  return Math.floor((spentMicros * 100) / limitMicros);
}

/**
 * Month-to-date run rate extrapolated to the end of the window. Only after a tenth of the window
 * has passed, so the first hours of a period do not page anyone.
 */
export function projectedSpend(w: SpendWindow): number | null {
  const length = w.endMs - w.startMs;
  const elapsed = w.nowMs - w.startMs;
  if (length <= 0 || elapsed < length * PROJECTION_MIN_ELAPSED) return null;
  return Math.round((w.spentMicros * length) / elapsed);
}

/**
 * Thresholds crossed and not yet fired (each fires once per period), plus the projected-overrun
 * alert when the run rate says the limit will be crossed before the window ends and it is not
 * crossed yet.
 */
export function decideSpendAlerts(
  rule: { thresholds: readonly number[]; projected: boolean },
  w: SpendWindow,
  fired: ReadonlySet<string>,
): SpendAlert[] {
  const out: SpendAlert[] = [];
  const used = percentUsed(w.spentMicros, w.limitMicros);
  for (const t of [...rule.thresholds].sort((a, b) => a - b)) {
    if (used >= t && !fired.has(alertName({ kind: "threshold", percent: t }))) out.push({ kind: "threshold", percent: t });
  }
  if (rule.projected && w.spentMicros < w.limitMicros && !fired.has(alertName({ kind: "projected" }))) {
    const p = projectedSpend(w);
    if (p !== null && p > w.limitMicros) out.push({ kind: "projected", projectedMicros: p });
  }
  return out;
}

/** The dedupe name of an alert inside its period (see `decideSpendAlerts`). */
export function alertName(a: Pick<SpendAlert, "kind"> & { percent?: number }): string {
  return a.kind === "threshold" ? `threshold:${a.percent}` : "projected";
}

/** Every alert name a rule can fire in one period. */
export function alertNamesOf(rule: { thresholds: readonly number[] }): string[] {
  return [...rule.thresholds.map((percent) => alertName({ kind: "threshold", percent })), alertName({ kind: "projected" })];
}

/** Delay before the next attempt after 1, 2, … failed attempts; after the last, the delivery fails. */
export const RETRY_DELAYS_MS: readonly number[] = [30_000, 120_000, 600_000, 3_600_000, 6 * 3_600_000];

/** What one delivery attempt came to. */
export type AttemptResult =
  | { kind: "accepted" }
  | { kind: "http"; status: number }
  | { kind: "error"; permanent: boolean };

/**
 * A delivery's state after its `attempts`-th attempt: delivered on a 2xx (or an accepted email);
 * failed at once on other 4xx than 408/429 or a permanent error; otherwise retried with backoff
 * until the retries run out.
 */
export function decideDelivery(result: AttemptResult, attempts: number): { status: "delivered" | "pending" | "failed"; retryInMs: number | null } {
  if (result.kind === "accepted" || (result.kind === "http" && result.status >= 200 && result.status < 300)) return { status: "delivered", retryInMs: null };
  const permanent = result.kind === "error" ? result.permanent : result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429;
  const delay = permanent ? undefined : RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? { status: "failed", retryInMs: null } : { status: "pending", retryInMs: delay };
}

/** The rules subscribed to `event` whose scope covers the subject (the organization always does). */
export function rulesCovering(rules: readonly AlertRule[], event: AlertEvent, subject: { workspaceId?: string | null; apiKeyId?: string | null }): AlertRule[] {
  return rules.filter((r) => r.events.includes(event) && (
    r.scope_type === "organization"
    || (r.scope_type === "workspace" && r.scope_id === subject.workspaceId)
    || (r.scope_type === "api_key" && r.scope_id === subject.apiKeyId)));
}

/** The spend limits a rule watches: those with an amount set on exactly the rule's scope. */
export function limitsWatchedBy(rule: Pick<AlertRule, "scope_type" | "scope_id">, limits: readonly SpendLimit[]): SpendLimit[] {
  return limits.filter((l) => l.amount_cents !== null && l.scope_type === rule.scope_type && l.scope_id === rule.scope_id);
}

/** The webhook signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/** Receiver-side check of `signWebhook`, with a tolerance on the timestamp. */
export function verifyWebhookSignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || typeof parts.v1 !== "string") return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split("v1=")[1] as string, "hex");
  const given = Buffer.from(parts.v1, "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** One notification, whatever the channel. `text` is the human summary (Slack, email subject and body). */
export interface Notification {
  id: string;
  type: string;
  created_at: string;
  organization_id: string;
  text: string;
  data: Record<string, unknown>;
}

/** Slack incoming-webhook body. */
export function slackBody(n: Notification): Record<string, unknown> {
  return { text: n.text, blocks: [{ type: "section", text: { type: "mrkdwn", text: n.text } }, { type: "context", elements: [{ type: "mrkdwn", text: `${n.type} · ${n.id}` }] }] };
}
