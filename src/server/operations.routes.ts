import type { ServiceDeps } from "../services/context.js";
import type { App } from "./app.js";
import type { Metrics } from "./metrics.js";

/** `/healthz` (process up) and `/readyz` (storage answers). */
export function registerOperationsRoutes(app: App, deps: ServiceDeps, metrics?: Metrics): void {
  if (metrics) {
    app.get("/metrics", { config: { access: "public" }, schema: { hide: true } }, async (_request, reply) =>
      reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics()));
  }
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
