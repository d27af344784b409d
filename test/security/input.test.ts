/** I3: schema validation and the hazard corpus. Every hazard gets a 4xx envelope, nothing changes, no prototype is polluted. */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/databases.js";
import { type Org, setupOrg } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { MATRIX } from "../support/matrix.js";

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
const deepObj = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

/** Raw payloads that must be refused whatever the route expects. */
const RAW_HAZARDS: [string, string | Buffer, string?][] = [
  ["__proto__ key", '{"__proto__":{"polluted":true},"name":"x"}'],
  ["nested __proto__", '{"name":"billing-prod","tags":{"__proto__":{"polluted":true}}}'],
  ["constructor.prototype", '{"constructor":{"prototype":{"polluted":true}}}'],
  ["depth 10,000 array", deep(10_000)],
  ["depth 10,000 object", deepObj(10_000)],
  ["invalid UTF-8", Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])],
  ["byte-order mark", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"x"}')])],
  ["truncated JSON", '{"name": "x"'],
  ["not an object", '"just a string"'],
  ["array", "[]"],
  ["null", "null"],
  ["number", "12345678901234567890123"],
  ["empty body", ""],
  ["wrong content type", '{"name":"x"}', "text/plain"],
  ["form encoded", "name=x", "application/x-www-form-urlencoded"],
];

/** Field-level hazards merged into a route's valid body. */
const FIELD_HAZARDS: [string, Record<string, unknown>][] = [
  ["unknown field", { unexpected_field: 1 }],
  ["huge string", { name: "x".repeat(100_000) }],
  ["wrong type", { name: 12 }],
  ["null name", { name: null }],
  ["huge integer", { tier: 2 ** 60 }],
  ["float integer", { tier: 1.5 }],
  ["object for string", { workspace_id: { $ne: null } }],
  ["array for string", { email: ["a@b.c"] }],
  ["bad enum", { role: "owner", workspace_role: "workspace_owner", status: "deleted" }],
];

describe.each(DIALECTS)("input handling (I3): %s", (dialect) => {
  let h: Harness;
  let org: Org;
  beforeAll(async () => {
    h = await createHarness(dialect);
    org = await setupOrg(h);
  }, 120_000);
  afterAll(async () => h.close());

  const snapshot = async () => {
    const db = h.deps.store.connection.db;
    const out: Record<string, number> = {};
    for (const t of ["users", "invites", "workspaces", "workspace_members", "api_keys", "admin_keys", "audit_events"]) {
      out[t] = Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(db)).rows[0]!.n);
    }
    return { counts: out, head: await h.deps.store.audit.head() };
  };

  const bodyRoutes = Object.entries(MATRIX).filter(([route]) => route.startsWith("POST "));

  it("raw hazards on every route with a body: 4xx envelope, 0 5xx, nothing changed, no pollution", async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const [route, entry] of [...bodyRoutes, ["POST /v1/invites/accept", { make: async () => ({ method: "POST", url: "/v1/invites/accept" }) }] as const]) {
      const cell = await entry.make(h, org);
      const fixturesDone = await snapshot();
      for (const [name, payload, type] of RAW_HAZARDS) {
        const res = await h.app.inject({ method: "POST", url: cell.url, headers: { "x-api-key": org.adminKey, "content-type": type ?? "application/json" }, payload });
        const okStatus = res.statusCode >= 400 && res.statusCode < 500;
        // A route whose body is optional (no body, or null as the official SDK sends for deny) may accept a
        // harmless body; it must still not fail or pollute.
        if (!okStatus && !(res.statusCode < 300 && ["archive", "revoke", "complete", "deny"].some((s) => cell.url.endsWith(s)) && name !== "wrong content type")) {
          failures.push(`${route} ${name}: ${res.statusCode}`);
        }
        if (res.statusCode >= 400) {
          const body = JSON.parse(res.body);
          expect(body.type).toBe("error");
          expect(body.request_id).toBe(res.headers["request-id"]);
          expect(res.body).not.toMatch(/at .*\.(ts|js):\d+|node_modules|SELECT|sqlite/i);
        }
      }
      if (!["archive", "revoke", "complete", "deny"].some((s) => cell.url.endsWith(s))) expect(await snapshot(), route).toEqual(fixturesDone);
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(before.counts.users).toBeGreaterThan(0);
  }, 60_000);

  it("field hazards on every route with a body schema: 400 naming the field, handler never reached", async () => {
    const failures: string[] = [];
    for (const [route, entry] of bodyRoutes) {
      const cell = await entry.make(h, org);
      if (cell.body === undefined) continue;
      const before = await snapshot();
      for (const [name, patch] of FIELD_HAZARDS) {
        const hazardous = { ...(cell.body as object), ...patch };
        const res = await h.call(cell.method, cell.url, hazardous);
        // Fields the route does not know are refused as unknown; known ones by type/bounds.
        if (res.status !== 400) failures.push(`${route} ${name}: ${res.status} ${res.raw.slice(0, 120)}`);
        else expect(res.json.error.type).toBe("invalid_request_error");
      }
      expect(await snapshot(), route).toEqual(before);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it("bodies over 1 MiB are refused with 413 before parsing", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/organizations/workspaces", headers: { "x-api-key": org.adminKey, "content-type": "application/json" }, payload: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error.type).toBe("request_too_large");
  });

  it("query strings: bad values are 400, unknown parameters such as beta=true are ignored", async () => {
    expect((await h.call("GET", "/v1/organizations/users?limit=0")).status).toBe(400);
    expect((await h.call("GET", "/v1/organizations/users?limit=abc")).status).toBe(400);
    expect((await h.call("GET", "/v1/organizations/users?limit=1001")).status).toBe(400);
    expect((await h.call("GET", "/v1/organizations/api_keys?status=deleted")).status).toBe(400);
    expect((await h.call("GET", "/v1/organizations/users?roles[]=owner")).status).toBe(400);
    expect((await h.call("GET", "/v1/organizations/users?beta=true&limit=2")).status).toBe(200);
    expect((await h.call("GET", "/v1/organizations/users?__proto__[polluted]=1")).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("unknown paths and ids get the not-found envelope", async () => {
    for (const url of ["/v1/organizations/nope", "/v1/organizations/api_keys/apikey_doesnotexist", "/nothing"]) {
      const res = await h.call("GET", url);
      expect(res.status, url).toBe(404);
      expect(res.json.type).toBe("error");
    }
  });
});
