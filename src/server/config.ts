import { resolve } from "node:path";
import { DEFAULT_NAME_RULE, type NameRule } from "../core/names.js";

export type StorageConfig = { driver: "sqlite"; path: string; synchronous: "full" | "normal" } | { driver: "postgres"; url: string };

/** Secrets come from the environment, or (embedded mode only) from generated files in the data dir. */
export type SecretsConfig = { source: "env"; hashKey: Buffer; encryptionKey: Buffer } | { source: "data_dir" };

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  storage: StorageConfig;
  redisUrl: string | null;
  upstreamUrl: string;
  anthropicApiKey: string | null;
  secrets: SecretsConfig;
  nameRule: NameRule;
  logLevel: string;
  /** Largest admin-API JSON body, in bytes. */
  adminBodyLimitBytes: number;
  /** Largest data-plane request body, in bytes (Anthropic's own limit: 32 MB). */
  inferenceBodyLimitBytes: number;
  /** Time to wait for the upstream's response headers. */
  upstreamTimeoutMs: number;
  /** Longest silence allowed between two chunks of an upstream response. */
  upstreamIdleTimeoutMs: number;
  /** JSON file of price overrides (USD per million tokens per model), or null. */
  pricesFile: string | null;
  /** How often each process looks for changes made by other processes. */
  cachePollMs: number;
  /** Key prefix in Redis (several deployments can share one Redis). */
  redisPrefix: string;
  /** When the counter store is unreachable: refuse requests (`closed`, default) or serve them unmetered (`open`). */
  countersFailureMode: "closed" | "open";
  /**
   * Which proxies' `X-Forwarded-For` to believe for the caller's address (allowed_cidrs, audit
   * events): false (default: the socket's address), true (any), or addresses/CIDRs.
   */
  trustProxy: boolean | string[];
  /** Run the scheduled jobs (alerts, deliveries, rotation and expiry, retention) in this process. */
  schedulerEnabled: boolean;
  /** How often the scheduler wakes up. */
  schedulerTickMs: number;
  /** How often spend alert rules are evaluated. */
  alertIntervalMs: number;
  /** SMTP server for email notifications, or null (email deliveries then fail and are logged). */
  smtp: { url: string; from: string } | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function trustProxy(raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  const list = raw.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.some((x) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x))) throw new ConfigError("GATEHOUSE_TRUST_PROXY must be true, false or a comma-separated list of addresses or CIDR blocks");
  return list;
}

function onOff(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === "" || raw === "on") return true;
  if (raw === "off") return false;
  throw new ConfigError(`${name} must be on or off`);
}

