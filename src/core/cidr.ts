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
