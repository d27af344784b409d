/** Validation of CIDR notation (IPv4 `a.b.c.d/n`, IPv6 `x::y/n`); a bare address means a single host. */
export function isCidr(value: string): boolean {
  const [addr, bits, extra] = value.split("/");
  if (extra !== undefined || addr === undefined || addr.length === 0) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  let maxBits: number;
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith("0")))) return false;
    maxBits = 32;
  } else if (/^[0-9a-fA-F:.]+$/.test(addr) && addr.includes(":")) {
    try {
      new URL(`http://[${addr}]/`);
    } catch {
      return false;
    }
    maxBits = 128;
  } else {
    return false;
  }
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= maxBits;
}

/** An address as a 128-bit number (IPv4 mapped into ::ffff:0:0/96), or null. */
function toBigInt(addr: string): bigint | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return null;
    return (0xffffn << 32n) | parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  }
  if (!addr.includes(":")) return null;
  let head = addr;
  let tailV4: bigint | null = null;
  const lastColon = addr.lastIndexOf(":");
  if (addr.slice(lastColon + 1).includes(".")) {
    const v = toBigInt(addr.slice(lastColon + 1));
    if (v === null) return null;
    tailV4 = v & 0xffffffffn;
    head = `${addr.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return tailV4 === null ? v : (v & ~0xffffffffn) | tailV4;
}

/** True when `ip` lies in `cidr` (IPv4 and IPv6; IPv4-mapped IPv6 addresses match IPv4 blocks). */
export function isCidrMatch(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const b = toBigInt(base ?? "");
  const a = toBigInt(ip);
  if (a === null || b === null) return false;
  const isV4 = !(base ?? "").includes(":");
  const bits = bitsText === undefined ? (isV4 ? 32 : 128) : Number(bitsText);
  const prefix = isV4 ? 96 + bits : bits;
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  return (a & mask) === (b & mask);
}
