/**
 * Descriptive-name rule for keys. The guide asks for "one key per service and environment with a
 * descriptive name"; names such as `key-1`, `test`, `default` or `my key` say nothing about the
 * service and are refused. The rule: at least `minLength` characters, at least one letter, and the
 * name, lower-cased with separators and digits removed, is not a generic word.
 */
export interface NameRule {
  enabled: boolean;
  minLength: number;
  /** Extra generic words (lower-case) on top of the built-in list. */
  extraGenericWords: readonly string[];
}

export const DEFAULT_NAME_RULE: NameRule = { enabled: true, minLength: 4, extraGenericWords: [] };

export const GENERIC_KEY_WORDS: readonly string[] = [
  "key", "keys", "apikey", "api", "test", "testing", "tests", "default", "mykey", "newkey", "temp", "tmp",
  "foo", "bar", "baz", "foobar", "asdf", "qwerty", "secret", "token", "example", "sample", "demo", "untitled",
  "unnamed", "dev", "prod", "staging", "admin", "adminkey", "mine", "main", "new", "old", "key", "abc", "xxx",
  "todo", "changeme", "placeholder", "thekey", "anthropic", "claude", "gatehouse", "test key", "my",
];

export type NameCheck = { ok: true } | { ok: false; reason: string };

export function checkDescriptiveName(name: string, rule: NameRule = DEFAULT_NAME_RULE): NameCheck {
  const trimmed = name.trim();
  if (trimmed.length === 0) return { ok: false, reason: "name must not be empty" };
  if (!rule.enabled) return { ok: true };
  if (trimmed.length < rule.minLength) {
    return { ok: false, reason: `name must be at least ${rule.minLength} characters and say which service and environment it serves` };
  }
  if (!/\p{L}/u.test(trimmed)) return { ok: false, reason: "name must contain a letter" };
  const core = trimmed.toLowerCase().replace(/[\s\-_.:/#]+/g, "").replace(/\d+/g, "");
  const generic = new Set([...GENERIC_KEY_WORDS.map((w) => w.replace(/\s+/g, "")), ...rule.extraGenericWords]);
  if (core.length === 0 || generic.has(core)) {
    return {
      ok: false,
      reason: `name ${JSON.stringify(trimmed)} is generic; use a descriptive name such as "billing-service-production"`,
    };
  }
  return { ok: true };
}
