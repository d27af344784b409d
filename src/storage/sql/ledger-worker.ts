/**
 * A worker thread that owns a second SQLite connection for the usage ledger. better-sqlite3 is
 * synchronous: a commit with `synchronous=FULL` would block the event loop for its fsync; here it
 * blocks only this thread, and the data plane awaits the acknowledgement.
 *
 * This is the data plane's hot write, so it uses prepared statements directly instead of the
 * query builder (measured: the builder's per-batch compile cost more than the insert itself). The
 * SQL mirrors `SqlStore.usage.insertMany`, and both are checked by the same tests.
 */
import { parentPort, workerData } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { LEDGER_COLUMNS, type LedgerRow, ROLLUP_KEY, ROLLUP_SUMS, recordOfRow, rollupRows } from "./rollups.js";

interface Init {
  path: string;
  synchronous: "full" | "normal";
}

const init = workerData as Init;
const db = new BetterSqlite3(init.path);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${init.synchronous === "normal" ? "NORMAL" : "FULL"}`);
db.pragma("busy_timeout = 5000");

const insertRecord = db.prepare(`insert into usage_records (${LEDGER_COLUMNS.join(", ")}) values (${LEDGER_COLUMNS.map(() => "?").join(", ")})`);
const ROLLUP_COLUMNS = [...ROLLUP_KEY, ...ROLLUP_SUMS];
const upsertRollup = db.prepare(
  `insert into usage_rollups (${ROLLUP_COLUMNS.join(", ")}) values (${ROLLUP_COLUMNS.map(() => "?").join(", ")}) ` +
  `on conflict (${ROLLUP_KEY.join(", ")}) do update set ${ROLLUP_SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
);

const write = db.transaction((rows: LedgerRow[]) => {
  for (const row of rows) insertRecord.run(...row);
  for (const rollup of rollupRows(rows.map(recordOfRow))) upsertRollup.run(...ROLLUP_COLUMNS.map((c) => rollup[c]));
});

parentPort?.on("message", (msg: { id: number; rows: LedgerRow[] } | { close: true }) => {
  if ("close" in msg) {
    db.close();
    parentPort?.close();
    return;
  }
  try {
    // BEGIN IMMEDIATE: take the write lock up front, as the main connection does.
    write.immediate(msg.rows);
    parentPort?.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
