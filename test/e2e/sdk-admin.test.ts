/**
 * The official SDK (1.x) admin client, unmodified, against the real server: the seed structure
 * (organization → Production / Staging / Development → descriptively named keys), pagination
 * helpers and error classes.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runCli, startServer } from "../support/server.js";

describe("official SDK admin client against a running gateway", () => {
  let server: RunningServer;
  let adminKey: string;
  let orgId: string;
  let client: Anthropic;

  beforeAll(async () => {
    server = await startServer();
    // Bootstrap runs beside the running server, on the same database: the key works at once.
    const boot = await runCli(["bootstrap", "--json"], server.env);
    expect(boot.code, boot.stderr).toBe(0);
    const parsed = JSON.parse(boot.stdout);
    adminKey = parsed.admin_key;
    orgId = parsed.organization_id;
    client = new Anthropic({ apiKey: adminKey, baseURL: server.url, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => server.stop());

  it("retrieves the organization", async () => {
    expect(await client.beta.organization.retrieve()).toMatchObject({ id: orgId, type: "organization", name: "Gatehouse", spend: { month_to_date_spend: "0", monthly_limit: null } });
  });

  it("builds the seed structure and pages through it with the SDK's helpers", async () => {
    const org = client.beta.organization;
    const envs = ["production", "staging", "development"] as const;
    const workspaces: Record<string, string> = {};
    for (const env of envs) {
      // `environment` is Gatehouse's extension; the SDK forwards unknown body fields as given.
      const ws = await org.workspaces.create({ name: env[0]!.toUpperCase() + env.slice(1), environment: env } as any);
      expect(ws).toMatchObject({ type: "workspace", archived_at: null });
      workspaces[env] = ws.id;
    }
    const keys: string[] = [];
    for (const env of envs) {
      for (const service of ["billing-service", "search-indexer"]) {
        const res = await fetch(`${server.url}/v1/organizations/api_keys`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
          body: JSON.stringify({ name: `${service}-${env}`, workspace_id: workspaces[env] }),
        });
        expect(res.status).toBe(201);
        const key = (await res.json()) as { id: string; secret: string };
        expect(key.secret).toMatch(new RegExp(`^gth_${env === "production" ? "prod" : env === "staging" ? "stg" : "dev"}_`));
        keys.push(key.id);
      }
    }
    const listed: string[] = [];
    for await (const k of org.apiKeys.list({ limit: 2 })) listed.push(k.id);
    expect(listed).toEqual(keys);
    const prod: string[] = [];
    for await (const k of org.apiKeys.list({ workspace_id: workspaces.production!, limit: 1 })) prod.push(k.id);
    expect(prod).toHaveLength(2);
    const firstPage = await org.apiKeys.list({ limit: 4 });
    expect(firstPage.data).toHaveLength(4);
    expect(firstPage.hasNextPage()).toBe(true);
    const second = await firstPage.getNextPage();
    expect(second.data.map((k) => k.id)).toEqual(keys.slice(4));
    expect(second.hasNextPage()).toBe(false);
    const wsIds: string[] = [];
    for await (const w of org.workspaces.list({ limit: 1 })) wsIds.push(w.id);
    expect(wsIds).toEqual(Object.values(workspaces));

    const key = await org.apiKeys.retrieve(keys[0]!);
    expect(key).toMatchObject({ type: "api_key", status: "active", scope: { type: "workspace", workspace_id: workspaces.production } });
    expect((key as any).workspace_id).toBe(workspaces.production);
    expect(JSON.stringify(key)).not.toContain("secret");
    const updated = await org.apiKeys.update(keys[0]!, { name: "billing-service-production-eu", status: "inactive" });
    expect(updated).toMatchObject({ name: "billing-service-production-eu", status: "inactive" });
    const inactive: string[] = [];
    for await (const k of org.apiKeys.list({ status: "inactive" })) inactive.push(k.id);
    expect(inactive).toEqual([keys[0]]);

    const archived = await org.workspaces.archive(workspaces.development!);
    expect(archived.archived_at).not.toBeNull();
    const devKeys = await org.apiKeys.list({ workspace_id: workspaces.development! });
    expect(devKeys.data.map((k) => k.status)).toEqual(["archived", "archived"]);
    const visible: string[] = [];
    for await (const w of org.workspaces.list()) visible.push(w.id);
    expect(visible).not.toContain(workspaces.development);
    const all: string[] = [];
    for await (const w of org.workspaces.list({ include_archived: true })) all.push(w.id);
    expect(all).toContain(workspaces.development);
    expect((await org.workspaces.update(workspaces.staging!, { name: "Staging EU" })).name).toBe("Staging EU");
    expect((await org.workspaces.retrieve(workspaces.staging!)).name).toBe("Staging EU");
  });

  it("manages users, invites and workspace members", async () => {
    const org = client.beta.organization;
    const created = await fetch(`${server.url}/v1/organizations/users`, {
      method: "POST",
      headers: { "x-api-key": adminKey, "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", name: "Ada", role: "developer" }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    expect((await org.users.retrieve(created.id)).email).toBe("ada@example.com");
    const byEmail = await org.users.list({ email: "ada@example.com" });
    expect(byEmail.data.map((u) => u.id)).toEqual([created.id]);
    const developers = await org.users.list({ roles: ["developer"] } as any);
    expect(developers.data.map((u) => u.id)).toEqual([created.id]);
    expect((await org.users.update(created.id, { role: "billing" })).role).toBe("billing");

    const invite = await org.invites.create({ email: "grace@example.com", role: "user" });
    expect(invite).toMatchObject({ type: "invite", status: "pending", email: "grace@example.com" });
    expect((await org.invites.retrieve(invite.id)).id).toBe(invite.id);
    const pending = await org.invites.list({ statuses: ["pending"] } as any);
    expect(pending.data.map((i) => i.id)).toContain(invite.id);
    await expect(org.invites.create({ email: "grace@example.com", role: "user" })).rejects.toMatchObject({ status: 400, errorCode: "invite_already_exists" });
    expect(await org.invites.delete(invite.id)).toEqual({ id: invite.id, type: "invite_deleted" });

    const ws = await org.workspaces.create({ name: "Research" });
    const member = await org.workspaces.members.add(ws.id, { user_id: created.id, workspace_role: "workspace_developer" });
    expect(member).toEqual({ type: "workspace_member", user_id: created.id, workspace_id: ws.id, workspace_role: "workspace_developer" });
    expect((await org.workspaces.members.retrieve(created.id, { workspace_id: ws.id })).workspace_role).toBe("workspace_developer");
    expect((await org.workspaces.members.update(created.id, { workspace_id: ws.id, workspace_role: "workspace_admin" })).workspace_role).toBe("workspace_admin");
    const members: string[] = [];
    for await (const m of org.workspaces.members.list(ws.id, { limit: 1 })) members.push(m.user_id);
    expect(members).toEqual([created.id]);
    expect(await org.workspaces.members.remove(created.id, { workspace_id: ws.id })).toEqual({ type: "workspace_member_deleted", user_id: created.id, workspace_id: ws.id });
    expect(await org.users.remove(created.id)).toEqual({ id: created.id, type: "user_deleted" });
  });

  it("surfaces Gatehouse errors as the SDK's error classes with request ids", async () => {
    const org = client.beta.organization;
    const notFound = await org.apiKeys.retrieve("apikey_0000000000000000000000").catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect((notFound as InstanceType<typeof Anthropic.NotFoundError>).requestID).toMatch(/^req_/);

    const anonymous = new Anthropic({ apiKey: "gth_adm_not-a-real-key", baseURL: server.url, maxRetries: 0 });
    await expect(anonymous.beta.organization.retrieve()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

    const auditorKey = await fetch(`${server.url}/v1/organizations/admin_keys`, {
      method: "POST", headers: { "x-api-key": adminKey, "content-type": "application/json" },
      body: JSON.stringify({ name: "security-review-reader", role: "auditor" }),
    }).then((r) => r.json() as Promise<{ secret: string }>);
    const auditor = new Anthropic({ apiKey: auditorKey.secret, baseURL: server.url, maxRetries: 0 });
    expect((await auditor.beta.organization.workspaces.list()).data.length).toBeGreaterThan(0);
    await expect(auditor.beta.organization.workspaces.create({ name: "Nope" })).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);

    const someKey = (await org.apiKeys.list({ limit: 1 })).data[0]!;
    const bad = await org.apiKeys.update(someKey.id, { name: "key-1" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as any).errorCode).toBe("name_not_descriptive");
  });

  it("CLI: audit verify passes on the live chain and export writes one JSON object per line", async () => {
    const verify = await runCli(["audit", "verify"], server.env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/audit chain ok: \d+ events/);
    const exported = await runCli(["audit", "export", "--format", "jsonl"], server.env);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(exported.stdout).not.toMatch(/gth_(prod|stg|dev|env|adm|scim)_\w{22}_\w{28}/);
    expect((await runCli(["audit", "export", "--format", "csv"], server.env)).code).not.toBe(0);
  });
});
