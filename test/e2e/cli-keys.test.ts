/** `gatehouse keys rotate` and `gatehouse keys list --overdue` against a running gateway. */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runCli, startServer } from "../support/server.js";

describe("gatehouse keys", () => {
  let server: RunningServer;
  let env: Record<string, string>;
  let keyId: string;

  beforeAll(async () => {
    server = await startServer({ GATEHOUSE_SCHEDULER: "off" });
    const boot = JSON.parse((await runCli(["bootstrap", "--json"], server.env)).stdout);
    env = { GATEHOUSE_URL: server.url, GATEHOUSE_ADMIN_KEY: boot.admin_key };
    const call = async (path: string, body: unknown) => (await (await fetch(`${server.url}${path}`, { method: "POST", headers: { "x-api-key": boot.admin_key, "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as any;
    const ws = await call("/v1/organizations/workspaces", { name: "Production", environment: "production", rotation_policy: { max_key_age_days: 90 } });
    keyId = (await call("/v1/organizations/api_keys", { name: "invoice-renderer-prod", workspace_id: ws.id })).id;
    await call("/v1/organizations/api_keys", { name: "fresh-service-prod", workspace_id: ws.id });
  }, 60_000);
  afterAll(async () => server.stop());

  it("list --overdue shows only keys past the rotation policy and exits 3 when there are any", async () => {
    const none = await runCli(["keys", "list", "--overdue"], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim().split("\n")).toHaveLength(1);
    // Age one key past 90 days (the API reports rotation status from created_at).
    const db = new Database(join(server.dataDir, "gatehouse.db"));
    db.prepare("update api_keys set created_at = ? where id = ?").run(new Date(Date.now() - 91 * 86_400_000).toISOString(), keyId);
    db.close();
    const overdue = await runCli(["keys", "list", "--overdue", "--json"], env);
    expect(overdue.code).toBe(3);
    const lines = overdue.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((k) => [k.id, k.rotation_status])).toEqual([[keyId, "overdue"]]);
    const all = await runCli(["keys", "list"], env);
    expect(all.stdout).toContain("fresh-service-prod");
  });

  it("rotate --grace 24h prints the new secret once; the old key is no longer overdue", async () => {
    const rotated = await runCli(["keys", "rotate", keyId, "--grace", "24h", "--json"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout);
    expect(next.secret).toMatch(/^gth_prod_/);
    expect(Date.parse(next.previous_key.expires_at) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect((await runCli(["keys", "list", "--overdue"], env)).code).toBe(0);
    const again = await runCli(["keys", "rotate", keyId], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already rotated");
    const badGrace = await runCli(["keys", "rotate", next.id, "--grace", "forever"], env);
    expect(badGrace.code).toBe(2);
    const noKey = await runCli(["keys", "list"], { GATEHOUSE_URL: server.url });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("GATEHOUSE_ADMIN_KEY");
  });
});
