import { pino } from "pino";
import { buildApp } from "./app.js";
import { compose, composeDataPlane } from "./compose.js";
import { type Config, loadConfig } from "./config.js";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { networkSenders } from "../jobs/channels.js";
import { gatewayJobs } from "../jobs/index.js";
import { Scheduler } from "../jobs/scheduler.js";

/** `gatehouse serve`: environment → config → compose → listen. Resolves once listening. */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<{ close: () => Promise<void>; url: string; config: Readonly<Config> }> {
  const config = loadConfig(env);
  const log = pino({
    level: config.logLevel,
    redact: { paths: ["req.headers.authorization", "req.headers[\"x-api-key\"]", "req.headers.cookie"], censor: "[redacted]" },
  });
  const deps = await compose(config, {
    onSecretsGenerated: (path) => log.warn({ path }, "generated local secrets (hash key, encryption key) with 0600 permissions; back this file up with the database"),
  });
  const dataPlane = await composeDataPlane(config, deps);
  const { app } = await buildApp({ deps, logger: log, adminBodyLimitBytes: config.adminBodyLimitBytes, gateway: dataPlane, trustProxy: config.trustProxy });
  const url = await app.listen({ port: config.port, host: config.host });
  log.info({ url, storage: config.storage.driver, data_dir: config.dataDir }, "gatehouse listening");
  const senders = networkSenders(config.smtp);
  const scheduler = new Scheduler(deps.store, deps.clock, gatewayJobs(deps.store, deps.clock, deps.encryptionKey, senders, { alertIntervalMs: config.alertIntervalMs }), {
    instanceId: `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    onError: (job, err) => log.error({ err, job }, "scheduled job failed; it will be retried"),
  });
  if (config.schedulerEnabled) scheduler.start(config.schedulerTickMs);
  const close = async () => {
    await scheduler.stop();
    senders.close();
    await app.close();
    await dataPlane.close();
    await deps.store.close();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "shutting down");
      void close().then(() => process.exit(0));
    });
  }
  return { close, url, config };
}
