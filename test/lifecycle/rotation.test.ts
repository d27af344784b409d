/**
 * K6 rolling with a grace period on the real data plane (mock upstream, fake clock), usage during
 * the grace, early completion, the workspace rotation policy (notify / disable) and the owner's
 * expiry and rotation warnings through a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { schedulerFor } from "../support/lifecycle.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";
import { startSmtp } from "../support/receivers.js";

const DAY = 86_400_000;

describe("key rotation and expiry", () => {
  let upstream: MockUpstream;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let h: Harness;
  let baseURL: string;
  let ws: string;
  let sched: ReturnType<typeof schedulerFor>;

  beforeAll(async () => {
    [upstream, smtp] = await Promise.all([startMockUpstream(), startSmtp()]);
    h = await createHarness("sqlite", { dataPlane: { upstreamUrl: upstream.url } });
    baseURL = await h.listen();
    sched = schedulerFor(h, smtp.url);
    ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
  });
  afterAll(async () => {
    await sched.scheduler.stop();
    sched.senders.close();
    await h.close();
    await Promise.all([upstream.close(), smtp.close()]);
  });

  const status = async (secret: string) => (await fetch(`${baseURL}/v1/messages`, {
    method: "POST", headers: { "x-api-key": secret, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 50, messages: [{ role: "user", content: "Hello" }] }),
  })).status;
  const newKey = (name: string, extra: Record<string, unknown> = {}, workspace = ws) => ok(h, "POST", "/v1/organizations/api_keys", { name, workspace_id: workspace, tier: 4, ...extra });
  const rotate = (id: string, grace: number) => h.call("POST", `/v1/organizations/api_keys/${id}/rotate`, { grace_period_seconds: grace });

  it.each([0, 3600, 86_400, 604_800])("K6 with grace %i s: the new key works at once, the old one until expires_at − 1 ms and never from expires_at", async (grace) => {
    const old = await newKey(`billing-service-grace-${grace}`);
    expect(await status(old.secret)).toBe(200);
    const res = await rotate(old.id, grace);
    expect(res.status).toBe(200);
    const next = res.json;
    expect(next.secret).toMatch(/^gth_prod_/);
    expect(next).toMatchObject({ rotated_from: old.id, workspace_id: ws, tier: 4, name: old.name });
    expect(next.previous_key).toMatchObject({ id: old.id, rotated_to: next.id });
    const expiresAt = Date.parse(next.previous_key.expires_at);
    expect(expiresAt).toBe(h.clock.now().getTime() + grace * 1000);
    expect(await status(next.secret)).toBe(200);
    if (grace > 0) {
      h.clock.set(new Date(expiresAt - 1).toISOString());
      expect(await status(old.secret)).toBe(200);
    }
    h.clock.set(new Date(expiresAt).toISOString());
    expect(await status(old.secret)).toBe(401);
    h.clock.advance(DAY);
    expect(await status(old.secret)).toBe(401);
    expect(await status(next.secret)).toBe(200);
    const events = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${old.id}&action=api_key.rotated`);
    expect(events.data).toHaveLength(1);
    expect(events.data[0].changes).toMatchObject({ new_key_id: next.id, grace_period_seconds: grace });
  });

  it("never more than two live secrets: a roll inside the grace expires the oldest; a replaced key cannot be rolled again", async () => {
    const a = await newKey("search-indexer-prod");
    const b = (await rotate(a.id, 86_400)).json;
    h.clock.advance(60_000);
    const c = (await rotate(b.id, 86_400)).json;
    expect([await status(a.secret), await status(b.secret), await status(c.secret)]).toEqual([401, 200, 200]);
    const again = await rotate(a.id, 0);
    expect(again.status).toBe(400);
    expect(again.json.error.details.error_code).toBe("key_already_rotated");
    expect((await rotate(c.id, 604_801)).status).toBe(400);
  });

  it("keeps the key's own limits; shows grace-period usage; can be completed early", async () => {
    const a = await newKey("ledger-sync-prod");
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: a.id }, amount: "1500", period: "daily" });
    await ok(h, "POST", `/v1/organizations/api_keys/${a.id}/rate_limits/rl_messages`, { limits: [{ type: "requests_per_minute", value: 77 }] });
    const b = (await rotate(a.id, 86_400)).json;
    const limits = await ok(h, "GET", "/v1/organizations/spend_limits?scope_type[]=api_key");
    expect(limits.data.find((l: any) => l.scope.api_key_id === b.id)).toMatchObject({ amount: "1500", period: "daily" });
    const rl = await ok(h, "GET", `/v1/organizations/api_keys/${b.id}/rate_limits`);
    expect(JSON.stringify(rl)).toContain("77");
    for (let i = 0; i < 3; i++) expect(await status(a.secret)).toBe(200);
    const during = await ok(h, "GET", `/v1/organizations/api_keys/${a.id}`);
    expect(during.rotation_grace).toMatchObject({ requests_since_rotation: 3, ends_at: b.previous_key.expires_at });
    const done = await ok(h, "POST", `/v1/organizations/api_keys/${a.id}/rotate/complete`);
    expect(done.expires_at).toBe(h.clock.now().toISOString());
    expect(await status(a.secret)).toBe(401);
    expect(await status(b.secret)).toBe(200);
    expect((await h.call("POST", `/v1/organizations/api_keys/${b.id}/rotate/complete`)).status).toBe(400);
  });

  it("rotation policy: overdue keys are disabled or notified; owners get expiry and rotation warnings at 14, 7 and 1 days", async () => {
    const owner = await ok(h, "POST", "/v1/organizations/users", { email: "owner@example.com", name: "Key Owner", role: "developer" });
    const strict = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Payments", environment: "production", rotation_policy: { max_key_age_days: 30, action: "disable" } })).id;
    const lax = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Sandbox", environment: "development", rotation_policy: { max_key_age_days: 30, action: "notify" } })).id;
    const start = h.clock.now().getTime();
    const strictKey = await newKey("payments-api-prod", { owner_user_id: owner.id }, strict);
    const laxKey = await newKey("sandbox-experiments", { owner_user_id: owner.id }, lax);
    const tempKey = await newKey("sandbox-load-test", { owner_user_id: owner.id, expires_at: new Date(start + 20 * DAY).toISOString() }, lax);
    // Subjects, unfolded (long headers wrap onto continuation lines).
    const mailsTo = (text: string) => smtp.mails.filter((m) => m.to.includes("owner@example.com"))
      .map((m) => /Subject: (.*)/.exec(m.raw.replace(/\r?\n[ \t]+/g, " "))?.[1] ?? "").filter((s) => s.includes(text));
    const at = async (days: number) => {
      h.clock.set(new Date(start + days * DAY).toISOString());
      await sched.scheduler.tick();
    };
    expect((await ok(h, "GET", `/v1/organizations/api_keys/${strictKey.id}`)).rotation_status).toBe("ok");
    await at(1);
    expect(mailsTo("")).toEqual([]);
    await at(7); // the temporary key expires in 13 days
    await at(7.1); // nothing new
    expect(mailsTo("expires in less than 14 days")).toHaveLength(1);
    await at(16.5); // rotation due in 13.5 days; expiry in 3.5
    expect((await ok(h, "GET", `/v1/organizations/api_keys/${strictKey.id}`)).rotation_status).toBe("due_soon");
    await at(19.5); // expiry in half a day
    expect(mailsTo("expires in less than")).toHaveLength(3);
    expect(mailsTo("must be rotated within 14 days")).toHaveLength(2);
    await at(23.5);
    await at(29.5);
    expect(mailsTo("must be rotated within")).toHaveLength(6);
    expect(mailsTo("sandbox-load-test").filter((s) => s.includes("rotated"))).toEqual([]);
    expect(await status(strictKey.secret)).toBe(200);
    await at(30.5);
    expect(await status(strictKey.secret)).toBe(401);
    expect(await status(laxKey.secret)).toBe(200);
    expect(await status(tempKey.secret)).toBe(401);
    const strictNow = await ok(h, "GET", `/v1/organizations/api_keys/${strictKey.id}`);
    expect(strictNow).toMatchObject({ status: "inactive", rotation_status: "overdue" });
    expect((await ok(h, "GET", `/v1/organizations/api_keys/${laxKey.id}`))).toMatchObject({ status: "active", rotation_status: "overdue" });
    const disabled = await ok(h, "GET", `/v1/organizations/audit_events?target_id=${strictKey.id}&action=api_key.disabled`);
    expect(disabled.data).toMatchObject([{ actor: { type: "system", id: "scheduler" }, outcome: { reason: "rotation_overdue" } }]);
    await at(31.5);
    expect(mailsTo("overdue")).toHaveLength(2);
    const overdue = (await ok(h, "GET", "/v1/organizations/alert_deliveries?limit=100")).data.filter((d: any) => d.event_type.includes("overdue"));
    expect(overdue.map((d: any) => [d.event_type, d.payload.data.api_key_id, d.status]).sort()).toEqual([
      ["api_key.disabled_overdue", strictKey.id, "delivered"], ["api_key.rotation_overdue", laxKey.id, "delivered"],
    ].sort());
  });
});
