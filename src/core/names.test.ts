import { describe, expect, it } from "vitest";
import { DEFAULT_NAME_RULE, checkDescriptiveName } from "./names.js";

describe("descriptive key names", () => {
  it.each(["key-1", "key", "test", "Test Key", "default", "my key", "MY_KEY_2", "tmp", "foo", "12345", "api key", "new-key", "  ", "abc", "prod"])(
    "refuses %j",
    (name) => {
      expect(checkDescriptiveName(name).ok).toBe(false);
    },
  );

  it.each(["billing-service-production", "search-indexer staging", "Support bot (dev)", "checkout-api-prod-eu", "ci-nightly-evals"])("accepts %j", (name) => {
    expect(checkDescriptiveName(name)).toEqual({ ok: true });
  });

  it("explains how to fix a refused name", () => {
    const r = checkDescriptiveName("key-1");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain("descriptive");
  });

  it("is configurable: extra words, minimum length, or off", () => {
    expect(checkDescriptiveName("sandbox", { ...DEFAULT_NAME_RULE, extraGenericWords: ["sandbox"] }).ok).toBe(false);
    expect(checkDescriptiveName("ledger", { ...DEFAULT_NAME_RULE, minLength: 10 }).ok).toBe(false);
    expect(checkDescriptiveName("key-1", { ...DEFAULT_NAME_RULE, enabled: false }).ok).toBe(true);
    expect(checkDescriptiveName("", { ...DEFAULT_NAME_RULE, enabled: false }).ok).toBe(false);
  });
});
