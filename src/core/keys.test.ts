import { describe, expect, it } from "vitest";
import { KEY_ALPHABET, KEY_REGEX, generateKey, hashKey, keyHint, markerForEnvironment, parseKey, secretPart, verifyKey } from "./keys.js";

describe("key format (K1)", () => {
  it("generates 1,000,000 keys with no collision, all matching the published regex", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) {
      const { key } = generateKey("prod");
      seen.add(key);
    }
    expect(seen.size).toBe(1_000_000);
    for (const key of [...seen].slice(0, 10_000)) expect(KEY_REGEX.test(key)).toBe(true);
  }, 120_000);

  it("has at least 128 bits of secret entropy", () => {
    const secret = secretPart(generateKey("dev").key);
    expect(secret).not.toBeNull();
    expect(secret!.length * Math.log2(62)).toBeGreaterThanOrEqual(128);
  });

  it("rejects 100% of single-character mutations of 1,000 keys offline", () => {
    let mutations = 0;
    for (let i = 0; i < 1000; i++) {
      const { key } = generateKey(i % 2 ? "stg" : "adm");
      expect(parseKey(key)).not.toBeNull();
      // Every position after the fixed prefix, to every other alphabet character.
      for (let pos = 0; pos < key.length; pos++) {
        if (key[pos] === "_") continue;
        for (const ch of KEY_ALPHABET) {
          if (ch === key[pos]) continue;
          const mutated = key.slice(0, pos) + ch + key.slice(pos + 1);
          mutations++;
          if (parseKey(mutated) !== null) throw new Error(`mutation accepted: position ${pos}`);
        }
      }
    }
    expect(mutations).toBeGreaterThan(1000 * 50 * 60);
  }, 120_000);

  it.each([
    ["", "empty"],
    ["gth_prod_", "prefix only"],
    ["sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "an Anthropic key"],
    ["gth_xyz_0VcJ4qifnQ7bEeDrZPDRxI_smRVwF6wI1oLdH1wZHWJ5w2F47Av", "unknown marker"],
    ["gth_prod_0VcJ4qifnQ7bEeDrZPDRxI_smRVwF6wI1oLdH1wZHWJ5w2F47A", "one character short"],
    ["gth_prod_0VcJ4qifnQ7bEeDrZPDRxI-smRVwF6wI1oLdH1wZHWJ5w2F47Av", "wrong separator"],
  ])("rejects %j (%s)", (candidate) => {
    expect(parseKey(candidate)).toBeNull();
  });

  it("parses its own keys back to marker and public id", () => {
    const g = generateKey("adm", "0VcJ4qifnQ7bEeDrZPDRxI");
    expect(parseKey(g.key)).toEqual({ marker: "adm", publicId: "0VcJ4qifnQ7bEeDrZPDRxI" });
  });

  it("maps environments to markers", () => {
    expect(["production", "staging", "development", "qa"].map(markerForEnvironment)).toEqual(["prod", "stg", "dev", "env"]);
  });
});

describe("stored form (K2, K4)", () => {
  it("verifies only with the right hash key, in constant time over equal-length digests", () => {
    const pepper = Buffer.alloc(32, 7);
    const other = Buffer.alloc(32, 8);
    const { key } = generateKey("prod");
    const stored = hashKey(pepper, key);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(secretPart(key));
    expect(verifyKey(pepper, key, stored)).toBe(true);
    expect(verifyKey(other, key, stored)).toBe(false);
    expect(verifyKey(pepper, generateKey("prod").key, stored)).toBe(false);
    expect(verifyKey(pepper, key, "abc")).toBe(false);
  });

  it("shows a hint without the secret", () => {
    const { key } = generateKey("prod");
    const hint = keyHint(key);
    expect(hint).toMatch(/^gth_prod_[0-9A-Za-z]{3}\.\.\.[0-9A-Za-z]{4}$/);
    const secret = secretPart(key)!;
    for (let i = 0; i + 4 <= secret.length; i++) expect(hint.includes(secret.slice(i, i + 5))).toBe(false);
  });
});
