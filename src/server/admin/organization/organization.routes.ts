import { Type } from "typebox";
import { getOrganization, getSettings, updateSettings } from "../../../services/organization.js";
import { Body, Id, Nullable, SpendSchema } from "../../http/schemas.js";
import { monthToDate, presentMonthToDate } from "../../../services/spend-limits.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";

export const OrganizationSchema = Type.Object({ id: Type.String(), type: Type.Literal("organization"), name: Type.String(), spend: Type.Optional(SpendSchema) });

export function registerOrganizationRoutes(app: App, deps: ServiceDeps): void {
  app.get("/v1/organizations/me", {
    config: { access: "organization:read" },
    schema: { tags: ["organization"], response: { 200: OrganizationSchema } },
  }, async (request) => {
    const c = ctx(request);
    const org = await getOrganization(deps, c);
    const spend = await monthToDate(deps, org.id, "organization", [org.id]);
    return { id: org.id, type: "organization" as const, name: org.name, spend: presentMonthToDate(spend.get(org.id)) };
  });
  const Offboarding = Type.Object({ api_keys: Type.Union([Type.Literal("revoke"), Type.Literal("transfer")]), transfer_to_user_id: Nullable(Id) }, { additionalProperties: false });
  const SettingsSchema = Type.Object({ type: Type.Literal("organization_settings"), unpriced_models: Type.String(), offboarding: Offboarding });
  app.get("/v1/organizations/settings", {
    config: { access: "organization:read" },
    schema: { tags: ["organization"], response: { 200: SettingsSchema } },
  }, async (request) => ({ type: "organization_settings" as const, ...(await getSettings(deps, ctx(request))) }));
  app.post("/v1/organizations/settings", {
    config: { access: "organization:write" },
    schema: { tags: ["organization"], body: Body({ unpriced_models: Type.Optional(Type.Union([Type.Literal("fallback"), Type.Literal("refuse")])), offboarding: Type.Optional(Offboarding) }), response: { 200: SettingsSchema } },
  }, async (request) => ({ type: "organization_settings" as const, ...(await updateSettings(deps, ctx(request), request.body)) }));
}
