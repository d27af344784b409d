import { createHmac, timingSafeEqual } from "node:crypto";
import { crc32 } from "./crc32.js";
import { BASE62, encodeBase62, idBody, secretBase62 } from "./ids.js";

/**
 * Gatehouse key format (version 1), published so secret scanners can register it:
 *
 *   gth_<marker>_<public id: 22 base62>_<secret: 22 base62><crc32: 6 base62>
 *
 * - `gth_` is the product prefix.
 * - `<marker>` names the kind and environment: `prod`, `stg`, `dev`, `env` (custom environment)
 *   for workspace API keys, `adm` for admin keys, `scim` for SCIM provisioning tokens.
 * - The public id is the key object's id without its prefix (`apikey_…`, `admkey_…`); it is not secret.
 * - The secret is 22 characters from the CSPRNG: 62^22 ≈ 2^131 possibilities.
 * - The checksum is CRC-32 of everything before it, base62-encoded in 6 characters, so typos and
 *   look-alikes are rejected offline, before any lookup.
 *
 * Only HMAC-SHA-256(hash key, whole key) and a short hint are stored.
 */
export const KEY_PREFIX = "gth_";
export const KEY_MARKERS = ["prod", "stg", "dev", "env", "adm", "scim"] as const;
export type KeyMarker = (typeof KEY_MARKERS)[number];
export const KEY_REGEX = /^gth_(prod|stg|dev|env|adm|scim)_([0-9A-Za-z]{22})_([0-9A-Za-z]{22})([0-9A-Za-z]{6})$/;
/** Same pattern without anchors, for scanning text. */
export const KEY_SCAN_REGEX = /gth_(?:prod|stg|dev|env|adm|scim)_[0-9A-Za-z]{22}_[0-9A-Za-z]{28}/g;

const SECRET_CHARS = 22;

export interface ParsedKey {
  marker: KeyMarker;
  /** The public id part (id body without its object prefix). */
  publicId: string;
}

/** The environment marker of a workspace environment. */
export function markerForEnvironment(environment: string): KeyMarker {
  switch (environment) {
    case "production":
      return "prod";
    case "staging":
      return "stg";
    case "development":
      return "dev";
    default:
      return "env";
  }
}

function checksum(body: string): string {
  return encodeBase62(crc32(body), 6);
}

export interface GeneratedKey {
  /** The full key: shown to the caller once, never stored. */
  key: string;
  publicId: string;
}

/** Generates a new key for `marker`; `publicId` defaults to a fresh time-ordered id body. */
export function generateKey(marker: KeyMarker, publicId: string = idBody()): GeneratedKey {
  const body = `${KEY_PREFIX}${marker}_${publicId}_${secretBase62(SECRET_CHARS)}`;
  return { key: body + checksum(body), publicId };
}

/** A newly issued key: the secret to show once, and what is stored (keyed hash and hint). */
export interface IssuedKey extends GeneratedKey {
  hash: string;
  hint: string;
}

/** Generates a key and its stored form in one step (every kind of credential is issued this way). */
export function issueKey(hashSecret: Buffer, marker: KeyMarker, publicId: string = idBody()): IssuedKey {
  const generated = generateKey(marker, publicId);
  return { ...generated, hash: hashKey(hashSecret, generated.key), hint: keyHint(generated.key) };
}

/**
 * Offline check of format and checksum. Returns null for anything that is not a well-formed
 * Gatehouse key; callers must treat null exactly like an unknown key.
 */
export function parseKey(candidate: string): ParsedKey | null {
  if (candidate.length !== KEY_PREFIX.length + 4 + 1 + 22 + 1 + 28 && candidate.length !== KEY_PREFIX.length + 3 + 1 + 22 + 1 + 28) {
    return null;
  }
  const m = KEY_REGEX.exec(candidate);
  if (!m) return null;
  const body = candidate.slice(0, candidate.length - 6);
  if (checksum(body) !== m[4]) return null;
  return { marker: m[1] as KeyMarker, publicId: m[2] as string };
}

/** The stored form of a key: HMAC-SHA-256 under the server's hash key, hex. */
export function hashKey(hashSecret: Buffer, key: string): string {
  return createHmac("sha256", hashSecret).update(key, "utf8").digest("hex");
}

/** Constant-time comparison of a presented key with a stored hash. */
export function verifyKey(hashSecret: Buffer, key: string, storedHash: string): boolean {
  const a = Buffer.from(hashKey(hashSecret, key), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Display hint: marker prefix, first 3 chars of the public id, `...`, the last 4 characters. */
export function keyHint(key: string): string {
  const m = KEY_REGEX.exec(key);
  if (!m) return "gth_...";
  return `${KEY_PREFIX}${m[1]}_${(m[2] as string).slice(0, 3)}...${key.slice(-4)}`;
}

/** The secret part of a key (for leak scanners in tests and tools). */
export function secretPart(key: string): string | null {
  const m = KEY_REGEX.exec(key);
  return m ? (m[3] as string) : null;
}

export const KEY_ALPHABET = BASE62;
