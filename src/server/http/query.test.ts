import { describe, expect, it } from "vitest";
import { parseQuery } from "./query.js";

describe("parseQuery", () => {
  it.each([
    ["roles%5B%5D=user&roles%5B%5D=developer", { roles: ["user", "developer"] }],
    ["roles[]=user", { roles: ["user"] }],
    ["roles=user&roles=admin", { roles: ["user", "admin"] }],
    ["limit=20&beta=true", { limit: "20", beta: "true" }],
    ["created_at%5Bgte%5D=2026-01-01T00:00:00Z", { created_at: { gte: "2026-01-01T00:00:00Z" } }],
    ["x=", { x: "" }],
    ["__proto__[polluted]=1&constructor=1&a[__proto__]=2", {}],
  ])("%s", (qs, expected) => {
    expect({ ...parseQuery(qs) }).toEqual(expected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
