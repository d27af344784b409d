import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Clock, systemClock } from "../core/ports.js";
import type { ServiceDeps } from "../services/context.js";
import { openPostgres, openSqlite } from "../storage/sql/connect.js";
import { SqlStore } from "../storage/sql/store.js";
import type { Config } from "./config.js";
import { resolveSecrets } from "./secrets.js";

/** Opens the configured store and runs migrations. */
export async function openStore(config: Pick<Config, "storage">): Promise<SqlStore> {
  let store: SqlStore;
  if (config.storage.driver === "postgres") {
    store = new SqlStore(openPostgres(config.storage.url));
  } else {
    if (config.storage.path !== ":memory:") mkdirSync(dirname(config.storage.path), { recursive: true, mode: 0o700 });
    store = new SqlStore(openSqlite(config.storage.path));
  }
  await store.migrate();
  return store;
}

/** The composition root: storage, secrets and services from the configuration. */
export async function compose(config: Readonly<Config>, options: { clock?: Clock; onSecretsGenerated?: (path: string) => void } = {}): Promise<ServiceDeps & { store: SqlStore }> {
  const secrets = resolveSecrets(config, options.onSecretsGenerated);
  const store = await openStore(config);
  return { store, clock: options.clock ?? systemClock, hashKey: secrets.hashKey, encryptionKey: secrets.encryptionKey, nameRule: config.nameRule };
}
