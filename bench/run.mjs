// Benchmark: a mock upstream, a bare pass-through proxy (the baseline) and Gatehouse with full
// enforcement (key auth, RBAC, rate buckets and spend reservations at key/workspace/org, durable
// ledger), all on 127.0.0.1, measured in the same run. Prints ratios against the baseline.
//   npm run bench                 (BENCH_SECONDS per cell, default 3)
//   BENCH_TASKS=1 npm run bench   also prints each thread's CPU µs per request (main, ledger, GC helpers)
//   BENCH_MODES (default json,stream), BENCH_CONCURRENCY (default 1,16,64): which cells to run
//   BENCH_ROUNDS (default 3): each cell alternates bare and Gatehouse this many times, so that a
//   machine whose speed drifts during the run affects both sides alike
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Pool } from "undici";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Math.min(20, Number(process.env.BENCH_ROUNDS ?? 3)));
const MODES = (process.env.BENCH_MODES ?? "json,stream").split(",").filter((m) => m === "json" || m === "stream");
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number);
const MAX_REQUESTS_PER_CELL = 200_000;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const root = resolve(new URL("..", import.meta.url).pathname);
const children = [];

function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function startJsonProcess(file, env) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) res({ child, url: JSON.parse(line).url });
    });
    child.on("exit", (code) => rej(new Error(`${file} exited ${code}`)));
  });
}

async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("gatehouse did not become healthy");
}

function taskCpu(pid) {
  const out = {};
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const name = raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")"));
      const f = raw.split(") ")[1].split(" ");
      out[`${t}:${name}`] = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

async function cell(url, pid, headers, body, concurrency, seconds) {
  const pool = new Pool(url, { connections: concurrency, keepAliveTimeout: 30_000 });
  const latencies = [];
  let errors = 0;
  const run = async (deadline, record) => {
    while (Date.now() < deadline && latencies.length < MAX_REQUESTS_PER_CELL) {
      const t0 = process.hrtime.bigint();
      const r = await pool.request({ path: "/v1/messages", method: "POST", headers, body });
      await r.body.text();
      if (r.statusCode !== 200) errors++;
      if (record) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  // Warm-up: connections, JIT, caches.
  await Promise.all(Array.from({ length: concurrency }, () => run(Date.now() + 500, false)));
  const cpu0 = cpuSeconds(pid);
  const tasks0 = taskCpu(pid);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, () => run(Date.now() + seconds * 1000, true)));
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const tasks1 = taskCpu(pid);
  const per = Object.entries(tasks1).map(([k, v]) => [k, v - (tasks0[k] ?? 0)]).filter(([, v]) => v > 0.01).map(([k, v]) => `${k}=${(v / latencies.length * 1e6).toFixed(0)}`).join(" ");
  if (process.env.BENCH_TASKS) process.stderr.write(`  tasks µs/req: ${per}\n`);
  await pool.close();
  return { latencies, elapsed, cpu, errors };
}

/** Combines the rounds of one side of a cell. */
function merge(samples) {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const elapsed = samples.reduce((t, s) => t + s.elapsed, 0);
  const cpu = samples.reduce((t, s) => t + s.cpu, 0);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors: samples.reduce((t, s) => t + s.errors, 0), cpuUsPerReq: (cpu * 1e6) / latencies.length, n: latencies.length };
}

