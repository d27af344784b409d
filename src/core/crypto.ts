import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealed boxes for secrets at rest (upstream credentials). Format:
 * `v1.<iv base64url>.<tag base64url>.<ciphertext base64url>`. `context` (e.g. org and workspace
 * ids) is bound as additional data, so a box copied to another row does not open.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
}

/** Opens a sealed box; throws if the key, the context or the box is wrong. */
export function open(key: Buffer, box: string, context: string): string {
  const [version, iv, tag, ct] = box.split(".");
  if (version !== "v1" || iv === undefined || tag === undefined || ct === undefined) throw new Error("unknown sealed box format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
