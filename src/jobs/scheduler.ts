import type { Clock, Store } from "../core/ports.js";

/** A scheduled job: runs once per `intervalMs` slot; must be idempotent (a failed run is retried). */
export interface Job {
  name: string;
  intervalMs: number;
  /** Returns a short summary for the run record. */
  run(now: Date): Promise<string | null>;
}

export interface SchedulerOptions {
  /** Unique per process: the holder of the leader lease and of the runs it claims. */
  instanceId: string;
  /** How long the leader lease lasts without renewal. */
  leaseMs?: number;
  onError?: (job: string, err: unknown) => void;
}

/** The due time of the slot `now` falls in. */
export function dueAt(now: Date, intervalMs: number): string {
  return new Date(Math.floor(now.getTime() / intervalMs) * intervalMs).toISOString();
}

/**
 * In-process scheduler. One instance at a time is the leader (a lease row in the database, so it
 * works alike on SQLite and PostgreSQL); the leader claims each job's current slot in `job_runs`
 * (primary key (job, due_at)), so a slot runs once across instances and restarts even if two
 * instances briefly both believe they lead. Slots missed while no instance ran collapse into the
 * next one: jobs act on the current state, not on the slot.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<string[]> | null = null;
  private readonly leaseMs: number;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly jobs: readonly Job[], private readonly options: SchedulerOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** One pass: take or renew the lease, then run every job whose current slot nobody claimed. Returns the jobs run. */
  async tick(): Promise<string[]> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<string[]> {
    const now = this.clock.now();
    if (!(await this.store.leases.acquire("scheduler", this.options.instanceId, now.getTime(), this.leaseMs))) return [];
    const ran: string[] = [];
    for (const job of this.jobs) {
      const due = dueAt(now, job.intervalMs);
      if (!(await this.store.jobs.claim(job.name, due, this.options.instanceId, now.toISOString()))) continue;
      try {
        const detail = await job.run(now);
        await this.store.jobs.finish(job.name, due, "succeeded", detail, this.clock.now().toISOString());
        ran.push(job.name);
      } catch (err) {
        this.options.onError?.(job.name, err);
        await this.store.jobs.release(job.name, due).catch(() => {});
      }
    }
    return ran;
  }

  /** Passes every `tickMs`, the first one tick after start (nothing is added to start-up). */
  start(tickMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.options.onError?.("scheduler", err)), tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    await this.store.leases.release("scheduler", this.options.instanceId).catch(() => {});
  }
}