async function main() {
  const upstream = await startJsonProcess(join(root, "bench/upstream.mjs"), {});
  const bare = await startJsonProcess(join(root, "bench/bare-proxy.mjs"), { UPSTREAM_URL: upstream.url });
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-bench-"));
  const port = await freePort();
  const env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port), GATEHOUSE_UPSTREAM_URL: upstream.url, ANTHROPIC_API_KEY: "sk-ant-api03-bench", GATEHOUSE_LOG_LEVEL: "warn" };
  const cli = join(root, "dist/cli/main.js");
  // Gatehouse runs with the Node flags of `npm start` (package.json), as it would be deployed.
  const startFlags = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.start.split(" ").filter((a) => a.startsWith("--"));
  const nodeArgs = [...startFlags, ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])];
  const gh = spawn(process.execPath, [...nodeArgs, cli, "serve"], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
  children.push(gh);
  const ghUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(ghUrl);
  const boot = JSON.parse(execFileSync(process.execPath, [cli, "bootstrap", "--json"], { env: { ...process.env, ...env } }).toString());
  const admin = async (path, body) => {
    const r = await fetch(`${ghUrl}/v1/organizations${path}`, { method: "POST", headers: { "x-api-key": boot.admin_key, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const ws = await admin("/workspaces", { name: "Production", environment: "production" });
  const key = await admin("/api_keys", { name: "benchmark-service-production", workspace_id: ws.id, tier: 4 });
  const big = 1_000_000_000;
  const limits = [{ type: "requests_per_minute", value: big }, { type: "input_tokens_per_minute", value: big }, { type: "output_tokens_per_minute", value: big }];
  await admin("/rate_limits", { limits });
  await admin(`/workspaces/${ws.id}/rate_limits/rl_messages`, { limits });
  await admin(`/api_keys/${key.id}/rate_limits/rl_messages`, { limits });
  for (const scope of [{ type: "organization" }, { type: "workspace", workspace_id: ws.id }, { type: "api_key", api_key_id: key.id }]) {
    await admin("/spend_limits", { scope, amount: "10000000000", period: "monthly" });
  }

  const rows = [];
  for (const stream of MODES.map((m) => m === "stream")) {
    const body = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, stream, messages: [{ role: "user", content: "Say hello in one word." }] });
    for (const c of CONCURRENCY) {
      const bareRounds = [];
      const ghRounds = [];
      for (let r = 0; r < ROUNDS; r++) {
        bareRounds.push(await cell(bare.url, bare.child.pid, { "content-type": "application/json", "x-api-key": "unused", "anthropic-version": "2023-06-01" }, body, c, SECONDS / ROUNDS));
        ghRounds.push(await cell(ghUrl, gh.pid, { "content-type": "application/json", "x-api-key": key.secret, "anthropic-version": "2023-06-01" }, body, c, SECONDS / ROUNDS));
      }
      const base = merge(bareRounds);
      const g = merge(ghRounds);
      rows.push({ mode: stream ? "stream" : "json", c, base, g });
      process.stderr.write(`${stream ? "stream" : "json"} c=${c}: bare ${base.rps.toFixed(0)} req/s, gatehouse ${g.rps.toFixed(0)} req/s\n`);
    }
  }
  const f = (x, d = 2) => x.toFixed(d);
  console.log(`\nGatehouse vs bare pass-through proxy, ${SECONDS}s per cell in ${ROUNDS} alternating rounds, same machine and run (2 cores shared by load generator, proxy and upstream)\n`);
  console.log("| mode | conc | bare req/s | gatehouse req/s | throughput ratio | bare p50 ms | gatehouse p50 ms | added p50 ms | bare p99 ms | gatehouse p99 ms | bare CPU µs/req | gatehouse CPU µs/req | CPU ratio | errors |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.mode} | ${r.c} | ${f(r.base.rps, 0)} | ${f(r.g.rps, 0)} | ${f(r.g.rps / r.base.rps)} | ${f(r.base.p50, 3)} | ${f(r.g.p50, 3)} | ${f(r.g.p50 - r.base.p50, 3)} | ${f(r.base.p99, 3)} | ${f(r.g.p99, 3)} | ${f(r.base.cpuUsPerReq, 0)} | ${f(r.g.cpuUsPerReq, 0)} | ${f(r.g.cpuUsPerReq / r.base.cpuUsPerReq)} | ${r.base.errors + r.g.errors} |`);
  }
  // Capacity: the best req/s each side reached at any concurrency of the run.
  for (const mode of new Set(rows.map((r) => r.mode))) {
    const cells = rows.filter((r) => r.mode === mode);
    const bareBest = Math.max(...cells.map((r) => r.base.rps));
    const ghBest = Math.max(...cells.map((r) => r.g.rps));
    console.log(`\npeak throughput, ${mode}: bare ${f(bareBest, 0)} req/s, gatehouse ${f(ghBest, 0)} req/s, ratio ${f(ghBest / bareBest)}`);
  }
  const ledger = await fetch(`${ghUrl}/v1/organizations/api_keys/${key.id}`, { headers: { "x-api-key": boot.admin_key } }).then((r) => r.json());
  console.log(`\nledger check: the benchmark key's month-to-date spend is ${ledger.spend.month_to_date_spend} cents`);
  for (const c of children) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  for (const c of children) c.kill("SIGKILL");
  console.error(err);
  process.exit(1);
});
