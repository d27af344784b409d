import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import { resolveSecrets } from "./secrets.js";

const key = Buffer.alloc(32, 1).toString("base64");

describe("loadConfig", () => {
  it("defaults to embedded SQLite on 127.0.0.1:8787 and freezes the result", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8787, host: "127.0.0.1", storage: { driver: "sqlite" }, secrets: { source: "data_dir" }, upstreamUrl: "https://api.anthropic.com", redisUrl: null });
    expect(c.storage.driver === "sqlite" && c.storage.path.endsWith(join(".gatehouse", "gatehouse.db"))).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("PostgreSQL requires both secrets", () => {
    expect(() => loadConfig({ GATEHOUSE_DATABASE_URL: "postgres://x@h/db" })).toThrow(/GATEHOUSE_HASH_KEY and GATEHOUSE_ENCRYPTION_KEY are required/);
    const c = loadConfig({ GATEHOUSE_DATABASE_URL: "postgres://x@h/db", GATEHOUSE_HASH_KEY: key, GATEHOUSE_ENCRYPTION_KEY: key });
    expect(c.storage).toEqual({ driver: "postgres", url: "postgres://x@h/db" });
    expect(c.secrets.source).toBe("env");
  });

  it.each([
    [{ GATEHOUSE_PORT: "http" }, "GATEHOUSE_PORT"],
    [{ GATEHOUSE_PORT: "70000" }, "GATEHOUSE_PORT"],
    [{ GATEHOUSE_DATABASE_URL: "mysql://x" }, "GATEHOUSE_DATABASE_URL"],
    [{ GATEHOUSE_HASH_KEY: "short", GATEHOUSE_ENCRYPTION_KEY: key }, "GATEHOUSE_HASH_KEY"],
    [{ GATEHOUSE_HASH_KEY: key }, "both"],
    [{ GATEHOUSE_UPSTREAM_URL: "not a url" }, "GATEHOUSE_UPSTREAM_URL"],
    [{ GATEHOUSE_KEY_NAME_RULE: "lenient" }, "GATEHOUSE_KEY_NAME_RULE"],
    [{ GATEHOUSE_TRUST_PROXY: "lb.internal" }, "GATEHOUSE_TRUST_PROXY"],
    [{ GATEHOUSE_COUNTERS_FAILURE_MODE: "maybe" }, "GATEHOUSE_COUNTERS_FAILURE_MODE"],
    [{ GATEHOUSE_SQLITE_SYNCHRONOUS: "off" }, "GATEHOUSE_SQLITE_SYNCHRONOUS"],
  ])("refuses %j naming the variable", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("reads the proxy trust setting", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ GATEHOUSE_TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ GATEHOUSE_TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).trustProxy).toEqual(["10.0.0.0/8", "127.0.0.1"]);
  });

  it("reads the key-name rule", () => {
    expect(loadConfig({ GATEHOUSE_KEY_NAME_RULE: "off", GATEHOUSE_KEY_NAME_DENYLIST: "Sandbox, scratch", GATEHOUSE_KEY_NAME_MIN_LENGTH: "8" }).nameRule)
      .toEqual({ enabled: false, minLength: 8, extraGenericWords: ["sandbox", "scratch"] });
  });
});

describe("embedded secrets", () => {
  it("are generated once into the data dir with 0600 permissions and then reused", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gatehouse-secrets-")), "data");
    const generated: string[] = [];
    const a = resolveSecrets({ dataDir: dir, secrets: { source: "data_dir" } }, (p) => generated.push(p));
    const b = resolveSecrets({ dataDir: dir, secrets: { source: "data_dir" } }, (p) => generated.push(p));
    expect(generated).toEqual([join(dir, "secrets.json")]);
    expect(a.hashKey.equals(b.hashKey)).toBe(true);
    expect(a.hashKey.length).toBe(32);
    expect(a.hashKey.equals(a.encryptionKey)).toBe(false);
    expect(statSync(join(dir, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8"))).toHaveProperty("hash_key");
  });
});
