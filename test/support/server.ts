import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve } from "../../src/server/main.js";

export const CLI = resolve("dist/cli/main.js");

/** Runs the built CLI with the given environment; resolves with its output and exit code. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`gatehouse ${args.join(" ")} timed out`)); }, timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolvePromise({ code: code ?? -1, stdout, stderr }); });
  });
}

export interface RunningServer {
  url: string;
  env: Record<string, string>;
  dataDir: string;
  stop: () => Promise<void>;
}

/** Starts the real server (same code as `gatehouse serve`) on a free loopback port and a fresh data dir. */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  const env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: "0", GATEHOUSE_HOST: "127.0.0.1", GATEHOUSE_LOG_LEVEL: "error", ...extraEnv };
  const server = await serve(env);
  return {
    url: server.url,
    env,
    dataDir,
    stop: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
