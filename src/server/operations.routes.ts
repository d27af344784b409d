import type { ServiceDeps } from "../services/context.js";
import type { App } from "./app.js";

/** `/healthz` (process up) and `/readyz` (storage answers). */
export function registerOperationsRoutes(app: App, deps: ServiceDeps): void {
  app.get("/healthz", { config: { access: "public" }, schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { config: { access: "public" }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.store.audit.head();
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "unavailable" });
    }
  });
}
