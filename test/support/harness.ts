import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../src/core/ports.js";
import { DEFAULT_NAME_RULE } from "../../src/core/names.js";
import { type App, buildApp } from "../../src/server/app.js";
import { openPostgres, openSqlite } from "../../src/storage/sql/connect.js";
import { SqlStore } from "../../src/storage/sql/store.js";
import { MemoryCounterStore } from "../../src/storage/memory/counters.js";
import { DEFAULT_PRICES } from "../../src/core/pricing.js";
import { Gateway } from "../../src/services/gateway/gateway.js";
import { PolicyCache } from "../../src/services/gateway/policy-cache.js";
import type { DataPlane } from "../../src/server/compose.js";
import { Upstream } from "../../src/server/gateway/upstream.js";
import { Metrics } from "../../src/server/metrics.js";
import type { ServiceDeps } from "../../src/services/context.js";
import { bootstrap } from "../../src/services/organization.js";
import { freshPostgresDatabase } from "./databases.js";

export type DialectName = "sqlite" | "postgres";

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(private ms: number = Date.parse("2026-11-01T00:00:00.000Z")) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

export interface TestStore {
  store: SqlStore;
  dispose: () => Promise<void>;
}

/** A migrated store of the given dialect: SQLite in memory, or a fresh PostgreSQL database. */
export async function openTestStore(dialect: DialectName, sqlitePath = ":memory:"): Promise<TestStore> {
  if (dialect === "sqlite") {
    const store = new SqlStore(openSqlite(sqlitePath));
    await store.migrate();
    return { store, dispose: () => store.close() };
  }
  const db = await freshPostgresDatabase();
  const store = new SqlStore(openPostgres(db.url, 4));
  await store.migrate();
  return { store, dispose: async () => { await store.close(); await db.drop(); } };
}

export interface DataPlaneOptions {
  upstreamUrl: string;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  /** The server-wide default upstream credential (ANTHROPIC_API_KEY). */
  defaultUpstreamKey?: string | null;
  bodyLimitBytes?: number;
}

export interface Harness {
  app: App;
  dataPlane: DataPlane | null;
  /** Listens on a free loopback port (for SDK clients); returns the base URL. */
  listen: () => Promise<string>;
  deps: ServiceDeps & { store: SqlStore };
  clock: FakeClock;
  orgId: string;
  adminKey: string;
  /** Sends a request in process; `key` defaults to the bootstrap admin key (null: none). */
  call: (method: string, url: string, body?: unknown, key?: string | null) => Promise<{ status: number; json: any; headers: Record<string, unknown>; raw: string }>;
  close: () => Promise<void>;
}

/** Builds the app on a fresh store, bootstraps an organization and returns helpers. */
export async function createHarness(dialect: DialectName = "sqlite", options: { sqlitePath?: string; logger?: Logger; dataPlane?: DataPlaneOptions } = {}): Promise<Harness> {
  const { store, dispose } = await openTestStore(dialect, options.sqlitePath);
  const clock = new FakeClock();
  const deps = { store, clock, hashKey: randomBytes(32), encryptionKey: randomBytes(32), nameRule: DEFAULT_NAME_RULE };
  const boot = await bootstrap(deps, { organizationName: "Acme", keyName: "bootstrap-admin-key" });
  let dataPlane: DataPlane | null = null;
  if (options.dataPlane) {
    const dp = options.dataPlane;
    const cache = new PolicyCache(store, deps.encryptionKey, dp.defaultUpstreamKey === undefined ? "sk-ant-api03-server-default" : dp.defaultUpstreamKey, () => clock.now().getTime());
    await cache.start(100);
    const counters = new MemoryCounterStore();
    const metrics = new Metrics();
    const gateway = new Gateway(deps, cache, counters, DEFAULT_PRICES, { onUsage: (r) => metrics.recordUsage(r) });
    const upstream = new Upstream({ url: dp.upstreamUrl, timeoutMs: dp.timeoutMs ?? 10_000, idleTimeoutMs: dp.idleTimeoutMs ?? 10_000 });
    dataPlane = { gateway, upstream, metrics, bodyLimitBytes: dp.bodyLimitBytes ?? 32 * 1024 * 1024, close: async () => { await gateway.close(); await upstream.close(); } };
  }
  const { app } = await buildApp({ deps, ...(options.logger ? { logger: options.logger } : {}), ...(dataPlane ? { gateway: dataPlane } : {}) });
  const call: Harness["call"] = async (method, url, body, key) => {
    const k = key === undefined ? boot.admin_key : key;
    const res = await app.inject({
      method: method as "GET",
      url,
      headers: { ...(k === null ? {} : { "x-api-key": k }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    let json: unknown = null;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = null;
    }
    return { status: res.statusCode, json, headers: res.headers, raw: res.body };
  };
  return {
    app, dataPlane, deps, clock, orgId: boot.organization_id, adminKey: boot.admin_key, call,
    listen: async () => app.listen({ port: 0, host: "127.0.0.1" }),
    close: async () => { await app.close(); await dataPlane?.close(); await dispose(); },
  };
}
