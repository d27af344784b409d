/**
 * A worker thread that owns a second SQLite connection for the usage ledger. better-sqlite3 is
 * synchronous: a commit with `synchronous=FULL` would block the event loop for its fsync; here it
 * blocks only this thread, and the data plane awaits the acknowledgement.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { UsageRecord } from "../../core/domain.js";
import { openSqlite } from "./connect.js";
import { SqlStore } from "./store.js";

interface Init {
  path: string;
  synchronous: "full" | "normal";
}

const init = workerData as Init;
const store = new SqlStore(openSqlite(init.path, { synchronous: init.synchronous }));

parentPort?.on("message", (msg: { id: number; records: UsageRecord[] } | { close: true }) => {
  if ("close" in msg) {
    void store.close().then(() => parentPort?.close());
    return;
  }
  store.transaction((tx) => tx.usage.insertMany(msg.records)).then(
    () => parentPort?.postMessage({ id: msg.id, ok: true }),
    (err: unknown) => parentPort?.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
