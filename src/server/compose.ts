import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Clock, systemClock } from "../core/ports.js";
import type { ServiceDeps } from "../services/context.js";
import { openPostgres, openSqlite } from "../storage/sql/connect.js";
import { SqlStore } from "../storage/sql/store.js";
import type { Config } from "./config.js";
import { resolveSecrets } from "./secrets.js";
import { Gateway } from "../services/gateway/gateway.js";
import { PolicyCache } from "../services/gateway/policy-cache.js";
import { MemoryCounterStore } from "../storage/memory/counters.js";
import { RedisChangeBus } from "../storage/redis/bus.js";
import { RedisCounterStore } from "../storage/redis/counters.js";
import type { CounterStore } from "../core/ports.js";
import { Upstream } from "./gateway/upstream.js";
import { loadPrices } from "./prices.js";
import { Metrics } from "./metrics.js";
import { WorkerLedgerSink, ledgerWorkerAvailable } from "../storage/sql/ledger-sink.js";

/** Opens the configured store and runs migrations. */
export async function openStore(config: Pick<Config, "storage">): Promise<SqlStore> {
  let store: SqlStore;
  if (config.storage.driver === "postgres") {
    store = new SqlStore(openPostgres(config.storage.url));
  } else {
    if (config.storage.path !== ":memory:") mkdirSync(dirname(config.storage.path), { recursive: true, mode: 0o700 });
    store = new SqlStore(openSqlite(config.storage.path, { synchronous: config.storage.synchronous }));
  }
  await store.migrate();
  return store;
}

export interface DataPlane {
  gateway: Gateway;
  metrics?: Metrics;
  upstream: Upstream;
  bodyLimitBytes: number;
  close(): Promise<void>;
}

/** The data plane: policy cache, counters, upstream pool. */
export async function composeDataPlane(config: Readonly<Config>, deps: ServiceDeps): Promise<DataPlane> {
  const cache = new PolicyCache(deps.store, deps.encryptionKey, config.anthropicApiKey);
  await cache.start(config.cachePollMs);
  let counters: CounterStore;
  let bus: RedisChangeBus | null = null;
  if (config.redisUrl) {
    const redis = new RedisCounterStore(config.redisUrl, config.redisPrefix);
    await redis.ready().catch(() => {
      // Unreachable at start: requests fail closed (or open) until it answers.
    });
    counters = redis;
    bus = new RedisChangeBus(config.redisUrl, config.redisPrefix);
    const b = bus;
    // Not awaited: an unreachable Redis must not hold up the start (the database feed still works).
    void b.subscribe((orgIds) => cache.invalidate(orgIds)).catch(() => {});
    deps.store.onCommitted((orgIds) => b.publish(orgIds));
  } else {
    counters = new MemoryCounterStore();
  }
  const metrics = new Metrics();
  // SQLite commits block their thread for the fsync: the ledger gets its own thread and connection.
  const sink = config.storage.driver === "sqlite" && config.storage.path !== ":memory:" && ledgerWorkerAvailable() ? new WorkerLedgerSink(config.storage.path, config.storage.synchronous) : null;
  const gateway = new Gateway(deps, cache, counters, loadPrices(config.pricesFile), {
    countersFailOpen: config.countersFailureMode === "open",
    onUsage: (r) => metrics.recordUsage(r),
    ...(sink ? { ledgerSink: sink } : {}),
  });
  const upstream = new Upstream({ url: config.upstreamUrl, timeoutMs: config.upstreamTimeoutMs, idleTimeoutMs: config.upstreamIdleTimeoutMs });
  return {
    gateway, upstream, metrics, bodyLimitBytes: config.inferenceBodyLimitBytes,
    close: async () => {
      await gateway.close();
      await sink?.close();
      await counters.close();
      await bus?.close();
      await upstream.close();
    },
  };
}

/** The composition root: storage, secrets and services from the configuration. */
export async function compose(config: Readonly<Config>, options: { clock?: Clock; onSecretsGenerated?: (path: string) => void } = {}): Promise<ServiceDeps & { store: SqlStore }> {
  const secrets = resolveSecrets(config, options.onSecretsGenerated);
  const store = await openStore(config);
  return { store, clock: options.clock ?? systemClock, hashKey: secrets.hashKey, encryptionKey: secrets.encryptionKey, nameRule: config.nameRule };
}
