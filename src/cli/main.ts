#!/usr/bin/env node
import { createWriteStream } from "node:fs";
import { Command } from "commander";
import { exportAuditJsonl, verifyAuditChain } from "../services/audit.js";
import { bootstrap } from "../services/organization.js";
import { compose, openStore } from "../server/compose.js";
import { ConfigError, loadConfig } from "../server/config.js";
import { serve } from "../server/main.js";

const program = new Command();
program.name("gatehouse").description("Access-management gateway for the Claude API").version("0.1.0");

function fail(err: unknown): never {
  process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
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

await program.parseAsync(process.argv);