function smtp(env: Env): { url: string; from: string } | null {
  const url = env.GATEHOUSE_SMTP_URL;
  if (!url) return null;
  if (!/^smtps?:\/\//.test(url)) throw new ConfigError("GATEHOUSE_SMTP_URL must be smtp://… or smtps://…");
  return { url, from: env.GATEHOUSE_SMTP_FROM || "gatehouse@localhost" };
}

function failureMode(raw: string | undefined): "closed" | "open" {
  if (raw === undefined || raw === "" || raw === "closed") return "closed";
  if (raw === "open") return "open";
  throw new ConfigError("GATEHOUSE_COUNTERS_FAILURE_MODE must be closed or open");
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function secretVar(env: Env, name: string): Buffer | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const buf = Buffer.from(raw, "base64");
  if (buf.length !== 32) throw new ConfigError(`${name} must be 32 bytes, base64-encoded (for example: openssl rand -base64 32)`);
  return buf;
}

/**
 * Parses the environment once into a frozen configuration. Throws ConfigError naming the variable
 * at fault. Secrets have no defaults: with PostgreSQL both keys must be given; in embedded mode
 * they are generated into the data directory on first start.
 */
export function loadConfig(env: Env): Readonly<Config> {
  const dataDir = resolve(env.GATEHOUSE_DATA_DIR || "./.gatehouse");
  const dbUrl = env.GATEHOUSE_DATABASE_URL || "";
  if (dbUrl !== "" && !/^postgres(ql)?:\/\//.test(dbUrl)) throw new ConfigError("GATEHOUSE_DATABASE_URL must be a postgres:// URL (unset it for embedded SQLite)");
  const sync = env.GATEHOUSE_SQLITE_SYNCHRONOUS || "full";
  if (sync !== "full" && sync !== "normal") throw new ConfigError("GATEHOUSE_SQLITE_SYNCHRONOUS must be full or normal");
  const storage: StorageConfig = dbUrl ? { driver: "postgres", url: dbUrl } : { driver: "sqlite", path: resolve(dataDir, "gatehouse.db"), synchronous: sync };
  const hashKey = secretVar(env, "GATEHOUSE_HASH_KEY");
  const encryptionKey = secretVar(env, "GATEHOUSE_ENCRYPTION_KEY");
  let secrets: SecretsConfig;
  if (hashKey && encryptionKey) secrets = { source: "env", hashKey, encryptionKey };
  else if (hashKey || encryptionKey) throw new ConfigError("set both GATEHOUSE_HASH_KEY and GATEHOUSE_ENCRYPTION_KEY, or neither (embedded mode)");
  else if (storage.driver === "postgres") throw new ConfigError("GATEHOUSE_HASH_KEY and GATEHOUSE_ENCRYPTION_KEY are required with GATEHOUSE_DATABASE_URL (every instance must share them)");
  else secrets = { source: "data_dir" };
  const upstreamUrl = env.GATEHOUSE_UPSTREAM_URL || "https://api.anthropic.com";
  try {
    new URL(upstreamUrl);
  } catch {
    throw new ConfigError("GATEHOUSE_UPSTREAM_URL must be a URL");
  }
  const nameRuleMode = env.GATEHOUSE_KEY_NAME_RULE || "strict";
  if (nameRuleMode !== "strict" && nameRuleMode !== "off") throw new ConfigError("GATEHOUSE_KEY_NAME_RULE must be strict or off");
  const config: Config = {
    port: intVar(env, "GATEHOUSE_PORT", 8787, 0, 65535),
    host: env.GATEHOUSE_HOST || "127.0.0.1",
    dataDir,
    storage,
    redisUrl: env.GATEHOUSE_REDIS_URL || null,
    upstreamUrl,
    anthropicApiKey: env.ANTHROPIC_API_KEY || null,
    secrets,
    nameRule: {
      enabled: nameRuleMode === "strict",
      minLength: intVar(env, "GATEHOUSE_KEY_NAME_MIN_LENGTH", DEFAULT_NAME_RULE.minLength, 1, 64),
      extraGenericWords: (env.GATEHOUSE_KEY_NAME_DENYLIST || "").split(",").map((w) => w.trim().toLowerCase()).filter((w) => w.length > 0),
    },
    logLevel: env.GATEHOUSE_LOG_LEVEL || "info",
    adminBodyLimitBytes: intVar(env, "GATEHOUSE_ADMIN_BODY_LIMIT_BYTES", 1024 * 1024, 1024, 32 * 1024 * 1024),
    inferenceBodyLimitBytes: intVar(env, "GATEHOUSE_INFERENCE_BODY_LIMIT_BYTES", 32 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    upstreamTimeoutMs: intVar(env, "GATEHOUSE_UPSTREAM_TIMEOUT_MS", 600_000, 100, 3_600_000),
    upstreamIdleTimeoutMs: intVar(env, "GATEHOUSE_UPSTREAM_IDLE_TIMEOUT_MS", 300_000, 100, 3_600_000),
    pricesFile: env.GATEHOUSE_PRICES_FILE || null,
    cachePollMs: intVar(env, "GATEHOUSE_CACHE_POLL_MS", 500, 50, 2_000),
    redisPrefix: env.GATEHOUSE_REDIS_PREFIX || "gatehouse:",
    countersFailureMode: failureMode(env.GATEHOUSE_COUNTERS_FAILURE_MODE),
    trustProxy: trustProxy(env.GATEHOUSE_TRUST_PROXY),
    schedulerEnabled: onOff(env.GATEHOUSE_SCHEDULER, "GATEHOUSE_SCHEDULER"),
    schedulerTickMs: intVar(env, "GATEHOUSE_SCHEDULER_TICK_MS", 5_000, 100, 600_000),
    alertIntervalMs: intVar(env, "GATEHOUSE_ALERT_INTERVAL_MS", 60_000, 1_000, 3_600_000),
    smtp: smtp(env),
  };
  return Object.freeze(config);
}
