/**
 * Spend limit increase requests: a key owner blocked by a limit asks for more, the workspace's
 * admins hear about it by email, and an admin approves or denies with the official SDK 1.x admin
 * client (`spendLimits.increaseRequests`); approval raises the limit at once on the data plane.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { schedulerFor } from "../support/lifecycle.js";
import { type MockUpstream, startMockUpstream } from "../support/mock-upstream.js";
import { startSmtp } from "../support/receivers.js";

describe("spend limit increase requests", () => {
  let upstream: MockUpstream;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let h: Harness;
  let baseURL: string;
  let sched: ReturnType<typeof schedulerFor>;
  let sdk: Anthropic;
  let dev: { id: string; adminKey: string };
  let key: { id: string; secret: string };

  beforeAll(async () => {
    [upstream, smtp] = await Promise.all([startMockUpstream(), startSmtp()]);
    h = await createHarness("sqlite", { dataPlane: { upstreamUrl: upstream.url } });
    baseURL = await h.listen();
    sched = schedulerFor(h, smtp.url);
    sdk = new Anthropic({ apiKey: h.adminKey, baseURL, maxRetries: 0 });
    const ws = (await ok(h, "POST", "/v1/organizations/workspaces", { name: "Production", environment: "production" })).id;
    const person = async (email: string, role: string, wsRole: string | null) => {
      const u = await ok(h, "POST", "/v1/organizations/users", { email, name: email.split("@")[0], role });
      if (wsRole) await ok(h, "POST", `/v1/organizations/workspaces/${ws}/members`, { user_id: u.id, workspace_role: wsRole });
      return { id: u.id as string, adminKey: (await ok(h, "POST", "/v1/organizations/admin_keys", { name: `${email.split("@")[0]}-cli`, user_id: u.id })).secret as string };
    };
    dev = await person("dev@example.com", "user", "workspace_developer");
    await person("lead@example.com", "user", "workspace_admin");
    await person("cto@example.com", "admin", null);
    await person("bystander@example.com", "user", "workspace_user");
    key = await ok(h, "POST", "/v1/organizations/api_keys", { name: "report-generator-prod", workspace_id: ws, owner_user_id: dev.id, tier: 4 });
    await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: key.id }, amount: "1", period: "daily" });
  });
  afterAll(async () => {
    await sched.scheduler.stop();
    sched.senders.close();
    await h.close();
    await Promise.all([upstream.close(), smtp.close()]);
  });

  const claude = async () => {
    const res = await fetch(`${baseURL}/v1/messages`, {
      method: "POST", headers: { "x-api-key": key.secret, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Draft the weekly report." }] }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const untilBlocked = async () => {
    for (let i = 0; i < 200; i++) {
      const r = await claude();
      if (r.status !== 200) return r;
    }
    throw new Error("never blocked");
  };

  it("a blocked key owner asks; the workspace admins are emailed; the SDK approves and the limit rises at once", async () => {
    const blocked = await untilBlocked();
    expect(blocked).toMatchObject({ status: 400, body: { error: { details: { error_code: "spend_limit_reached" } } } });
    const created = await h.call("POST", "/v1/organizations/spend_limit_increase_requests", { period: "daily", api_key_id: key.id, reason: "quarter close needs more reports" }, dev.adminKey);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ type: "spend_limit_increase_request", status: "pending", period: "daily", actor: { type: "user_actor", user_id: dev.id, email_address: "dev@example.com" } });
    const again = await h.call("POST", "/v1/organizations/spend_limit_increase_requests", { period: "daily", api_key_id: key.id }, dev.adminKey);
    expect(again.status).toBe(400);
    const forOther = await h.call("POST", "/v1/organizations/spend_limit_increase_requests", { period: "daily", user_id: "user_someone_else" }, dev.adminKey);
    expect(forOther.status).toBe(403);

    await sched.scheduler.tick();
    const recipients = smtp.mails.flatMap((m) => m.to).sort();
    expect(recipients).toEqual(["cto@example.com", "lead@example.com"]);
    expect(smtp.mails[0]!.raw.replace(/=\r?\n/g, "")).toContain("quarter close needs more reports");

    const pending = [];
    for await (const r of sdk.beta.organization.spendLimits.increaseRequests.list({ status: ["pending"] } as never)) pending.push(r);
    expect(pending.map((r: any) => r.id)).toEqual([created.json.id]);
    const live = await sdk.beta.organization.spendLimits.increaseRequests.retrieve(created.json.id);
    expect((live as any).spend_summary).toMatchObject({ period: "daily", amount: "1", currency: "USD" });

    const approved = await sdk.beta.organization.spendLimits.increaseRequests.approve(created.json.id, { amount: "500" } as never);
    expect(approved).toMatchObject({ status: "approved", spend_limit: { amount: "500", period: "daily", scope: { type: "api_key", api_key_id: key.id } } });
    expect((await claude()).status).toBe(200);
    const actions = (await ok(h, "GET", `/v1/organizations/audit_events?target_id=${created.json.id}`)).data.map((e: any) => e.action);
    expect(actions).toEqual(["spend_limit_increase_request.created", "spend_limit_increase_request.approved"]);
    h.clock.advance(60_000);
    await sched.scheduler.tick(); // the requester hears back
    expect(smtp.mails.filter((m) => m.to.includes("dev@example.com"))).toHaveLength(1);
  });

  it("deny is idempotent; an approved request cannot be denied; non-admins cannot decide", async () => {
    const r = await ok(h, "POST", "/v1/organizations/spend_limit_increase_requests", { period: "monthly", reason: "more experiments" }, dev.adminKey);
    expect((await h.call("POST", `/v1/organizations/spend_limit_increase_requests/${r.id}/approve`, { amount: "100" }, dev.adminKey)).status).toBe(403);
    const denied = await sdk.beta.organization.spendLimits.increaseRequests.deny(r.id, { suppress_notification: true } as never);
    expect(denied).toMatchObject({ status: "denied", spend_summary: null });
    expect((await sdk.beta.organization.spendLimits.increaseRequests.deny(r.id, undefined as never)).status).toBe("denied");
    const approvedOne = (await ok(h, "GET", "/v1/organizations/spend_limit_increase_requests?status[]=approved")).data[0];
    const res = await h.call("POST", `/v1/organizations/spend_limit_increase_requests/${approvedOne.id}/deny`, {});
    expect(res.status).toBe(400);
  });
});
