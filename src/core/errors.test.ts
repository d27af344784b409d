import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./errors.js";

describe("error catalog", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  it.each(Object.keys(ERROR_CODES))("%s has a status and a docs entry", (code) => {
    const entry = ERROR_CODES[code as keyof typeof ERROR_CODES];
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(doc).toContain(`\n## ${code}\n`);
  });
});
