/**
 * The scheduler across instances on PostgreSQL (two stores, two schedulers, one database, one
 * fake clock): one leader at a time, each job's slot runs once even when the lease is lost
 * between passes, a restarted instance does not re-run a slot, and a stopped leader hands over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/storage/sql/connect.js";
import { SqlStore } from "../../src/storage/sql/store.js";
import { type Job, Scheduler } from "../../src/jobs/scheduler.js";
import { POSTGRES_AVAILABLE, freshPostgresDatabase } from "../support/databases.js";
import { FakeClock } from "../support/harness.js";

describe.skipIf(!POSTGRES_AVAILABLE)("scheduler on PostgreSQL with two instances", () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: SqlStore;
  let b: SqlStore;
  const clock = new FakeClock(Date.parse("2026-11-01T00:00:00.000Z"));
  const runs: { job: string; instance: string; at: string }[] = [];
  const jobs = (instance: string): Job[] => [
    { name: "every_minute", intervalMs: 60_000, run: async (now) => { runs.push({ job: "every_minute", instance, at: now.toISOString() }); await new Promise((r) => setTimeout(r, 5)); return null; } },
    { name: "hourly", intervalMs: 3_600_000, run: async (now) => { runs.push({ job: "hourly", instance, at: now.toISOString() }); return null; } },
  ];

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    a = new SqlStore(openPostgres(db.url, 4));
    await a.migrate();
    b = new SqlStore(openPostgres(db.url, 4));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  it("runs each job once per slot, not twice, across 120 concurrent passes of two instances", async () => {
    // A lease of 1 ms is lost between passes, so both instances lead in turn: the slot claims alone must hold.
    const sa = new Scheduler(a, clock, jobs("a"), { instanceId: "a", leaseMs: 1 });
    const sb = new Scheduler(b, clock, jobs("b"), { instanceId: "b", leaseMs: 1 });
    for (let minute = 0; minute < 60; minute++) {
      await Promise.all([sa.tick(), sb.tick(), sa.tick(), sb.tick()]);
      clock.advance(60_000);
    }
    const perSlot = new Map<string, number>();
    for (const r of runs) perSlot.set(`${r.job}@${r.at.slice(0, 16)}`, (perSlot.get(`${r.job}@${r.at.slice(0, 16)}`) ?? 0) + 1);
    expect(runs.filter((r) => r.job === "every_minute")).toHaveLength(60);
    expect(runs.filter((r) => r.job === "hourly")).toHaveLength(1);
    expect([...perSlot.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(runs.map((r) => r.instance)).size).toBe(2);
    expect(await a.jobs.list("every_minute", 1000)).toHaveLength(60);
  });

  it("with a normal lease one instance leads; a restart does not re-run the slot; a stopped leader hands over", async () => {
    runs.length = 0;
    clock.set("2026-11-02T00:00:00.000Z");
    const sa = new Scheduler(a, clock, jobs("a"), { instanceId: "a2", leaseMs: 90_000 });
    const sb = new Scheduler(b, clock, jobs("b"), { instanceId: "b2", leaseMs: 90_000 });
    expect((await sa.tick()).sort()).toEqual(["every_minute", "hourly"]);
    expect(await sb.tick()).toEqual([]);
    // "Restart" a: a new scheduler object with the same instance id in the same slot.
    const restarted = new Scheduler(a, clock, jobs("a"), { instanceId: "a2", leaseMs: 90_000 });
    expect(await restarted.tick()).toEqual([]);
    clock.advance(20_000);
    expect(await restarted.tick()).toEqual([]); // renews the lease
    clock.advance(40_000);
    expect(await sb.tick()).toEqual([]);
    expect(await restarted.tick()).toEqual(["every_minute"]);
    await restarted.stop();
    clock.advance(60_000);
    expect(await sb.tick()).toEqual(["every_minute"]);
    expect(runs.map((r) => r.instance)).toEqual(["a", "a", "a", "b"]);
  });

  it("a failed run is released and retried on the next pass", async () => {
    clock.set("2026-11-03T00:00:00.000Z");
    let attempts = 0;
    const flaky: Job = { name: "flaky", intervalMs: 3_600_000, run: async () => { attempts++; if (attempts === 1) throw new Error("transient"); return "ok"; } };
    const errors: string[] = [];
    const s = new Scheduler(a, clock, [flaky], { instanceId: "c", onError: (job) => errors.push(job) });
    expect(await s.tick()).toEqual([]);
    expect(await s.tick()).toEqual(["flaky"]);
    expect(await s.tick()).toEqual([]);
    expect(errors).toEqual(["flaky"]);
    expect((await a.jobs.list("flaky", 10)).map((r) => r.status)).toEqual(["succeeded"]);
    await s.stop();
  });
});
