/**
 * When to hold a batch open: while `othersPending()` says more writers are about to arrive (other
 * requests in flight that have not written yet), for at most `maxMs`. A lone writer never waits.
 */
export interface HoldPolicy {
  othersPending: () => boolean;
  maxMs: number;
}

export interface BatchWriterOptions {
  /** Most items waiting at once; writes beyond it are refused. */
  maxQueue?: number;
  hold?: HoldPolicy | undefined;
  /**
   * Hand each batch to `flush` as soon as it is formed, without waiting for the previous one:
   * for a sink that queues and orders batches itself (the ledger thread, which commits whatever
   * has arrived in one transaction).
   */
  pipelined?: boolean;
}

/**
 * Group commit: items written together are flushed by one call to `flush`; every caller's promise
 * settles when its batch is durable (or failed). Batches go one at a time (unless pipelined); with
 * a hold policy a batch also waits (briefly) for writers known to be on their way, so that under
 * concurrency one commit carries many items. The queue is bounded.
 */
export class BatchWriter<T> {
  private queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;
  private holdTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  /** Batches handed to `flush` and not yet settled. */
  private flushing = 0;
  private readonly maxQueue: number;
  private readonly hold: HoldPolicy | undefined;
  private readonly pipelined: boolean;
  dropped = 0;

  constructor(private readonly flush: (items: T[]) => Promise<void>, options: BatchWriterOptions = {}) {
    this.maxQueue = options.maxQueue ?? 100_000;
    this.hold = options.hold;
    this.pipelined = options.pipelined ?? false;
  }

  write(item: T): Promise<void> {
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return Promise.reject(new Error("write queue full"));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // A pipelined sink with nothing in flight is idle: hand it this item now rather than next turn.
        if (this.pipelined && this.flushing === 0) this.run();
        else if (this.hold?.othersPending()) this.holdTimer = setTimeout(() => this.release(), this.hold.maxMs);
        else setImmediate(() => this.run());
      } else {
        this.poke();
      }
    });
  }

  /** Tells a held batch that a pending writer has gone (written, or will not write): flush once none is left. */
  poke(): void {
    if (this.holdTimer !== null && !this.hold?.othersPending()) this.release();
  }

  private release(): void {
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    setImmediate(() => this.run());
  }

  /** Resolves once everything written so far is flushed. */
  async drain(): Promise<void> {
    if (this.holdTimer !== null) this.release();
    while (this.queue.length > 0 || this.scheduled) {
      await this.inFlight;
      await new Promise((r) => setImmediate(r));
    }
    await this.inFlight;
  }

  private run(): void {
    if (this.pipelined) {
      const flushed = this.flushQueued();
      this.inFlight = Promise.all([this.inFlight, flushed]).then(() => undefined);
      return;
    }
    // One batch at a time: the next waits for the previous commit.
    this.inFlight = this.inFlight.then(() => this.flushQueued());
  }

  private async flushQueued(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.flushing++;
    try {
      await this.flush(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.flushing--;
    }
  }
}
