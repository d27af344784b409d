import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";

export interface Secrets {
  hashKey: Buffer;
  encryptionKey: Buffer;
}

/**
 * Resolves the server secrets. In embedded mode they live in `<data dir>/secrets.json` (0600),
 * created on first start; `onGenerated` is told so it can be logged.
 */
export function resolveSecrets(config: Pick<Config, "secrets" | "dataDir">, onGenerated: (path: string) => void = () => {}): Secrets {
  if (config.secrets.source === "env") return { hashKey: config.secrets.hashKey, encryptionKey: config.secrets.encryptionKey };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const path = join(config.dataDir, "secrets.json");
  if (!existsSync(path)) {
    const fresh = { hash_key: randomBytes(32).toString("base64"), encryption_key: randomBytes(32).toString("base64") };
    writeFileSync(path, JSON.stringify(fresh, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    onGenerated(path);
  }
  chmodSync(path, 0o600);
  const parsed = JSON.parse(readFileSync(path, "utf8")) as { hash_key?: string; encryption_key?: string };
  const hashKey = Buffer.from(parsed.hash_key ?? "", "base64");
  const encryptionKey = Buffer.from(parsed.encryption_key ?? "", "base64");
  if (hashKey.length !== 32 || encryptionKey.length !== 32) throw new Error(`${path} is damaged: hash_key and encryption_key must be 32 bytes each`);
  return { hashKey, encryptionKey };
}
