/** A1 (coverage), A3 (fail-closed) and A4 (tamper evidence on the real stores). */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../../src/services/audit.js";
import { DIALECTS } from "../support/databases.js";
import { type Org, setupOrg } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { MATRIX, PUBLIC_ROUTES } from "../support/matrix.js";
import { buildApp } from "../../src/server/app.js";

const TABLES = ["organizations", "users", "invites", "workspaces", "workspace_members", "api_keys", "admin_keys", "audit_events", "audit_head"] as const;

async function dump(h: Harness): Promise<Record<string, unknown[]>> {
  const db = h.deps.store.connection.db;
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = (await sql`select * from ${sql.table(t)}`.execute(db)).rows.map((r) => JSON.stringify(r)).sort();
  return out;
}

async function breakAuditSink(h: Harness, broken: boolean): Promise<void> {
  const db = h.deps.store.connection.db;
  if (h.deps.store.dialect === "sqlite") {
    if (broken) await sql`create trigger audit_sink_broken before insert on audit_events begin select raise(abort, 'disk I/O error'); end`.execute(db);
    else await sql`drop trigger audit_sink_broken`.execute(db);
  } else if (broken) {
    await sql`create or replace function audit_sink_broken() returns trigger as $$ begin raise exception 'could not write to file: No space left on device'; end $$ language plpgsql`.execute(db);
    await sql`create trigger audit_sink_broken before insert on audit_events for each row execute function audit_sink_broken()`.execute(db);
  } else {
    await sql`drop trigger audit_sink_broken on audit_events`.execute(db);
  }
}

const MUTATING = Object.entries(MATRIX).filter(([route]) => !route.startsWith("GET "));

