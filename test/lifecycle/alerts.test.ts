/**
 * Spend alerts end to end with a fake clock: thresholds and the projected overrun fire exactly
 * once per period on each channel (signed webhook, Slack, email over a real SMTP server), and
 * every delivery attempt, retries included, is visible through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/core/alerts.js";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { schedulerFor, spend } from "../support/lifecycle.js";
import { startReceiver, startSmtp } from "../support/receivers.js";

const MIN = 60_000;
const DAY = 86_400_000;

describe("spend alerts", () => {
  let h: Harness;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let slack: Awaited<ReturnType<typeof startReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let sched: ReturnType<typeof schedulerFor>;
  let key: { id: string; workspace_id: string };
  let ruleId: string;
  let secret: string;

  beforeAll(async () => {
    [hook, slack, smtp] = await Promise.all([startReceiver(), startReceiver(), startSmtp()]);
    h = await createHarness("sqlite");
    h.clock.set("2026-11-01T00:00:00.000Z");
    sched = schedulerFor(h, smtp.url);
    const ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
    key = await ok(h, "POST", "/v1/organizations/api_keys", { name: "checkout-service-prod", workspace_id: ws });
    // $100 a month for the organization.
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "organization" }, amount: "10000", period: "monthly" });
    const rule = await h.call("POST", "/v1/organizations/alert_rules", {
      name: "finance-monthly-budget", scope: { type: "organization" }, events: ["spend"],
      channels: [{ type: "webhook", url: `${hook.url}/gatehouse` }, { type: "slack", url: `${slack.url}/services/T0/B0/secret` }, { type: "email", to: ["finance@example.com"] }],
    });
    expect(rule.status).toBe(201);
    expect(rule.json).toMatchObject({ thresholds: [50, 80, 100], projected: true, channels: [{ type: "webhook" }, { type: "slack", url: `${slack.url}/…` }, { type: "email" }] });
    expect(rule.json.webhook_secret).toMatch(/^whsec_/);
    ruleId = rule.json.id;
    secret = rule.json.webhook_secret;
  });
  afterAll(async () => {
    await sched.scheduler.stop();
    sched.senders.close();
    await h.close();
    await Promise.all([hook.close(), slack.close(), smtp.close()]);
  });

  /** Moves the clock a minute on and runs one scheduler pass. */
  const tick = async (ms = MIN) => {
    h.clock.advance(ms);
    return sched.scheduler.tick();
  };
  const events = () => hook.received.map((r) => JSON.parse(r.body).data.threshold_percent ?? JSON.parse(r.body).type);

  it("the projected overrun fires before the limit is reached, once", async () => {
    h.clock.set("2026-11-02T00:00:00.000Z");
    await spend(h, key, 5_000_000); // $5 on day 1: too early to project
    await tick();
    expect(hook.received).toHaveLength(0);
    h.clock.set("2026-11-04T00:00:00.000Z");
    await spend(h, key, 10_000_000); // $15 after 3 days: $150 by month end
    expect(await tick()).toContain("spend_alerts");
    expect(events()).toEqual(["spend.projected_overrun"]);
    expect(slack.received).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    await tick();
    await tick(DAY);
    expect(events()).toEqual(["spend.projected_overrun"]);
  });

  it("each threshold fires exactly once per period on every channel", async () => {
    await spend(h, key, 40_000_000); // $55
    await tick();
    await spend(h, key, 30_000_000); // $85
    await tick();
    await tick();
    await spend(h, key, 15_000_000); // $100
    await tick();
    await tick();
    expect(events()).toEqual(["spend.projected_overrun", 50, 80, 100]);
    expect(slack.received).toHaveLength(4);
    expect(smtp.mails).toHaveLength(4);
    // A new month: the thresholds arm again.
    h.clock.set("2026-12-20T00:00:00.000Z");
    await spend(h, key, 60_000_000);
    await tick();
    await tick();
    expect(events()).toEqual(["spend.projected_overrun", 50, 80, 100, 50]);
  });

  it("webhooks carry a verifiable HMAC-SHA-256 signature; Slack gets its format; email reaches SMTP", async () => {
    for (const r of hook.received) {
      const t = Number(/t=(\d+)/.exec(String(r.headers["gatehouse-signature"]))?.[1]);
      expect(verifyWebhookSignature(secret, r.body, String(r.headers["gatehouse-signature"]), t)).toBe(true);
      expect(verifyWebhookSignature("whsec_wrong", r.body, String(r.headers["gatehouse-signature"]), t)).toBe(false);
      expect(r.headers["gatehouse-event"]).toBe(JSON.parse(r.body).type);
      expect(r.path).toBe("/gatehouse");
    }
    const body = JSON.parse(hook.received[1]!.body);
    expect(body).toMatchObject({ type: "spend.threshold_reached", organization_id: h.orgId, data: { rule_id: ruleId, threshold_percent: 50, period: "monthly", limit_cents: "10000", period_to_date_spend_cents: "5500" } });
    expect(JSON.parse(slack.received[1]!.body).text).toContain("50% of its monthly limit");
    expect(smtp.mails[1]).toMatchObject({ from: "gatehouse@example.com", to: ["finance@example.com"] });
    expect(smtp.mails[1]!.raw).toContain("50% of its monthly limit");
    const log = await ok(h, "GET", `/v1/organizations/alert_deliveries?rule_id=${ruleId}&limit=100`);
    expect(log.data).toHaveLength(15);
    expect(log.data.every((d: any) => d.status === "delivered" && d.attempts.length === 1)).toBe(true);
  });

  it("failed deliveries are retried with backoff and every attempt is recorded; a 404 is not retried", async () => {
    const flaky = await startReceiver([500, 503]);
    const gone = await startReceiver([404]);
    try {
      await ok(h, "POST", "/v1/organizations/alert_rules", { name: "ops-pager", scope: { type: "organization" }, events: ["spend"], thresholds: [90], channels: [{ type: "webhook", url: flaky.url }] });
      const goneRule = await ok(h, "POST", "/v1/organizations/alert_rules", { name: "old-endpoint", scope: { type: "organization" }, events: ["spend"], thresholds: [90], channels: [{ type: "webhook", url: gone.url }] });
      await spend(h, key, 40_000_000); // $100 of December
      await tick();
      const pending = (await ok(h, "GET", "/v1/organizations/alert_deliveries?status=pending")).data;
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ attempts: [{ status: 500, error: null }], next_attempt_at: new Date(h.clock.now().getTime() + 30_000).toISOString() });
      await tick(10_000); // not yet due
      expect(flaky.received).toHaveLength(1);
      await tick(25_000);
      expect(flaky.received).toHaveLength(2);
      await tick(120_000);
      expect(flaky.received).toHaveLength(3);
      const done = await ok(h, "GET", `/v1/organizations/alert_deliveries/${pending[0].id}`);
      expect(done.status).toBe("delivered");
      expect(done.attempts.map((a: any) => a.status)).toEqual([500, 503, 200]);
      const failed = (await ok(h, "GET", `/v1/organizations/alert_deliveries?rule_id=${goneRule.id}`)).data;
      expect(failed).toMatchObject([{ status: "failed", attempts: [{ status: 404 }], next_attempt_at: null }]);
      expect(gone.received).toHaveLength(1);
    } finally {
      await flaky.close();
      await gone.close();
    }
  });

  it("rules are audited and validated", async () => {
    const bad = await h.call("POST", "/v1/organizations/alert_rules", { name: "x", scope: { type: "organization" }, channels: [{ type: "webhook", url: "ftp://example.com" }] });
    expect(bad.status).toBe(400);
    const unknownScope = await h.call("POST", "/v1/organizations/alert_rules", { name: "x", scope: { type: "workspace", workspace_id: "wrkspc_missing" }, channels: [{ type: "email", to: ["a@b.co"] }] });
    expect(unknownScope.status).toBe(404);
    const audit = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${ruleId}`);
    expect(audit.data.map((e: any) => e.action)).toEqual(["alert_rule.created"]);
    expect(JSON.stringify(audit.data)).not.toContain(secret);
  });
});
