import { describe, expect, it } from "vitest";
import { isCidr, isCidrMatch } from "./cidr.js";

describe("isCidr", () => {
  it.each(["10.0.0.0/8", "192.168.1.10", "0.0.0.0/0", "2001:db8::/32", "::1", "fe80::1/128"])("accepts %s", (v) => expect(isCidr(v)).toBe(true));
  it.each(["10.0.0.0/33", "256.1.1.1", "10.0.0/8", "01.2.3.4", "2001:db8::/129", "abc", "", "1.2.3.4/8/1", "::g"])("refuses %s", (v) => expect(isCidr(v)).toBe(false));
});

describe("isCidrMatch", () => {
  it.each([
    ["10.0.0.0/8", "10.1.2.3", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["10.0.0.0/8", "::ffff:10.9.9.9", true],
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "127.0.0.2", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["2001:db8::/32", "2001:db8:1::5", true],
    ["2001:db8::/32", "2001:db9::5", false],
    ["::1/128", "::1", true],
    ["::1", "127.0.0.1", false],
    ["10.0.0.0/8", "garbage", false],
  ] as const)("%s contains %s: %s", (cidr, ip, expected) => {
    expect(isCidrMatch(cidr, ip)).toBe(expected);
  });
});
