import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { UsageRecord } from "../../core/domain.js";
import { ledgerRow } from "./rollups.js";

const WORKER_URL = new URL("./ledger-worker.js", import.meta.url);

/** Whether the compiled worker is present (it is not when running from TypeScript sources). */
export function ledgerWorkerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/**
 * Writes ledger batches through the worker thread (SQLite only); resolves when committed. Batches
 * may be sent while earlier ones are being committed: the thread groups them itself.
 */
export class WorkerLedgerSink {
  readonly pipelined = true;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(path: string, synchronous: "full" | "normal") {
    this.worker = new Worker(WORKER_URL, { workerData: { path, synchronous } });
    this.worker.on("message", (m: { ids: number[]; ok: boolean; error?: string }) => {
      for (const id of m.ids) {
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        if (m.ok) p.resolve();
        else p.reject(new Error(m.error ?? "ledger write failed"));
      }
    });
    this.worker.on("error", (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    this.worker.unref();
  }

  write = (records: UsageRecord[]): Promise<void> => {
    const id = ++this.next;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Flat rows of primitives: structured cloning them costs far less than objects.
      this.worker.postMessage({ id, rows: records.map(ledgerRow) });
    });
  };

  /** Lets the thread finish its last commit, then ends it (waiting at most 5 s). */
  async close(): Promise<void> {
    const exited = once(this.worker, "exit");
    this.worker.postMessage({ close: true });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
