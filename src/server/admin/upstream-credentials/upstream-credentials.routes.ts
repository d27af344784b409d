import { Type } from "typebox";
import type { UpstreamCredential } from "../../../core/domain.js";
import type { ServiceDeps } from "../../../services/context.js";
import { deleteUpstreamCredential, getUpstreamCredential, setUpstreamCredential } from "../../../services/upstream-credentials.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Nullable } from "../../http/schemas.js";

const CredentialSchema = Type.Object({
  type: Type.Literal("upstream_credential"), workspace_id: Nullable(Type.String()), configured: Type.Boolean(), hint: Nullable(Type.String()),
  created_at: Nullable(Type.String()), updated_at: Nullable(Type.String()),
});

function present(workspaceId: string | null, c: UpstreamCredential | null) {
  return { type: "upstream_credential" as const, workspace_id: workspaceId, configured: c !== null, hint: c?.hint ?? null, created_at: c?.created_at ?? null, updated_at: c?.updated_at ?? null };
}

const SetBody = Body({ api_key: Type.String({ minLength: 8, maxLength: 512, pattern: "^[\\x21-\\x7e]+$" }) });

/** Write-only upstream credentials: the organization's default and one per workspace. */
export function registerUpstreamCredentialRoutes(app: App, deps: ServiceDeps): void {
  const routes: [string, (p: Record<string, string>) => string | null, ReturnType<typeof Type.Object> | undefined][] = [
    ["/v1/organizations/upstream_credential", () => null, undefined],
    ["/v1/organizations/workspaces/:workspace_id/upstream_credential", (p) => p.workspace_id ?? null, Type.Object({ workspace_id: Id })],
  ];
  for (const [url, wsOf, params] of routes) {
    app.get(url, { config: { access: "upstream_credentials:read" }, schema: { tags: ["upstream credentials"], ...(params ? { params } : {}), response: { 200: CredentialSchema } } },
      async (request) => {
        const ws = wsOf(request.params as Record<string, string>);
        return present(ws, await getUpstreamCredential(deps, ctx(request), ws));
      });
    app.post(url, { config: { access: "upstream_credentials:write" }, schema: { tags: ["upstream credentials"], ...(params ? { params } : {}), body: SetBody, response: { 200: CredentialSchema } } },
      async (request) => {
        const ws = wsOf(request.params as Record<string, string>);
        return present(ws, await setUpstreamCredential(deps, ctx(request), ws, (request.body as { api_key: string }).api_key));
      });
    app.delete(url, { config: { access: "upstream_credentials:write" }, schema: { tags: ["upstream credentials"], ...(params ? { params } : {}), response: { 200: CredentialSchema } } },
      async (request) => {
        const ws = wsOf(request.params as Record<string, string>);
        await deleteUpstreamCredential(deps, ctx(request), ws);
        return present(ws, null);
      });
  }
}
