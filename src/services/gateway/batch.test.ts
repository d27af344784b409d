import { afterEach, describe, expect, it, vi } from "vitest";
import { BatchWriter } from "./batch.js";

describe("group commit", () => {
  it("items written together go in one flush; each promise settles with its batch", async () => {
    const batches: number[][] = [];
    const w = new BatchWriter<number>(async (items) => {
      batches.push(items);
    });
    await Promise.all([w.write(1), w.write(2), w.write(3)]);
    await w.write(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("a failed flush rejects every writer of that batch only", async () => {
    let fail = true;
    const w = new BatchWriter<number>(async () => {
      if (fail) throw new Error("disk full");
    });
    const results = await Promise.allSettled([w.write(1), w.write(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await expect(w.write(3)).resolves.toBeUndefined();
  });

  it("with a hold policy, a batch waits for writers on their way and flushes when the last arrives", async () => {
    const batches: number[][] = [];
    let pending = 2;
    const w = new BatchWriter<number>(async (items) => {
      batches.push(items);
    }, { maxQueue: 100, hold: { othersPending: () => pending > 0, maxMs: 10_000 } });
    pending--;
    const first = w.write(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([]);
    pending--;
    await Promise.all([first, w.write(2)]);
    expect(batches).toEqual([[1, 2]]);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("a lone writer never waits; a held batch goes after maxMs, or when poked with nobody pending", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const batches: number[][] = [];
    let pending = 0;
    const w = new BatchWriter<number>(async (items) => {
      batches.push(items);
    }, { maxQueue: 100, hold: { othersPending: () => pending > 0, maxMs: 30 } });
    await w.write(1);
    expect(batches).toEqual([[1]]);
    pending = 1;
    const second = w.write(2);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    vi.advanceTimersByTime(30);
    await second;
    expect(batches).toEqual([[1], [2]]);
    const held = w.write(3);
    pending = 0;
    w.poke();
    await held;
    expect(batches).toEqual([[1], [2], [3]]);
  });

  it("pipelined: an idle sink gets a write at once, and later batches go without waiting for earlier ones", async () => {
    const flushes: { items: number[]; done: () => void }[] = [];
    const w = new BatchWriter<number>((items) => new Promise<void>((done) => flushes.push({ items, done })), { pipelined: true });
    const first = w.write(1);
    // Nothing was in flight: handed over synchronously.
    expect(flushes.map((f) => f.items)).toEqual([[1]]);
    const second = Promise.all([w.write(2), w.write(3)]);
    await new Promise((r) => setImmediate(r));
    // The first batch is still being committed; the next one is handed over anyway.
    expect(flushes.map((f) => f.items)).toEqual([[1], [2, 3]]);
    // The second batch settles on its own commit while the first is still pending.
    flushes[1]!.done();
    await second;
    let drained = false;
    const drain = w.drain().then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    flushes[0]!.done();
    await first;
    await drain;
    expect(drained).toBe(true);
  });
});
