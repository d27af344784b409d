import { Type } from "typebox";
import { getOrganization } from "../../../services/organization.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";

export const OrganizationSchema = Type.Object({ id: Type.String(), type: Type.Literal("organization"), name: Type.String() });

export function registerOrganizationRoutes(app: App, deps: ServiceDeps): void {
  app.get("/v1/organizations/me", {
    config: { access: "organization:read" },
    schema: { tags: ["organization"], response: { 200: OrganizationSchema } },
  }, async (request) => {
    const org = await getOrganization(deps, ctx(request));
    return { id: org.id, type: "organization" as const, name: org.name };
  });
}
