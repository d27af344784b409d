import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * Where the PostgreSQL suites run. `GATEHOUSE_TEST_POSTGRES=required` (CI) makes an unreachable
 * server a failure; `skip` turns the suites off; otherwise they run when the server answers.
 */
export const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const mode = process.env.GATEHOUSE_TEST_POSTGRES ?? "auto";

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch (err) {
    if (mode === "required") throw new Error(`PostgreSQL is required for the test run but unreachable at ${PG_ADMIN_URL}: ${String(err)}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const POSTGRES_AVAILABLE = mode === "skip" ? false : await reachable();

/** The storage dialects every conformance and security suite runs against. */
export const DIALECTS: ("sqlite" | "postgres")[] = POSTGRES_AVAILABLE ? ["sqlite", "postgres"] : ["sqlite"];

/** Creates a fresh, uniquely named database; `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gatehouse_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        // Give closing pools a moment to say goodbye; force only as a last resort.
        for (let i = 0; i < 20; i++) {
          try {
            await c.query(`drop database if exists ${name}`);
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Redis for the counter suites: same rules as PostgreSQL (`GATEHOUSE_TEST_REDIS=required|skip|auto`). */
export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const redisMode = process.env.GATEHOUSE_TEST_REDIS ?? "auto";

async function redisReachable(): Promise<boolean> {
  const { Redis } = await import("ioredis");
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, enableOfflineQueue: false });
  r.on("error", () => {});
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch (err) {
    if (redisMode === "required") throw new Error(`Redis is required for the test run but unreachable at ${REDIS_URL}: ${String(err)}`);
    return false;
  } finally {
    r.disconnect();
  }
}

export const REDIS_AVAILABLE = redisMode === "skip" ? false : await redisReachable();

/** A key prefix no other run uses. */
export function freshRedisPrefix(): string {
  return `gatehouse-test:${Date.now().toString(36)}:${randomBytes(4).toString("hex")}:`;
}
