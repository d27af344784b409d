import { describe, expect, it } from "vitest";
import { type Bucket, type BucketCheck, centsToMicros, decideBuckets, decideSpend, microsToCentsString, periodWindow, refill, refund } from "./limits.js";

const check = (id: string, capacity: number, cost: number): BucketCheck => ({ id, capacity, cost, level: "api_key", type: "requests_per_minute" });

describe("token buckets", () => {
  it("start full, refill continuously, never above capacity", () => {
    expect(refill(undefined, 60, 0)).toEqual({ tokens: 60, updatedMs: 0 });
    expect(refill({ tokens: 0, updatedMs: 0 }, 60, 1000).tokens).toBeCloseTo(1);
    expect(refill({ tokens: 59, updatedMs: 0 }, 60, 60_000).tokens).toBe(60);
  });

  it("admits exactly the capacity in a burst, then tells when to retry", () => {
    const state = new Map<string, Bucket>();
    let admitted = 0;
    let lastDeny = 0;
    for (let i = 0; i < 1000; i++) {
      const d = decideBuckets([check("k", 100, 1)], (id) => state.get(id), 5_000);
      if (d.kind === "allow") {
        admitted++;
        state.set("k", d.next[0]!);
      } else lastDeny = d.retryAfterMs;
    }
    expect(admitted).toBe(100);
    expect(lastDeny).toBe(600);
  });

  it("is all-or-nothing across levels: a denial at one level takes nothing anywhere", () => {
    const state = new Map<string, Bucket>([["ws", { tokens: 0, updatedMs: 0 }]]);
    const d = decideBuckets([check("key", 10, 1), check("ws", 10, 1), check("org", 10, 1)], (id) => state.get(id), 0);
    expect(d).toMatchObject({ kind: "deny", check: { id: "ws" }, remaining: 0 });
    expect(state.has("key")).toBe(false);
  });

  it("a bucket named twice in one plan is charged twice, against one state", () => {
    const d = decideBuckets([check("k", 10, 6), check("k", 10, 3)], () => undefined, 0);
    expect(d).toMatchObject({ kind: "allow", next: [{ tokens: 4 }, { tokens: 1 }] });
    expect(decideBuckets([check("k", 10, 6), check("k", 10, 5)], () => undefined, 0)).toMatchObject({ kind: "deny", remaining: 4 });
  });

  it("clamps a cost above capacity and refunds unused reservations", () => {
    const d = decideBuckets([check("o", 1000, 5000)], () => undefined, 0);
    expect(d.kind).toBe("allow");
    if (d.kind === "allow") expect(d.next[0]!.tokens).toBe(0);
    expect(refund({ tokens: 100, updatedMs: 0 }, 1000, 300, 0).tokens).toBe(400);
    expect(refund({ tokens: 900, updatedMs: 0 }, 1000, 300, 0).tokens).toBe(1000);
  });
});

describe("spend", () => {
  it.each([
    ["daily", "2026-11-28T13:00:00Z", "2026-11-28T00:00:00.000Z", "2026-11-29T00:00:00.000Z"],
    ["weekly", "2026-11-28T13:00:00Z", "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"],
    ["weekly", "2026-11-30T00:00:00Z", "2026-11-30T00:00:00.000Z", "2026-12-07T00:00:00.000Z"],
    ["monthly", "2026-12-31T23:59:59Z", "2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"],
  ] as const)("%s window of %s", (period, now, start, end) => {
    const w = periodWindow(period, new Date(now));
    expect([w.start.toISOString(), w.end.toISOString()]).toEqual([start, end]);
  });

  it("reserves strictly: spent + reserved + request ≤ limit at every level", () => {
    const counters: Record<string, { spentMicros: number; reservedMicros: number }> = { a: { spentMicros: 50, reservedMicros: 30 }, b: { spentMicros: 0, reservedMicros: 0 } };
    const checks = [
      { id: "b", scope: { type: "organization" as const, id: "o" }, period: "monthly" as const, limitMicros: 1000 },
      { id: "a", scope: { type: "api_key" as const, id: "k" }, period: "daily" as const, limitMicros: 100 },
    ];
    expect(decideSpend(checks, (id) => counters[id]!, 20)).toEqual({ kind: "allow" });
    expect(decideSpend(checks, (id) => counters[id]!, 21)).toMatchObject({ kind: "deny", check: { id: "a" }, availableMicros: 20 });
  });

  it("converts money units", () => {
    expect(centsToMicros(50000)).toBe(500_000_000);
    expect(microsToCentsString(120_505_000)).toBe("12050.5");
    expect(microsToCentsString(10_000)).toBe("1");
    expect(microsToCentsString(1)).toBe("0.0001");
  });
});
