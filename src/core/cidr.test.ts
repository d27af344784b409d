import { describe, expect, it } from "vitest";
import { isCidr } from "./cidr.js";

describe("isCidr", () => {
  it.each(["10.0.0.0/8", "192.168.1.10", "0.0.0.0/0", "2001:db8::/32", "::1", "fe80::1/128"])("accepts %s", (v) => expect(isCidr(v)).toBe(true));
  it.each(["10.0.0.0/33", "256.1.1.1", "10.0.0/8", "01.2.3.4", "2001:db8::/129", "abc", "", "1.2.3.4/8/1", "::g"])("refuses %s", (v) => expect(isCidr(v)).toBe(false));
});
