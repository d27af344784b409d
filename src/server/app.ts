import swagger from "@fastify/swagger";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Logger } from "pino";
import { DomainError, forbidden } from "../core/errors.js";
import { idBody } from "../core/ids.js";
import { type Permission, type Principal, holdsAnywhere } from "../core/rbac.js";
import { authenticateAdmin } from "../services/auth.js";
import { authenticateScim } from "../services/scim.js";
import { registerAlertRoutes } from "./admin/alerts/alerts.routes.js";
import { registerIncreaseRequestRoutes } from "./admin/increase-requests/increase-requests.routes.js";
import { registerScimTokenRoutes } from "./admin/scim-tokens/scim-tokens.routes.js";
import { registerScimRoutes } from "./scim/scim.routes.js";
import type { Ctx, ServiceDeps } from "../services/context.js";
import { registerAdminKeyRoutes } from "./admin/admin-keys/admin-keys.routes.js";
import { registerApiKeyRoutes } from "./admin/api-keys/api-keys.routes.js";
import { registerAuditRoutes } from "./admin/audit/audit.routes.js";
import { registerInviteRoutes } from "./admin/invites/invites.routes.js";
import { registerMemberRoutes } from "./admin/members/members.routes.js";
import { registerOrganizationRoutes } from "./admin/organization/organization.routes.js";
import { registerUserRoutes } from "./admin/users/users.routes.js";
import { registerWorkspaceRoutes } from "./admin/workspaces/workspaces.routes.js";
import { registerRateLimitRoutes } from "./admin/rate-limits/rate-limits.routes.js";
import { registerReportRoutes } from "./admin/reports/reports.routes.js";
import { registerSpendLimitRoutes } from "./admin/spend-limits/spend-limits.routes.js";
import { registerUpstreamCredentialRoutes } from "./admin/upstream-credentials/upstream-credentials.routes.js";
import { type GatewayRoutesOptions, registerGatewayRoutes } from "./gateway/gateway.routes.js";
import { registerJsonParser } from "./http/body.js";
import { requestMeta } from "./http/meta.js";
import { sendError } from "./http/errors.js";
import { parseQuery } from "./http/query.js";
import { registerOperationsRoutes } from "./operations.routes.js";
import { validatorCompiler } from "./validation.js";

/**
 * Who may call a route: a permission of the catalog (admin credential), `public` (no credential),
 * `inference` (a workspace API key, checked by the data plane itself) or `scim` (a SCIM token).
 */
export type RouteAccess = Permission | "public" | "inference" | "scim";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface AppOptions {
  deps: ServiceDeps;
  /** The data plane; absent in tests of the admin API alone. */
  gateway?: GatewayRoutesOptions;
  /** A pino logger for requests; none in tests. */
  logger?: Logger;
  adminBodyLimitBytes?: number;
  /** See Config.trustProxy. */
  trustProxy?: boolean | string[];
}

export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess | undefined;
}

export { requestMeta };

/** The request context of an authenticated route. */
export function ctx(request: FastifyRequest): Ctx {
  if (!request.principal) throw new DomainError("authentication_failed", "authentication required");
  return { ...requestMeta(request), principal: request.principal };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/**
 * Builds the HTTP application: admin API, operations routes and OpenAPI. Tests call this in process.
 * Every route declares its access in `config.access`; a route without one is refused (deny by default).
 */
export async function buildApp(options: AppOptions): Promise<{ app: App; routes: RouteInfo[] }> {
  const { deps } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as unknown as FastifyBaseLogger } : { logger: false }),
    bodyLimit: options.adminBodyLimitBytes ?? 1024 * 1024,
    genReqId: () => `req_${idBody()}`,
    routerOptions: { querystringParser: parseQuery },
    trustProxy: options.trustProxy ?? false,
    ajv: {},
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler());
  registerJsonParser(app as unknown as FastifyInstance);
  app.decorateRequest("principal", null);

  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) if (m !== "HEAD") routes.push({ method: m, url: route.url, access: route.config?.access });
  });

  app.addHook("onRequest", (request, reply, done) => {
    reply.header("request-id", request.id);
    const access = request.routeOptions.config.access;
    // The data plane and public routes authenticate themselves: no promise on their hot path.
    if (request.is404 || access === "public" || access === "inference") return done();
    authorizeRoute(request, access).then(() => done(), done);
  });

  const authorizeRoute = async (request: FastifyRequest, access: Exclude<RouteAccess, "public" | "inference"> | undefined): Promise<void> => {
    if (access === undefined) throw forbidden("(undeclared route)");
    if (access === "scim") {
      request.principal = await authenticateScim(deps, header(request, "authorization"), requestMeta(request));
      return;
    }
    const principal = await authenticateAdmin(deps, { xApiKey: header(request, "x-api-key"), authorization: header(request, "authorization") }, requestMeta(request));
    if (!holdsAnywhere(principal, access)) throw forbidden(access);
    request.principal = principal;
  };

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new DomainError("not_found", `no route for ${request.method} ${request.url.split("?")[0] ?? ""}`)));

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Gatehouse admin API", version: "1", description: "Anthropic-compatible admin API of the Gatehouse gateway." },
      components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "x-api-key" }, bearer: { type: "http", scheme: "bearer" } } },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });

  registerOperationsRoutes(app, deps, options.gateway?.metrics);
  registerOrganizationRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerInviteRoutes(app, deps);
  registerWorkspaceRoutes(app, deps);
  registerMemberRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerAdminKeyRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerSpendLimitRoutes(app, deps);
  registerRateLimitRoutes(app, deps);
  registerUpstreamCredentialRoutes(app, deps);
  registerReportRoutes(app, deps);
  registerAlertRoutes(app, deps);
  registerScimTokenRoutes(app, deps);
  registerIncreaseRequestRoutes(app, deps);
  registerScimRoutes(app, deps);
  if (options.gateway) await registerGatewayRoutes(app as unknown as FastifyInstance, options.gateway);
  app.get("/openapi.json", { config: { access: "public" }, schema: { hide: true } }, async () => app.swagger());

  await app.ready();
  return { app, routes };
}
