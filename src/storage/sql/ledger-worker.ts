/**
 * A worker thread that owns a second SQLite connection for the usage ledger. better-sqlite3 is
 * synchronous: a commit with `synchronous=FULL` would block the event loop for its fsync; here it
 * blocks only this thread, and the data plane awaits the acknowledgement.
 *
 * This is the data plane's hot write, so it uses prepared statements directly instead of the
 * query builder (measured: the builder's per-batch compile cost more than the insert itself). The
 * SQL mirrors `SqlStore.usage.insertMany`, and both are checked by the same tests.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
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

type Message = { id: number; rows: LedgerRow[] } | { close: true };

/**
 * Group commit on this thread: every batch that has arrived while the previous commit ran goes
 * into the next transaction together, and one acknowledgement names them all.
 */
parentPort?.on("message", (first: Message) => {
  const port = parentPort;
  if (!port) return;
  const ids: number[] = [];
  const rows: LedgerRow[] = [];
  let close = false;
  for (let msg: Message | undefined = first; msg !== undefined; msg = (receiveMessageOnPort(port)?.message as Message | undefined)) {
    if ("close" in msg) {
      close = true;
      break;
    }
    ids.push(msg.id);
    for (const row of msg.rows) rows.push(row);
  }
  if (ids.length > 0) {
    try {
      // BEGIN IMMEDIATE: take the write lock up front, as the main connection does.
      write.immediate(rows);
      port.postMessage({ ids, ok: true });
    } catch (err) {
      port.postMessage({ ids, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (close) {
    db.close();
    port.close();
  }
});