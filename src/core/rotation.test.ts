import { describe, expect, it } from "vitest";
import { decideKeyNotices, decideRotate, rotationStatus, warningWindow } from "./rotation.js";

const DAY = 86_400_000;
const now = new Date("2026-11-01T00:00:00Z");
const at = (days: number) => new Date(now.getTime() + days * DAY);

describe("rotation status under a 90-day policy", () => {
  const policy = { max_key_age_days: 90, action: "notify" as const };
  it.each([[0, "ok"], [75, "ok"], [76.5, "due_soon"], [89.9, "due_soon"], [90, "overdue"], [400, "overdue"]] as const)("a key %f days old is %s", (age, status) => {
    expect(rotationStatus({ created_at: now.toISOString() }, policy, at(age))).toBe(status);
  });
});

describe("warning windows (14 / 7 / 1 days)", () => {
  it.each([[20, null], [14, 14], [10, 14], [7, 7], [3, 7], [1, 1], [0.5, 1], [0, null], [-1, null]] as const)("%f days before the deadline → %s", (left, window) => {
    expect(warningWindow(at(left), now)).toBe(window);
  });
});

describe("rolling a key", () => {
  const active = { status: "active" as const, expires_at: null, rotated_to: null };
  it.each([0, 3600, 86_400, 604_800])("grace %i s: the old key expires exactly then", (grace) => {
    const d = decideRotate(active, null, grace, now);
    expect(d).toEqual({ ok: true, oldExpiresAt: new Date(now.getTime() + grace * 1000), expireOlder: null });
  });
  it.each([
    ["a grace over 7 days", active, 604_801, "validation_failed"],
    ["a negative grace", active, -1, "validation_failed"],
    ["a key already rotated", { ...active, rotated_to: "apikey_new" }, 0, "key_already_rotated"],
    ["an inactive key", { ...active, status: "inactive" as const }, 0, "invalid_state_transition"],
    ["an expired key", { ...active, expires_at: now.toISOString() }, 0, "invalid_state_transition"],
  ] as const)("refuses %s", (_name, key, grace, code) => {
    expect(decideRotate(key, null, grace, now)).toMatchObject({ ok: false, code });
  });
  it("never extends a key's own expiry", () => {
    const d = decideRotate({ ...active, expires_at: at(1).toISOString() }, null, 604_800, now);
    expect(d.ok && d.oldExpiresAt.toISOString()).toBe(at(1).toISOString());
  });
  it("a third roll inside the grace expires the oldest: never more than two live secrets", () => {
    const predecessor = { id: "apikey_first", status: "active" as const, expires_at: at(1).toISOString() };
    expect(decideRotate(active, predecessor, 3600, now)).toMatchObject({ ok: true, expireOlder: "apikey_first" });
    expect(decideRotate(active, { ...predecessor, expires_at: now.toISOString() }, 3600, now)).toMatchObject({ ok: true, expireOlder: null });
  });
});

describe("notices a key is owed (90-day policy)", () => {
  const created = now.toISOString();
  const key = (extra: Record<string, unknown> = {}) => ({ id: "apikey_k", created_at: created, expires_at: null, rotated_to: null, ...extra });
  const kinds = (k: ReturnType<typeof key>, day: number, action: "notify" | "disable" = "notify") =>
    decideKeyNotices(k as never, { max_key_age_days: 90, action }, at(day)).map((n) => (n.kind === "rotation_overdue" ? `${n.kind}${n.disable ? ":disable" : ""}` : `${n.kind}:${n.days}`));
  it.each([
    [10, []], [77, ["rotation_due:14"]], [84, ["rotation_due:7"]], [89.5, ["rotation_due:1"]], [90, ["rotation_overdue"]], [200, ["rotation_overdue"]],
  ] as const)("no expiry, day %f → %j", (day, expected) => {
    expect(kinds(key(), day)).toEqual(expected);
  });
  it("expiry warnings in the 14 / 7 / 1-day windows, none once expired, no rotation warnings for a key expiring first", () => {
    const expiring = key({ expires_at: at(20).toISOString() });
    expect(kinds(expiring, 5)).toEqual([]);
    expect(kinds(expiring, 7)).toEqual(["expiring:14"]);
    expect(kinds(expiring, 19.5)).toEqual(["expiring:1"]);
    expect(kinds(expiring, 20)).toEqual([]);
  });
  it("a key expiring after its rotation is due gets both; a replaced key only its expiry; disable is carried", () => {
    expect(kinds(key({ expires_at: at(100).toISOString() }), 88)).toEqual(["expiring:14", "rotation_due:7"]);
    expect(kinds(key({ expires_at: at(100).toISOString(), rotated_to: "apikey_next" }), 88)).toEqual([]);
    expect(kinds(key({ rotated_to: "apikey_next" }), 95)).toEqual([]);
    expect(kinds(key(), 95, "disable")).toEqual(["rotation_overdue:disable"]);
  });
});
