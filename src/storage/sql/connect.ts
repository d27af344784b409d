import BetterSqlite3 from "better-sqlite3";
import { type DatabaseConnection, Kysely, PostgresDialect, SqliteDialect, type Driver } from "kysely";
import pg from "pg";
import type { Dialect } from "./migrations.js";
import type { Database } from "./schema.js";

/**
 * SQLite transactions start with `BEGIN IMMEDIATE`: they take the write lock up front, so a
 * transaction that reads and then writes never fails with SQLITE_BUSY when another process
 * (for example `gatehouse bootstrap` beside a running server) writes in between.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const begin = async (connection: DatabaseConnection): Promise<void> => {
      await connection.executeQuery({ sql: "begin immediate", parameters: [], query: { kind: "RawNode" } as never, queryId: { queryId: "begin" } });
    };
    driver.beginTransaction = begin;
    return driver;
  }
}

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
}

/**
 * Opens SQLite at `path` (":memory:" allowed) in WAL mode. `full` (default) fsyncs every commit:
 * a committed usage record or audit event survives a power cut. `normal` skips that fsync: commits
 * survive a crash of the process but the last ones may be lost on a power cut; it is faster.
 */
export function openSqlite(path: string, options: { synchronous?: "full" | "normal" } = {}): Connection {
  const database = new BetterSqlite3(path);
  database.pragma("journal_mode = WAL");
  database.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  return { db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) }), dialect: "sqlite" };
}

/** Opens a PostgreSQL pool. 64-bit integers are returned as numbers (sequence numbers fit in 2^53). */
export function openPostgres(url: string, maxConnections = 10): Connection {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections });
  // An idle connection that the server closes (restart, failover) must not crash the process;
  // the pool replaces it on the next checkout.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.setTypeParser(20, (value: string) => Number(value));
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: "postgres" };
}
