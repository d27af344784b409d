/** One conformance suite for every CounterStore: in-process memory and Redis. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BucketCheck, SpendCheck } from "../../src/core/limits.js";
import type { AdmissionPlan, AdmissionTicket, CounterStore } from "../../src/core/ports.js";
import { MemoryCounterStore } from "../../src/storage/memory/counters.js";
import { RedisCounterStore } from "../../src/storage/redis/counters.js";
import { REDIS_AVAILABLE, REDIS_URL, freshRedisPrefix } from "../support/databases.js";

type Factory = () => Promise<CounterStore>;
const stores: [string, Factory][] = [["memory", async () => new MemoryCounterStore()]];
if (REDIS_AVAILABLE) {
  stores.push(["redis", async () => {
    const s = new RedisCounterStore(REDIS_URL, freshRedisPrefix());
    await s.ready();
    return s;
  }]);
}

let n = 0;
const bucket = (capacity: number, cost: number, type: BucketCheck["type"] = "requests_per_minute", id = `b${++n}`): BucketCheck => ({ id, capacity, cost, level: "api_key", type });
const spend = (limitMicros: number, id = `s${++n}`): SpendCheck => ({ id, scope: { type: "api_key", id: "apikey_x" }, period: "daily", limitMicros });
const plan = (nowMs: number, buckets: BucketCheck[], spends: SpendCheck[], reserveMicros = 0): AdmissionPlan => ({
  nowMs, buckets, spend: spends.map((check) => ({ check, windowStart: "2026-11-28T00:00:00.000Z" })), reserveMicros,
});
const zero = async () => 0;

describe.each(stores)("counter store conformance: %s", (_name, make) => {
  let store: CounterStore;
  beforeAll(async () => {
    store = await make();
  });
  afterAll(async () => store.close());

  it("admits exactly the capacity of a bucket under 200 concurrent callers, then says when to retry", async () => {
    const b = bucket(50, 1);
    const results = await Promise.all(Array.from({ length: 200 }, () => store.admit(plan(1_000, [b], []), zero)));
    expect(results.filter((r) => r.kind === "admitted")).toHaveLength(50);
    const denied = results.find((r) => r.kind === "rate_limited");
    expect(denied).toMatchObject({ kind: "rate_limited", retryAfterMs: 1200, remaining: 0 });
    expect((await store.admit(plan(2_200, [b], []), zero)).kind).toBe("admitted");
    expect((await store.admit(plan(2_200, [b], []), zero)).kind).toBe("rate_limited");
  });

  it("is all-or-nothing across buckets and spend counters", async () => {
    const a = bucket(10, 1);
    const full = bucket(1, 1);
    const s = spend(1_000);
    expect((await store.admit(plan(0, [full], []), zero)).kind).toBe("admitted");
    const r = await store.admit(plan(0, [a, full], [s], 100), zero);
    expect(r).toMatchObject({ kind: "rate_limited", check: { id: full.id } });
    // Nothing was taken from `a`, nothing reserved on `s`.
    expect(await store.peek(s.id)).toEqual({ spentMicros: 0, reservedMicros: 0 });
    for (let i = 0; i < 10; i++) expect((await store.admit(plan(0, [a], []), zero)).kind).toBe("admitted");
    expect((await store.admit(plan(0, [a], []), zero)).kind).toBe("rate_limited");
  });

  it("reserves strictly, settles to the actual cost, and loads a cold counter from the ledger", async () => {
    const s = spend(1_000);
    let loads = 0;
    const fromLedger = async () => {
      loads++;
      return 300;
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => store.admit(plan(0, [], [s], 100), fromLedger)));
    const admitted = results.filter((r): r is { kind: "admitted"; ticket: AdmissionTicket } => r.kind === "admitted");
    expect(admitted).toHaveLength(7);
    expect(results.find((r) => r.kind === "spend_limited")).toMatchObject({ availableMicros: 0 });
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(await store.peek(s.id)).toEqual({ spentMicros: 300, reservedMicros: 700 });
    for (const a of admitted) await store.settle(a.ticket, { costMicros: 40, inputTokens: 0, outputTokens: 0 }, 0);
    expect(await store.peek(s.id)).toEqual({ spentMicros: 300 + 7 * 40, reservedMicros: 0 });
    // 1,000 − 580 = 420 left: four more reservations of 100 fit, the fifth does not.
    const more = await Promise.all(Array.from({ length: 5 }, () => store.admit(plan(0, [], [s], 100), fromLedger)));
    expect(more.map((r) => r.kind).sort()).toEqual(["admitted", "admitted", "admitted", "admitted", "spend_limited"]);
  });

  it("returns unused reserved output tokens at settlement and takes extra input tokens", async () => {
    const out = bucket(1000, 400, "output_tokens_per_minute");
    const first = await store.admit(plan(0, [out], []), zero);
    const second = await store.admit(plan(0, [out], []), zero);
    expect((await store.admit(plan(0, [out], []), zero)).kind).toBe("rate_limited");
    if (first.kind !== "admitted" || second.kind !== "admitted") throw new Error("expected admissions");
    await store.settle(first.ticket, { costMicros: 0, inputTokens: 0, outputTokens: 10 }, 0);
    // 200 left + 390 returned = 590: one more 400 fits.
    expect((await store.admit(plan(0, [out], []), zero)).kind).toBe("admitted");
    expect((await store.admit(plan(0, [out], []), zero)).kind).toBe("rate_limited");
  });

  it("clamps a cost above capacity to the capacity", async () => {
    const b = bucket(100, 5000, "input_tokens_per_minute");
    expect((await store.admit(plan(0, [b], []), zero)).kind).toBe("admitted");
    expect((await store.admit(plan(0, [b], []), zero)).kind).toBe("rate_limited");
    expect((await store.admit(plan(60_000, [b], []), zero)).kind).toBe("admitted");
  });
});
