import { describe, expect, it } from "vitest";
import { open, seal } from "./crypto.js";

describe("sealed boxes", () => {
  const key = Buffer.alloc(32, 3);
  it("round-trips and never contains the plaintext", () => {
    const box = seal(key, "sk-ant-api03-secret-value", "org:ws");
    expect(box).not.toContain("secret");
    expect(open(key, box, "org:ws")).toBe("sk-ant-api03-secret-value");
    expect(seal(key, "x", "c")).not.toBe(seal(key, "x", "c"));
  });
  it("refuses a wrong key, a wrong context and a tampered box", () => {
    const box = seal(key, "value", "org:ws");
    expect(() => open(Buffer.alloc(32, 4), box, "org:ws")).toThrow();
    expect(() => open(key, box, "org:other")).toThrow();
    const parts = box.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => open(key, parts.join("."), "org:ws")).toThrow();
    expect(() => open(key, "v2.a.b.c", "org:ws")).toThrow();
  });
});
