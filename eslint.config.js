import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".gatehouse/**"] },
  js.configs.recommended,
  {
    files: ["bench/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", Buffer: "readonly", console: "readonly", setTimeout: "readonly", fetch: "readonly", URL: "readonly" } },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": ["error", { selector: "ExportDefaultDeclaration", message: "Use named exports." }],
    },
  },
  {
    files: ["test/**/*.ts", "src/**/*.test.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: ["*.config.js", "*.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/server/main.ts", "src/cli/**", "src/**/*.test.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through loadConfig() only." }],
    },
  },
  {
    // core is pure: no HTTP, SQL, Redis, file system or network modules.
    files: ["src/core/**/*.ts"],
    ignores: ["src/core/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:fs", "node:fs/*", "fs", "node:net", "net", "node:http", "http", "node:https", "https", "node:child_process", "node:dgram", "node:tls"], message: "core imports no I/O modules." },
          { group: ["kysely", "pg", "better-sqlite3", "ioredis", "fastify", "fastify/*", "@fastify/*", "undici", "pino"], message: "core imports no adapters." },
          { group: ["../storage/*", "../server/*", "../services/*", "../cli/*", "../jobs/*"], message: "core depends on nothing inside src." },
        ],
      }],
    },
  },
);
