#!/usr/bin/env node
import { createWriteStream } from "node:fs";
import { Command } from "commander";
import { exportAuditJsonl, verifyAuditChain } from "../services/audit.js";
import { bootstrap } from "../services/organization.js";
import { compose, openStore } from "../server/compose.js";
import { ConfigError, loadConfig } from "../server/config.js";
import { serve } from "../server/main.js";
import { parseDuration } from "./duration.js";
import { AdminApiError, adminCall, adminTarget } from "./http.js";

const program = new Command();
program.name("gatehouse").description("Access-management gateway for the Claude API").version("0.1.0");

function fail(err: unknown): never {
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ConfigError || (err instanceof AdminApiError && err.status === 0) ? 2 : 1);
}

program.command("serve").description("start the gateway (data plane, admin API, operations)").action(async () => {
  try {
    await serve(process.env);
  } catch (err) {
    fail(err);
  }
});

program.command("migrate").description("apply database migrations and exit").action(async () => {
  try {
    const store = await openStore(loadConfig(process.env));
    await store.close();
    process.stdout.write("migrations applied\n");
  } catch (err) {
    fail(err);
  }
});

program.command("bootstrap")
  .description("create the organization (if none exists) and a new admin key; needs local database access")
  .option("--json", "print one JSON object")
  .option("--org-name <name>", "name of the organization when it is created", "Gatehouse")
  .option("--key-name <name>", "name of the admin key", "bootstrap-admin-key")
  .action(async (opts: { json?: boolean; orgName: string; keyName: string }) => {
    try {
      const deps = await compose(loadConfig(process.env));
      const result = await bootstrap(deps, { organizationName: opts.orgName, keyName: opts.keyName });
      await deps.store.close();
      if (opts.json) process.stdout.write(JSON.stringify(result) + "\n");
      else process.stdout.write(`organization: ${result.organization_id}${result.organization_created ? " (created)" : ""}\nadmin key id: ${result.admin_key_id}\nadmin key (shown once): ${result.admin_key}\n`);
    } catch (err) {
      fail(err);
    }
  });

const audit = program.command("audit").description("audit log tools");
audit.command("verify").description("check the audit hash chain; exits 1 on any edit, deletion, insertion or reordering").action(async () => {
  try {
    const store = await openStore(loadConfig(process.env));
    const verdict = await verifyAuditChain(store);
    await store.close();
    if (verdict.ok) {
      process.stdout.write(`audit chain ok: ${verdict.count} events, head ${verdict.headSeq} ${verdict.headHash}\n`);
    } else {
      process.stderr.write(`audit chain BROKEN at seq ${verdict.badSeq ?? "?"}: ${verdict.reason}\n`);
      process.exit(1);
    }
  } catch (err) {
    fail(err);
  }
});
audit.command("export").description("write every audit event, one JSON object per line")
  .option("--format <format>", "jsonl", "jsonl")
  .option("--output <file>", "file to write (default: standard output)")
  .action(async (opts: { format: string; output?: string }) => {
    try {
      if (opts.format !== "jsonl") throw new Error(`unknown format ${JSON.stringify(opts.format)}; supported: jsonl`);
      const store = await openStore(loadConfig(process.env));
      const out: NodeJS.WritableStream = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : process.stdout;
      for await (const line of exportAuditJsonl(store)) {
        if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
      }
      if (opts.output) await new Promise<void>((r) => out.end(() => r()));
      await store.close();
    } catch (err) {
      fail(err);
    }
  });

interface KeyObject {
  id: string; name: string; workspace_id: string; status: string; created_at: string; expires_at: string | null;
  rotation_status?: string; rotation_due_at?: string; rotated_to: string | null; partial_key_hint: string;
}

const keys = program.command("keys").description("API keys, through a running gateway's admin API (audited as the admin key)")
  .option("--url <url>", "gateway URL (default: GATEHOUSE_URL or http://127.0.0.1:8787)")
  .option("--admin-key <key>", "admin key (default: GATEHOUSE_ADMIN_KEY)");

keys.command("rotate <api_key_id>")
  .description("roll a key: the new key works at once, the old one until the grace period ends")
  .option("--grace <duration>", "how long the old key keeps working: 0, 90s, 30m, 24h, 7d", "24h")
  .option("--json", "print the new key object (with its secret) as JSON")
  .action(async (id: string, opts: { grace: string; json?: boolean }) => {
    try {
      const grace = parseDuration(opts.grace);
      if (grace === null) throw new ConfigError(`--grace ${JSON.stringify(opts.grace)} is not a duration (e.g. 0, 30m, 24h, 7d)`);
      const next = await adminCall<KeyObject & { secret: string; previous_key: KeyObject }>(adminTarget(keys.opts(), process.env), "POST", `/v1/organizations/api_keys/${encodeURIComponent(id)}/rotate`, { grace_period_seconds: grace });
      if (opts.json) process.stdout.write(JSON.stringify(next) + "\n");
      else process.stdout.write(`new key: ${next.id} (${next.name})\nsecret (shown once): ${next.secret}\nold key ${id} works until ${next.previous_key.expires_at}\n`);
    } catch (err) {
      fail(err);
    }
  });

keys.command("list")
  .description("list API keys with their rotation status")
  .option("--overdue", "only keys past their workspace's rotation policy")
  .option("--workspace <id>", "only keys of this workspace")
  .option("--json", "one JSON object per line")
  .action(async (opts: { overdue?: boolean; workspace?: string; json?: boolean }) => {
    try {
      const target = adminTarget(keys.opts(), process.env);
      const all: KeyObject[] = [];
      let after: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const q = new URLSearchParams({ limit: "1000", ...(after ? { after_id: after } : {}), ...(opts.workspace ? { workspace_id: opts.workspace } : {}), ...(opts.overdue ? { status: "active" } : {}) });
        const res: { data: KeyObject[]; has_more: boolean; last_id: string | null } = await adminCall(target, "GET", `/v1/organizations/api_keys?${q.toString()}`);
        all.push(...res.data);
        if (!res.has_more || res.last_id === null) break;
        after = res.last_id;
      }
      const shown = opts.overdue ? all.filter((k) => k.rotation_status === "overdue" && k.rotated_to === null) : all;
      if (opts.json) for (const k of shown) process.stdout.write(JSON.stringify(k) + "\n");
      else {
        process.stdout.write(`${"ID".padEnd(30)} ${"NAME".padEnd(32)} ${"STATUS".padEnd(9)} ${"ROTATION".padEnd(9)} DUE\n`);
        for (const k of shown) process.stdout.write(`${k.id.padEnd(30)} ${k.name.slice(0, 32).padEnd(32)} ${k.status.padEnd(9)} ${(k.rotation_status ?? "").padEnd(9)} ${k.rotation_due_at ?? ""}\n`);
      }
      if (opts.overdue && shown.length > 0) process.exitCode = 3;
    } catch (err) {
      fail(err);
    }
  });

await program.parseAsync(process.argv);
