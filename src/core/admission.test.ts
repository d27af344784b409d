import { describe, expect, it } from "vitest";
import { admissionFrame, applicableSpendLimits, decideKeyUse, estimateInputTokens, frameHolds, modelAllowed, planAdmission, planFromFrame, sourceAllowed } from "./admission.js";
import type { SpendLimit } from "./domain.js";
import { DEFAULT_PRICES, nanosToMicros, worstCaseNanos } from "./pricing.js";

const now = new Date("2026-11-28T13:00:00.000Z");
const key = { id: "apikey_k", workspace_id: "wrkspc_w", owner_user_id: "user_u", status: "active" as const, expires_at: null, allowed_models: null, allowed_cidrs: null };

describe("decideKeyUse", () => {
  it.each([
    [{}, null, undefined, { ok: true }],
    [{ status: "inactive" as const }, null, undefined, { ok: false, reason: "revoked" }],
    [{ status: "archived" as const }, null, undefined, { ok: false, reason: "revoked" }],
    [{ expires_at: "2026-11-28T13:00:00.000Z" }, null, undefined, { ok: false, reason: "expired" }],
    [{ expires_at: "2026-11-28T13:00:00.001Z" }, null, undefined, { ok: true }],
    [{}, "2026-11-01T00:00:00.000Z", undefined, { ok: false, reason: "revoked" }],
    [{}, null, "wrkspc_other", { ok: false, reason: "wrong_workspace" }],
    [{}, null, "wrkspc_w", { ok: true }],
  ] as const)("%j, archived %s, header %s → %j", (patch, archivedAt, header, expected) => {
    expect(decideKeyUse({ ...key, ...patch }, archivedAt, header, now)).toEqual(expected);
  });
});

describe("restrictions", () => {
  it("models: none set allows all; a list allows only its members", () => {
    expect(modelAllowed(key, "claude-opus-5")).toBe(true);
    expect(modelAllowed({ allowed_models: [] }, "claude-opus-5")).toBe(true);
    expect(modelAllowed({ allowed_models: ["claude-haiku-4-5"] }, "claude-opus-5")).toBe(false);
  });
  it("networks: none set allows all; a list needs a match; an unknown address is refused", () => {
    expect(sourceAllowed(key, null)).toBe(true);
    expect(sourceAllowed({ allowed_cidrs: ["10.0.0.0/8"] }, "10.1.1.1")).toBe(true);
    expect(sourceAllowed({ allowed_cidrs: ["10.0.0.0/8"] }, "192.168.0.1")).toBe(false);
    expect(sourceAllowed({ allowed_cidrs: ["10.0.0.0/8"] }, null)).toBe(false);
  });
});

describe("applicableSpendLimits", () => {
  const limit = (scope_type: SpendLimit["scope_type"], scope_id: string | null, amount_cents: number | null = 100): SpendLimit => ({
    id: `spl_${scope_type}_${scope_id}`, org_id: "o", scope_type, scope_id, period: "monthly", amount_cents, created_at: "", updated_at: "",
  });
  it("keeps the key's, its owner's, its workspace's and the organization's limits with an amount", () => {
    const limits = [
      limit("organization", null), limit("workspace", "wrkspc_w"), limit("workspace", "wrkspc_x"), limit("api_key", "apikey_k"), limit("api_key", "apikey_z"),
      limit("user", "user_u"), limit("user", "user_v"), limit("workspace", "wrkspc_w", null),
    ];
    expect(applicableSpendLimits(limits, key).map((l) => l.id)).toEqual(["spl_organization_null", "spl_workspace_wrkspc_w", "spl_api_key_apikey_k", "spl_user_user_u"]);
    expect(applicableSpendLimits(limits, { ...key, owner_user_id: null }).map((l) => l.scope_type)).not.toContain("user");
  });
});

