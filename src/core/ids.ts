import { randomBytes, randomFillSync } from "node:crypto";

/** Base62 alphabet in ASCII order, so that lexical order of encoded values is numeric order. */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Closed table of id prefixes. Ids are `<prefix><8 time chars><14 random chars>`: time-ordered. */
export const ID_PREFIX = {
  user: "user_",
  invite: "invite_",
  workspace: "wrkspc_",
  apiKey: "apikey_",
  adminKey: "admkey_",
  auditEvent: "audevt_",
  usage: "usage_",
  request: "req_",
  alertRule: "alrt_",
  delivery: "dlvr_",
  notification: "ntf_",
  scimToken: "scimtok_",
  scimGroup: "scimgrp_",
  increaseRequest: "slir_",
} as const;
export type IdKind = keyof typeof ID_PREFIX;

/** Encodes a non-negative integer below 2^53 as fixed-width base62. */
export function encodeBase62(value: number, width: number): string {
  let out = "";
  let v = Math.floor(value);
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/** Random bytes drawn from the CSPRNG in blocks, so that each id does not pay for a call. */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;
function randomByte(): number {
  if (poolOffset >= POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  return POOL[poolOffset++] as number;
}

/** `count` uniformly random base62 characters from the CSPRNG (rejection sampling, no modulo bias), for ids. */
export function randomBase62(count: number, next: () => number = randomByte): string {
  let out = "";
  while (out.length < count) {
    const b = next();
    if (b < 248) out += BASE62[b % 62];
  }
  return out;
}

/** The same for secrets: fresh bytes from the CSPRNG, never buffered ahead in the pool. */
export function secretBase62(count: number): string {
  const bytes = randomBytes(count * 2);
  let i = 0;
  return randomBase62(count, () => (i < bytes.length ? (bytes[i++] as number) : randomBytes(1)[0] as number));
}

let lastMs = 0;
let lastTail = "";

/** Adds one to a base62 string (fixed width; wraps only after 62^width increments). */
function incrementBase62(s: string): string {
  const chars = s.split("");
  for (let i = chars.length - 1; i >= 0; i--) {
    const v = BASE62.indexOf(chars[i] as string);
    if (v < 61) {
      chars[i] = BASE62[v + 1] as string;
      return chars.join("");
    }
    chars[i] = "0";
  }
  return chars.join("");
}

/**
 * The 22-character body of an id: 8 chars of milliseconds since epoch, then 14 random chars
 * (~83 bits). Monotonic within a process: ids made in the same millisecond (or with a clock that
 * went back) increment the previous tail, so id order is creation order.
 */
export function idBody(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    lastTail = randomBase62(14);
  } else {
    lastTail = incrementBase62(lastTail);
  }
  return encodeBase62(lastMs, 8) + lastTail;
}

export function newId(kind: IdKind, nowMs?: number): string {
  return ID_PREFIX[kind] + idBody(nowMs);
}

/** True when `id` has the prefix of `kind` and a well-formed body. */
export function isId(kind: IdKind, id: string): boolean {
  const prefix = ID_PREFIX[kind];
  return id.startsWith(prefix) && /^[0-9A-Za-z]{22}$/.test(id.slice(prefix.length));
}
