/**
 * Group commit: items written in the same tick are flushed together by one call to `flush`; every
 * caller's promise settles when its batch is durable (or failed). The queue is bounded.
 */
export class BatchWriter<T> {
  private queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(private readonly flush: (items: T[]) => Promise<void>, private readonly maxQueue = 100_000) {}

  write(item: T): Promise<void> {
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return Promise.reject(new Error("write queue full"));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  /** Resolves once everything written so far is flushed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await this.inFlight;
      await new Promise((r) => setImmediate(r));
    }
    await this.inFlight;
  }

  private run(): void {
    // One batch at a time: the next waits for the previous commit.
    this.inFlight = this.inFlight.then(async () => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      if (batch.length === 0) return;
      try {
        await this.flush(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    });
  }
}