describe("planAdmission", () => {
  it("one bucket per configured level and type, one counter per limit in its window, the worst case reserved", () => {
    const price = DEFAULT_PRICES["claude-sonnet-4-5"]!;
    const plan = planAdmission({
      orgId: "o", workspaceId: "wrkspc_w", keyId: "apikey_k",
      rate: { api_key: { requests_per_minute: 50, output_tokens_per_minute: 8000 }, workspace: { input_tokens_per_minute: 1000 }, organization: {} },
      spendLimits: [{ id: "spl_1", org_id: "o", scope_type: "workspace", scope_id: "wrkspc_w", period: "weekly", amount_cents: 250, created_at: "", updated_at: "" },
        { id: "spl_2", org_id: "o", scope_type: "organization", scope_id: null, period: "daily", amount_cents: 1, created_at: "", updated_at: "" }],
      price, request: { bodyBytes: 4001, maxTokens: 300 }, now,
    });
    expect(plan.buckets.map((b) => [b.id, b.capacity, b.cost])).toEqual([
      ["rl:api_key:apikey_k:requests_per_minute", 50, 1],
      ["rl:api_key:apikey_k:output_tokens_per_minute", 8000, 300],
      ["rl:workspace:wrkspc_w:input_tokens_per_minute", 1000, estimateInputTokens(4001)],
    ]);
    expect(plan.spend.map((s) => [s.check.id, s.check.limitMicros, s.windowStart])).toEqual([
      ["spend:o:workspace:wrkspc_w:weekly:2026-11-23T00:00:00.000Z", 2_500_000, "2026-11-23T00:00:00.000Z"],
      ["spend:o:organization:o:daily:2026-11-28T00:00:00.000Z", 10_000, "2026-11-28T00:00:00.000Z"],
    ]);
    expect(plan.reserveMicros).toBe(nanosToMicros(worstCaseNanos(price, 4001, 300, {})));
    expect(plan.nowMs).toBe(now.getTime());
    expect(estimateInputTokens(4001)).toBe(1001);
  });
});

describe("admission frames", () => {
  const limit = (period: SpendLimit["period"], scope: "workspace" | "organization" = "organization"): SpendLimit =>
    ({ id: `spl_${period}`, org_id: "o", scope_type: scope, scope_id: scope === "workspace" ? "wrkspc_w" : null, period, amount_cents: 100, created_at: "", updated_at: "" });
  const input = (spendLimits: SpendLimit[]) => ({ orgId: "o", workspaceId: "wrkspc_w", keyId: "apikey_k", rate: { api_key: { requests_per_minute: 5 }, workspace: {}, organization: {} }, spendLimits, now });

  // now = Saturday 2026-11-28 13:00 UTC: the day, the ISO week (from Monday the 23rd) and the month.
  it.each([
    [["daily"], "2026-11-28T00:00:00.000Z", "2026-11-29T00:00:00.000Z"],
    [["weekly"], "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"],
    [["monthly"], "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"],
    [["monthly", "weekly", "daily"], "2026-11-28T00:00:00.000Z", "2026-11-29T00:00:00.000Z"],
  ])("limits %j: the frame holds from %s (latest window start) until %s (first window end)", (periods, from, until) => {
    const frame = admissionFrame(input(periods.map((p) => limit(p as SpendLimit["period"]))));
    expect([frame.validFromMs, frame.validUntilMs]).toEqual([Date.parse(from), Date.parse(until)]);
    expect(frameHolds(frame, Date.parse(from))).toBe(true);
    expect(frameHolds(frame, Date.parse(until) - 1)).toBe(true);
    expect(frameHolds(frame, Date.parse(until))).toBe(false);
    expect(frameHolds(frame, Date.parse(from) - 1)).toBe(false);
  });

  it("without spend limits a frame always holds; a plan from a frame equals planAdmission", () => {
    expect(frameHolds(admissionFrame(input([])), 0)).toBe(true);
    const price = DEFAULT_PRICES["claude-sonnet-4-5"]!;
    const limits = [limit("weekly", "workspace"), limit("daily")];
    const request = { bodyBytes: 999, maxTokens: 77 };
    expect(planFromFrame(admissionFrame(input(limits)), price, request, now.getTime())).toEqual(planAdmission({ ...input(limits), price, request }));
  });
});
