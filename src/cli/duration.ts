const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `0`, `3600`, `90s`, `30m`, `24h` or `7d` into whole seconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * (UNITS[m[2] || "s"] ?? 1);
}
