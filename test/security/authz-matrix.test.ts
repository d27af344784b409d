/**
 * Z1 / Z4: the route × principal × tenancy matrix. Every authenticated route of the router must
 * have an entry; each cell is replayed against a fresh object. Expected outcomes are written out
 * here, independent of the permission catalog, so a catalog change that widens access fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../support/databases.js";
import { type Org, PRINCIPALS, setupForeignOrg, setupOrg } from "../support/fixtures.js";
import { type Harness, createHarness } from "../support/harness.js";
import { type Cell, INFERENCE_ROUTES, MATRIX, PUBLIC_ROUTES, SCIM_ROUTES } from "../support/matrix.js";

describe.each(DIALECTS)("authorization matrix (Z1, Z4): %s", (dialect) => {
  let h: Harness;
  let own: Org;
  let foreign: Org;
  beforeAll(async () => {
    h = await createHarness(dialect, { dataPlane: { upstreamUrl: "http://127.0.0.1:9" } });
    own = await setupOrg(h);
    foreign = await setupForeignOrg(h);
  }, 120_000);
  afterAll(async () => h.close());

  it("every route of the router has a matrix entry or is declared public", async () => {
    const { buildApp } = await import("../../src/server/app.js");
    const { routes } = await buildApp({ deps: h.deps, gateway: h.dataPlane! });
    const names = routes.map((r) => `${r.method} ${r.url}`);
    const missing = names.filter((n) => !(n in MATRIX) && !PUBLIC_ROUTES.includes(n) && !INFERENCE_ROUTES.includes(n) && !SCIM_ROUTES.includes(n));
    expect(missing).toEqual([]);
    for (const r of routes) expect(r.access, `${r.method} ${r.url} declares no access`).toBeDefined();
    for (const n of PUBLIC_ROUTES) expect(routes.find((r) => `${r.method} ${r.url}` === n)?.access).toBe("public");
    for (const n of INFERENCE_ROUTES) expect(routes.find((r) => `${r.method} ${r.url}` === n)?.access).toBe("inference");
    for (const n of SCIM_ROUTES) expect(routes.find((r) => `${r.method} ${r.url}` === n)?.access).toBe("scim");
  });

  it("SCIM routes refuse every admin and API key, and SCIM tokens open no admin route", async () => {
    const token = (await h.call("POST", "/v1/organizations/scim_tokens", { name: "okta-matrix" }, own.adminKey)).json.secret as string;
    for (const p of PRINCIPALS) {
      const res = await h.app.inject({ method: "GET", url: "/scim/v2/Users", headers: own.keys[p] ? { authorization: `Bearer ${own.keys[p]}` } : {} });
      expect(res.statusCode, p).toBe(401);
      expect(JSON.parse(res.body).schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    }
    expect((await h.app.inject({ method: "GET", url: "/scim/v2/Users", headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect((await h.call("GET", "/v1/organizations/users", undefined, token)).status).toBe(401);
    expect((await h.call("GET", "/v1/organizations/me", undefined, token)).status).toBe(401);
  });

  it("own organization: 0 unexpected allows, 0 unexpected denies", async () => {
    const failures: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      for (const p of PRINCIPALS) {
        const cell = await entry.make(h, own);
        const res = await h.call(cell.method, cell.url, cell.body, own.keys[p]);
        const expected = p === "anonymous" || p === "api_key" ? [401] : entry.allow.includes(p) ? [200, 201] : [403];
        if (!expected.includes(res.status)) failures.push(`${route} as ${p}: ${res.status} (expected ${expected.join("/")}) ${res.raw.slice(0, 160)}`);
        if (res.status >= 400) {
          expect(res.json?.type).toBe("error");
          expect(res.json?.request_id).toBe(res.headers["request-id"]);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("another organization's objects: 404 for everyone who may use the route, never 2xx", async () => {
    const failures: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      if (!route.includes(":")) continue;
      for (const p of entry.allow) {
        const cell = await entry.make(h, foreign);
        const res = await h.call(cell.method, cell.url, cell.body, own.keys[p]);
        // A ws_* principal is refused at the route gate only when it holds the permission nowhere.
        if (res.status !== 404) failures.push(`${route} as ${p} on a foreign object: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("method swap: unknown (route, method) pairs are refused for every principal", async () => {
    const swaps: Cell[] = [
      { method: "PATCH", url: `/v1/organizations/workspaces/${own.wsA}` },
      { method: "PUT", url: `/v1/organizations/users` },
      { method: "DELETE", url: `/v1/organizations/workspaces/${own.wsA}` },
      { method: "DELETE", url: `/v1/organizations/api_keys` },
      { method: "PATCH", url: `/v1/organizations/audit_events` },
      { method: "DELETE", url: `/v1/organizations/audit_events` },
    ];
    for (const cell of swaps) {
      for (const p of PRINCIPALS) {
        const res = await h.call(cell.method, cell.url, {}, own.keys[p]);
        expect([401, 403, 404, 405], `${cell.method} ${cell.url} as ${p}`).toContain(res.status);
        expect(res.json?.type).toBe("error");
      }
    }
  });
});
