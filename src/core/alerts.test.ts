import { describe, expect, it } from "vitest";
import { decideDelivery, decideSpendAlerts, limitsWatchedBy, percentUsed, projectedSpend, rulesCovering, signWebhook, verifyWebhookSignature } from "./alerts.js";

const DAY = 86_400_000;
const month = { startMs: Date.parse("2026-11-01T00:00:00Z"), endMs: Date.parse("2026-12-01T00:00:00Z") };
const rule = { thresholds: [50, 80, 100], projected: true };

describe("spend alert decisions", () => {
  it.each([
    // spent, limit, day of month, already fired, expected
    [0, 1000, 1, [], []],
    [499, 1000, 20, [], []],
    [500, 1000, 20, [], ["threshold:50"]],
    [850, 1000, 28, [], ["threshold:50", "threshold:80"]],
    [850, 1000, 28, ["threshold:50"], ["threshold:80"]],
    [1000, 1000, 29, ["threshold:50", "threshold:80"], ["threshold:100"]],
    [1200, 1000, 29, ["threshold:50", "threshold:80", "threshold:100"], []],
    // 40% used after 10 days of 30: the run rate says 120% by month end.
    [400, 1000, 10, [], ["projected"]],
    [400, 1000, 10, ["projected"], []],
    // Before a tenth of the month has passed, no projection.
    [200, 1000, 2, [], []],
    // 40% after 20 days: on track for 60%, no projection.
    [400, 1000, 20, [], []],
  ] as const)("spent %i of %i on day %i, fired %j → %j", (spent, limit, day, fired, expected) => {
    const w = { ...month, limitMicros: limit, spentMicros: spent, nowMs: month.startMs + day * DAY };
    const names = decideSpendAlerts(rule, w, new Set(fired)).map((a) => (a.kind === "threshold" ? `threshold:${a.percent}` : "projected"));
    expect(names).toEqual(expected);
  });
  it("projection is spend scaled to the whole window; a limit of 0 counts as used", () => {
    expect(projectedSpend({ ...month, limitMicros: 1, spentMicros: 300, nowMs: month.startMs + 10 * DAY })).toBe(900);
    expect(percentUsed(1, 0)).toBe(100);
    expect(percentUsed(799, 1000)).toBe(79);
  });
  it("a rule without projection only fires thresholds", () => {
    expect(decideSpendAlerts({ thresholds: [90], projected: false }, { ...month, limitMicros: 1000, spentMicros: 400, nowMs: month.startMs + 10 * DAY }, new Set())).toEqual([]);
  });
});

describe("delivery retries", () => {
  it.each([
    [{ kind: "http", status: 200 }, "delivered"], [{ kind: "http", status: 204 }, "delivered"], [{ kind: "accepted" }, "delivered"],
    [{ kind: "http", status: 500 }, "pending"], [{ kind: "http", status: 503 }, "pending"], [{ kind: "http", status: 429 }, "pending"],
    [{ kind: "http", status: 408 }, "pending"], [{ kind: "error", permanent: false }, "pending"],
    [{ kind: "http", status: 404 }, "failed"], [{ kind: "http", status: 410 }, "failed"], [{ kind: "error", permanent: true }, "failed"],
  ] as const)("first attempt %j → %s", (result, status) => {
    expect(decideDelivery(result, 1).status).toBe(status);
  });
  it("backs off 30 s, 2 min, 10 min, 1 h, 6 h, then gives up", () => {
    const retry = { kind: "http", status: 502 } as const;
    expect([1, 2, 3, 4, 5, 6].map((n) => decideDelivery(retry, n).retryInMs)).toEqual([30_000, 120_000, 600_000, 3_600_000, 21_600_000, null]);
    expect(decideDelivery(retry, 6).status).toBe("failed");
  });
});

describe("which rules and limits an alert concerns", () => {
  const rule = (scope_type: "organization" | "workspace" | "api_key", scope_id: string | null, events: ("spend" | "key_lifecycle" | "limit_requests")[]) =>
    ({ id: `${scope_type}:${scope_id}`, scope_type, scope_id, events }) as never;
  const rules = [rule("organization", null, ["spend", "key_lifecycle"]), rule("workspace", "ws_a", ["key_lifecycle"]), rule("workspace", "ws_b", ["key_lifecycle"]), rule("api_key", "k1", ["spend"])];
  it("a key's lifecycle event reaches the organization's and its workspace's rules, not another workspace's", () => {
    expect(rulesCovering(rules, "key_lifecycle", { workspaceId: "ws_a", apiKeyId: "k9" }).map((r) => r.id)).toEqual(["organization:null", "workspace:ws_a"]);
    expect(rulesCovering(rules, "spend", { apiKeyId: "k1" }).map((r) => r.id)).toEqual(["organization:null", "api_key:k1"]);
    expect(rulesCovering(rules, "limit_requests", { workspaceId: "ws_a" })).toEqual([]);
  });
  it("a rule watches the limits with an amount on exactly its scope", () => {
    const limit = (id: string, scope_type: string, scope_id: string | null, amount_cents: number | null) => ({ id, scope_type, scope_id, amount_cents }) as never;
    const limits = [limit("org", "organization", null, 100), limit("ws", "workspace", "ws_a", 50), limit("none", "workspace", "ws_a", null), limit("key", "api_key", "k1", 5)];
    expect(limitsWatchedBy({ scope_type: "workspace", scope_id: "ws_a" }, limits).map((l: { id: string }) => l.id)).toEqual(["ws"]);
    expect(limitsWatchedBy({ scope_type: "organization", scope_id: null }, limits).map((l: { id: string }) => l.id)).toEqual(["org"]);
  });
});

describe("webhook signatures", () => {
  const secret = "whsec_test-secret";
  const body = JSON.stringify({ id: "ntf_1", type: "spend.threshold_reached" });
  it("verify accepts the signature and refuses any change of body, secret or an old timestamp", () => {
    const header = signWebhook(secret, body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, body, header, 1_800_000_010)).toBe(true);
    expect(verifyWebhookSignature(secret, body + " ", header, 1_800_000_010)).toBe(false);
    expect(verifyWebhookSignature("whsec_other", body, header, 1_800_000_010)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, 1_800_000_000 + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, body, "t=1800000000,v1=00", 1_800_000_000)).toBe(false);
  });
});
