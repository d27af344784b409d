import { describe, expect, it } from "vitest";
import { ID_PREFIX, idBody, isId, newId } from "./ids.js";

describe("ids", () => {
  it("are prefixed, well-formed and strictly increasing even within one millisecond or when the clock goes back", () => {
    const t = Date.now() + 10_000;
    const ids = [newId("workspace", t), newId("workspace", t), newId("workspace", t), newId("workspace", t - 5000), newId("workspace", t + 1)];
    for (const id of ids) expect(isId("workspace", id)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.startsWith(ID_PREFIX.workspace)).toBe(true);
    expect(isId("user", ids[0]!)).toBe(false);
  });
  it("bodies are 22 base62 characters", () => {
    expect(idBody()).toMatch(/^[0-9A-Za-z]{22}$/);
  });
});
