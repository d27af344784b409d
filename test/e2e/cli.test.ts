import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/server.js";

describe("gatehouse CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
  const env = { GATEHOUSE_DATA_DIR: dir };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("migrate, bootstrap twice (one organization, two keys), audit verify", async () => {
    expect((await runCli(["migrate"], env)).stdout).toContain("migrations applied");
    const first = JSON.parse((await runCli(["bootstrap", "--json"], env)).stdout);
    const second = JSON.parse((await runCli(["bootstrap", "--json", "--key-name", "second-admin-key"], env)).stdout);
    expect(first.organization_created).toBe(true);
    expect(second.organization_created).toBe(false);
    expect(second.organization_id).toBe(first.organization_id);
    expect(second.admin_key).not.toBe(first.admin_key);
    const human = await runCli(["bootstrap"], env);
    expect(human.stdout).toMatch(/admin key \(shown once\): gth_adm_/);
    const verify = await runCli(["audit", "verify"], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("audit chain ok: 4 events");
  });

  it("audit verify exits 1 and names the seq when an event is edited", async () => {
    const db = new Database(join(dir, "gatehouse.db"));
    db.prepare("update audit_events set actor_display = 'someone else' where seq = 2").run();
    db.close();
    const verify = await runCli(["audit", "verify"], env);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/BROKEN at seq 2/);
  });

  it("configuration errors exit 2 with the variable's name", async () => {
    const bad = await runCli(["migrate"], { ...env, GATEHOUSE_DATABASE_URL: "postgres://u@127.0.0.1:1/x" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("GATEHOUSE_HASH_KEY");
    expect((await runCli(["serve"], { ...env, GATEHOUSE_PORT: "eighty" })).code).toBe(2);
  });
});