describe.each(DIALECTS)("audit log: %s", (dialect) => {
  let h: Harness;
  let org: Org;
  beforeAll(async () => {
    h = await createHarness(dialect, { dataPlane: { upstreamUrl: "http://127.0.0.1:9" } });
    org = await setupOrg(h);
  }, 120_000);
  afterAll(async () => h.close());

  const eventsFor = async (requestId: string) => (await h.call("GET", `/v1/organizations/audit_events?limit=1000`)).json.data.filter((e: any) => e.request_id === requestId);

  it("A1: every mutating admin route writes exactly one event with the request's id, actor and outcome", async () => {
    // Walk the router: every mutating route must be exercised here.
    const { routes } = await buildApp({ deps: h.deps, gateway: h.dataPlane! });
    const mutatingRoutes = routes.filter((r) => r.method !== "GET" && r.access !== "inference" && r.access !== "scim").map((r) => `${r.method} ${r.url}`).filter((n) => !PUBLIC_ROUTES.includes(n));
    expect(mutatingRoutes.sort()).toEqual(MUTATING.map(([route]) => route).sort());
    for (const [route, entry] of MUTATING) {
      const cell = await entry.make(h, org);
      const res = await h.call(cell.method, cell.url, cell.body);
      expect(res.status, route).toBeLessThan(300);
      const events = await eventsFor(res.headers["request-id"] as string);
      expect(events, route).toHaveLength(1);
      expect(events[0]).toMatchObject({ outcome: { result: "success" }, actor: { type: "admin_key" } });
    }
  }, 60_000);

  it("A1: the public invite acceptance writes exactly one event", async () => {
    const invite = (await h.call("POST", "/v1/organizations/invites", { email: "newhire@example.com", role: "developer" })).json;
    const res = await h.call("POST", "/v1/invites/accept", { token: invite.accept_token, name: "New Hire" }, null);
    expect(res.status).toBe(201);
    const events = await eventsFor(res.headers["request-id"] as string);
    expect(events.map((e: any) => e.action)).toEqual(["invite.accepted"]);
    expect((await h.call("POST", "/v1/invites/accept", { token: invite.accept_token, name: "Again" }, null)).status).toBe(404);
  });

  it("A1: every authentication failure writes exactly one denied event, without the presented secret", async () => {
    const revoked = (await h.call("POST", "/v1/organizations/admin_keys", { name: "revoked-automation", role: "admin" })).json;
    await h.call("POST", `/v1/organizations/admin_keys/${revoked.id}/revoke`);
    for (const key of ["", "not-a-key", revoked.secret, org.keys.api_key!]) {
      const res = await h.call("GET", "/v1/organizations/me", undefined, key);
      expect(res.status).toBe(401);
      const rows = (await h.deps.store.connection.db.selectFrom("audit_events").selectAll().where("request_id", "=", res.headers["request-id"] as string).execute());
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: "auth.failed", outcome: "denied" });
      if (key.length > 20) expect(JSON.stringify(rows[0])).not.toContain(key.slice(-20));
    }
  });

  it("A1: archiving a workspace audits the archive and each key it disables", async () => {
    const ws = (await h.call("POST", "/v1/organizations/workspaces", { name: "Sunset", environment: "development" })).json.id;
    const k1 = (await h.call("POST", "/v1/organizations/api_keys", { name: "sunset-worker", workspace_id: ws })).json.id;
    const k2 = (await h.call("POST", "/v1/organizations/api_keys", { name: "sunset-cron", workspace_id: ws })).json.id;
    const res = await h.call("POST", `/v1/organizations/workspaces/${ws}/archive`);
    const events = await eventsFor(res.headers["request-id"] as string);
    expect(events.map((e: any) => `${e.action} ${e.target.id}`).sort()).toEqual([`api_key.archived ${k1}`, `api_key.archived ${k2}`, `workspace.archived ${ws}`].sort());
    expect((await h.call("GET", `/v1/organizations/api_keys/${k1}`)).json.status).toBe("archived");
  });

  it("A3: with the audit sink failing, 100% of mutating requests fail with 503 and commit nothing", async () => {
    for (const [route, entry] of MUTATING) {
      const cell = await entry.make(h, org);
      const before = await dump(h);
      await breakAuditSink(h, true);
      try {
        const res = await h.call(cell.method, cell.url, cell.body);
        expect(res.status, route).toBe(503);
        expect(res.json).toMatchObject({ type: "error", error: { type: "api_error" } });
        expect(res.raw).not.toMatch(/disk I\/O|No space|sqlite|postgres|at .*\.ts/i);
      } finally {
        await breakAuditSink(h, false);
      }
      expect(await dump(h), route).toEqual(before);
    }
  }, 60_000);

  it("A4: the verifier passes the real chain and fails on edit, deletion, insertion, reordering and truncation", async () => {
    expect((await verifyAuditChain(h.deps.store)).ok).toBe(true);
    const db = h.deps.store.connection.db;
    const head = await h.deps.store.audit.head();
    expect(head.seq).toBeGreaterThan(20);
    const mid = Math.floor(head.seq / 2);
    const tamperings: [string, () => Promise<void>, () => Promise<void>][] = [];
    const row = await db.selectFrom("audit_events").selectAll().where("seq", "=", mid).executeTakeFirstOrThrow();
    const next = await db.selectFrom("audit_events").selectAll().where("seq", "=", mid + 1).executeTakeFirstOrThrow();
    const last = await db.selectFrom("audit_events").selectAll().where("seq", "=", head.seq).executeTakeFirstOrThrow();
    const restore = async (...rows: (typeof row)[]) => {
      for (const r of rows) {
        await db.deleteFrom("audit_events").where((eb) => eb.or([eb("seq", "=", r.seq), eb("id", "=", r.id)])).execute();
        await db.insertInto("audit_events").values(r).execute();
      }
    };
    tamperings.push(["edit", () => db.updateTable("audit_events").set({ actor_id: "admkey_attacker" }).where("seq", "=", mid).execute().then(() => {}), () => restore(row)]);
    tamperings.push(["delete", () => db.deleteFrom("audit_events").where("seq", "=", mid).execute().then(() => {}), () => restore(row)]);
    tamperings.push(["insert", async () => {
      await db.updateTable("audit_events").set({ seq: 1_000_000 }).where("seq", "=", head.seq).execute();
      await db.insertInto("audit_events").values({ ...row, seq: head.seq + 1, id: "audevt_forged" }).execute();
    }, async () => {
      await db.deleteFrom("audit_events").where("seq", "=", head.seq + 1).execute();
      await db.updateTable("audit_events").set({ seq: head.seq }).where("seq", "=", 1_000_000).execute();
    }]);
    tamperings.push(["reorder", async () => {
      await db.updateTable("audit_events").set({ seq: -1 }).where("seq", "=", mid).execute();
      await db.updateTable("audit_events").set({ seq: mid }).where("seq", "=", mid + 1).execute();
      await db.updateTable("audit_events").set({ seq: mid + 1 }).where("seq", "=", -1).execute();
    }, () => restore(row, next)]);
    tamperings.push(["truncate", () => db.deleteFrom("audit_events").where("seq", "=", head.seq).execute().then(() => {}), () => restore(last)]);
    for (const [name, apply, undo] of tamperings) {
      await apply();
      const verdict = await verifyAuditChain(h.deps.store);
      expect(verdict.ok, name).toBe(false);
      await undo();
      expect((await verifyAuditChain(h.deps.store)).ok, `${name} restored`).toBe(true);
    }
  });
});
