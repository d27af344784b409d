import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("durations for --grace", () => {
  it.each([["0", 0], ["3600", 3600], ["90s", 90], ["30m", 1800], ["24h", 86_400], ["7d", 604_800], [" 1h ", 3600]] as const)("%j → %i s", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each(["", "1.5h", "-1h", "1w", "h", "24 h"])("%j is refused", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
