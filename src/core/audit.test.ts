import { describe, expect, it } from "vitest";
import { type AuditEvent, GENESIS_HASH, eventHash, verifyChain } from "./audit.js";

function makeChain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      seq, id: `audevt_${seq}`, ts: new Date(1_790_000_000_000 + seq).toISOString(), org_id: "org", actor_type: "admin_key",
      actor_id: "admkey_1", actor_display: "ops", action: seq % 2 ? "api_key.created" : "workspace.updated", target_type: "api_key",
      target_id: `apikey_${seq}`, workspace_id: "wrkspc_1", outcome: "success", reason: null, request_id: `req_${seq}`, ip: "127.0.0.1",
      user_agent: "test", changes: JSON.stringify({ n: seq }), prev_hash: prev,
    };
    const e = { ...base, hash: eventHash(base) };
    out.push(e);
    prev = e.hash;
  }
  return out;
}

/** Deterministic PRNG so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Tamper = "edit" | "delete" | "insert" | "swap" | "truncate";

function tamper(chain: AuditEvent[], kind: Tamper, r: () => number): AuditEvent[] {
  const c = chain.slice();
  const i = Math.floor(r() * (c.length - 2)) + 1;
  switch (kind) {
    case "edit": {
      const field = (["action", "actor_id", "target_id", "changes", "ts", "outcome"] as const)[Math.floor(r() * 6)]!;
      c[i] = { ...c[i]!, [field]: `${String(c[i]![field])}x` };
      break;
    }
    case "delete":
      c.splice(i, 1);
      break;
    case "insert": {
      // A forged event that even carries a self-consistent hash.
      const forged = { ...c[i]!, id: "audevt_forged", action: "user.deleted" };
      c.splice(i, 0, { ...forged, hash: eventHash({ ...forged, hash: undefined } as never) });
      break;
    }
    case "swap": {
      const a = c[i]!;
      c[i] = c[i + 1]!;
      c[i + 1] = a;
      break;
    }
    case "truncate":
      c.length = i;
      break;
  }
  return c;
}

describe("audit hash chain (A4)", () => {
  const size = Number(process.env.GATEHOUSE_A4_EVENTS ?? 3_000);
  const chain = makeChain(size);
  const head = { seq: size, hash: chain[size - 1]!.hash };

  it("accepts untampered chains (0 false alarms)", () => {
    for (let n = 1; n <= 100; n++) expect(verifyChain(chain.slice(0, n * Math.floor(size / 100)), undefined).ok).toBe(true);
    expect(verifyChain(chain, head)).toMatchObject({ ok: true, count: size, headSeq: size });
    expect(verifyChain([], { seq: 0, hash: GENESIS_HASH }).ok).toBe(true);
  });

  it(`detects 1,000 of 1,000 random tamperings of a ${size}-event log, naming the first bad seq`, () => {
    const r = rng(42);
    const kinds: Tamper[] = ["edit", "delete", "insert", "swap", "truncate"];
    let detected = 0;
    for (let t = 0; t < 1000; t++) {
      const kind = kinds[t % kinds.length]!;
      const verdict = verifyChain(tamper(chain, kind, r), head);
      if (!verdict.ok) {
        detected++;
        expect(verdict.badSeq).not.toBeNull();
      }
    }
    expect(detected).toBe(1000);
  }, 120_000);
});
