/**
 * Query-string parser for Anthropic-style queries: `x[]=a&x[]=b` (what SDK 1.x sends) and repeated
 * `x=a&x=b` both give arrays; `a[b]=v` gives nested objects one level deep. Keys that could pollute
 * prototypes are dropped. The result has a null prototype.
 */
export function parseQuery(qs: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const params = new URLSearchParams(qs);
  for (const [rawKey, value] of params) {
    let key = rawKey;
    let forceArray = false;
    let sub: string | undefined;
    if (key.endsWith("[]")) {
      key = key.slice(0, -2);
      forceArray = true;
    } else {
      const m = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
      if (m) {
        key = m[1] as string;
        sub = m[2] as string;
      }
    }
    if (isDangerous(key) || (sub !== undefined && isDangerous(sub))) continue;
    if (sub !== undefined) {
      const existing = out[key];
      const obj = (typeof existing === "object" && existing !== null && !Array.isArray(existing) ? existing : Object.create(null)) as Record<string, unknown>;
      obj[sub] = value;
      out[key] = obj;
      continue;
    }
    const prev = out[key];
    if (prev === undefined) out[key] = forceArray ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

function isDangerous(key: string): boolean {
  return key === "__proto__" || key === "constructor" || key === "prototype";
}
