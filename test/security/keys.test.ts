/** K2 (never stored or logged in clear), K3 (shown once) and K4 (no oracle) on the admin API. */
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_SCAN_REGEX, generateKey, hashKey, secretPart, verifyKey } from "../../src/core/keys.js";
import { exportAuditJsonl } from "../../src/services/audit.js";
import { DIALECTS } from "../support/databases.js";
import { type Org, ok, setupOrg } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";

/** Every 12-character window of a secret: a leak of any of them fails K2. */
function windows(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= secret.length; i++) out.push(secret.slice(i, i + 12));
  return out;
}

describe.each(DIALECTS)("key secrets: %s", (dialect) => {
  let h: Harness;
  let org: Org;
  let dir: string;
  const logs: string[] = [];
  const responses: string[] = [];
  const issued: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gatehouse-k2-"));
    const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
    h = await createHarness(dialect, { sqlitePath: join(dir, "gatehouse.db"), logger: pino({ level: "trace" }, sink) });
    org = await setupOrg(h);
    // A workload that issues, uses, updates and revokes keys of both kinds.
    for (let i = 0; i < 5; i++) {
      const k = await ok(h, "POST", "/v1/organizations/api_keys", { name: `payments-worker-${i}`, workspace_id: org.wsA, expires_at: "2027-01-01T00:00:00Z" });
      issued.push(k.secret);
      responses.push(JSON.stringify(await ok(h, "POST", `/v1/organizations/api_keys/${k.id}`, { status: i % 2 ? "inactive" : "active" })));
      const a = await ok(h, "POST", "/v1/organizations/admin_keys", { name: `deploy-bot-${i}`, role: "developer" });
      issued.push(a.secret);
      responses.push(JSON.stringify(await h.call("GET", "/v1/organizations/me", undefined, a.secret)));
      await ok(h, "POST", `/v1/organizations/admin_keys/${a.id}/revoke`);
      responses.push((await h.call("GET", "/v1/organizations/me", undefined, a.secret)).raw);
      responses.push((await h.call("GET", "/v1/organizations/me", undefined, k.secret)).raw);
    }
    for (const s of Object.values(org.keys)) if (s) issued.push(s);
  }, 120_000);
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("K2: no secret, nor any 12-character piece of one, in the database files, logs, audit export or responses", async () => {
    const haystacks: [string, string][] = [["logs", logs.join("")], ["responses", responses.join("\n")]];
    let audit = "";
    for await (const line of exportAuditJsonl(h.deps.store)) audit += line;
    haystacks.push(["audit", audit]);
    if (dialect === "sqlite") {
      for (const f of ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"]) {
        const path = join(dir, f);
        if (existsSync(path)) haystacks.push([f, readFileSync(path).toString("latin1")]);
      }
    } else {
      const db = h.deps.store.connection.db;
      for (const t of ["users", "invites", "workspaces", "api_keys", "admin_keys", "audit_events"]) {
        haystacks.push([t, JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(db)).rows)]);
      }
    }
    expect(logs.length).toBeGreaterThan(10);
    // Nothing shaped like a Gatehouse key at all, issued or not.
    for (const [name, text] of haystacks) expect(text.match(KEY_SCAN_REGEX), name).toBeNull();
    expect(issued.length).toBeGreaterThan(15);
    for (const secret of issued) {
      const part = secretPart(secret)!;
      for (const [name, text] of haystacks) {
        expect(text.includes(secret), `${name} holds a whole key`).toBe(false);
        for (const w of windows(part)) expect(text.includes(w), `${name} holds a piece of a secret`).toBe(false);
      }
    }
  });

  it("K2: the stored column is HMAC(pepper, key); with another pepper no key verifies", async () => {
    const k = await ok(h, "POST", "/v1/organizations/api_keys", { name: "pepper-check-service", workspace_id: org.wsA });
    const row = await h.deps.store.apiKeys.get(org.orgId, k.id);
    expect(row?.key_hash).toBe(hashKey(h.deps.hashKey, k.secret));
    expect(verifyKey(Buffer.alloc(32, 1), k.secret, row!.key_hash)).toBe(false);
    expect(verifyKey(h.deps.hashKey, k.secret, row!.key_hash)).toBe(true);
  });

  it("K3: crawling every GET route of the OpenAPI document as admin finds only hints, never a secret", async () => {
    const fresh = await ok(h, "POST", "/v1/organizations/api_keys", { name: "crawler-visible-key", workspace_id: org.wsA });
    const freshAdmin = await ok(h, "POST", "/v1/organizations/admin_keys", { name: "crawler-visible-admin", role: "auditor" });
    const doc = (await h.call("GET", "/openapi.json", undefined, null)).json;
    const ids: Record<string, string> = {
      workspace_id: org.wsA, user_id: org.users.ws_admin, api_key_id: fresh.id, admin_key_id: freshAdmin.id,
      invite_id: (await ok(h, "POST", "/v1/organizations/invites", { email: "crawl@example.com", role: "user" })).id,
      spend_limit_id: (await ok(h, "POST", "/v1/organizations/spend_limits", { scope: { type: "api_key", api_key_id: fresh.id }, amount: "100", period: "daily" })).id,
      alert_rule_id: (await ok(h, "POST", "/v1/organizations/alert_rules", { name: "crawl-alerts", scope: { type: "organization" }, channels: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] })).id,
      request_id: (await ok(h, "POST", "/v1/organizations/spend_limit_increase_requests", { user_id: org.users.ws_admin, period: "daily" })).id,
    };
    ids.delivery_id = (await ok(h, "GET", "/v1/organizations/alert_deliveries")).first_id;
    const crawled: string[] = [];
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      if (!ops.get) continue;
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? "missing");
      const isReport = /report|analytics/.test(url);
      const res = await h.call("GET", `${url}?${isReport ? "starting_at=2026-11-01T00:00:00Z&limit=7" : "limit=1000"}`);
      expect(res.status, url).toBe(200);
      crawled.push(url);
      for (const secret of [fresh.secret, freshAdmin.secret, ...issued]) expect(res.raw.includes(secretPart(secret)!), url).toBe(false);
    }
    expect(crawled.length).toBeGreaterThanOrEqual(12);
    expect(fresh.partial_key_hint).toMatch(/^gth_prod_\w{3}\.\.\.\w{4}$/);
  });

  it("K4: malformed, bad-checksum, unknown, revoked, deactivated-user and wrong-kind keys get byte-identical 401 bodies", async () => {
    const revoked = await ok(h, "POST", "/v1/organizations/admin_keys", { name: "revoked-ci-runner", role: "admin" });
    await ok(h, "POST", `/v1/organizations/admin_keys/${revoked.id}/revoke`);
    const user = await ok(h, "POST", "/v1/organizations/users", { email: "leaver@example.com", name: "Leaver", role: "developer" });
    const personal = await ok(h, "POST", "/v1/organizations/admin_keys", { name: "leaver-laptop", user_id: user.id });
    await ok(h, "DELETE", `/v1/organizations/users/${user.id}`);
    const good = org.keys.admin!;
    const badChecksum = good.slice(0, -1) + (good.endsWith("A") ? "B" : "A");
    const archivedApiKey = await ok(h, "POST", "/v1/organizations/api_keys", { name: "archived-service-key", workspace_id: org.wsA });
    await ok(h, "POST", `/v1/organizations/api_keys/${archivedApiKey.id}`, { status: "archived" });
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      empty: { "x-api-key": "" },
      malformed: { "x-api-key": "sk-ant-api03-notakey" },
      "bad checksum": { "x-api-key": badChecksum },
      unknown: { "x-api-key": generateKey("adm").key },
      revoked: { "x-api-key": revoked.secret },
      "deactivated user": { "x-api-key": personal.secret },
      "data-plane key": { "x-api-key": org.keys.api_key! },
      "archived data-plane key": { authorization: `Bearer ${archivedApiKey.secret}` },
      "bearer unknown": { authorization: `Bearer ${generateKey("adm").key}` },
      "bearer malformed": { authorization: "Basic abc" },
      "headers disagree": { "x-api-key": good, authorization: `Bearer ${generateKey("adm").key}` },
    };
    const bodies = new Set<string>();
    for (const [name, headers] of Object.entries(cases)) {
      const res = await h.app.inject({ method: "GET", url: "/v1/organizations/users", headers });
      expect(res.statusCode, name).toBe(401);
      const requestId = res.headers["request-id"] as string;
      expect(res.json().request_id).toBe(requestId);
      bodies.add(res.body.replace(requestId, "REQ"));
    }
    expect([...bodies]).toEqual(['{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"REQ"}']);
    // Both headers carrying the same good key is fine.
    expect((await h.app.inject({ method: "GET", url: "/v1/organizations/me", headers: { "x-api-key": good, authorization: `Bearer ${good}` } })).statusCode).toBe(200);
  });
});
