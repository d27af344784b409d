import { Type } from "typebox";
import type { AuditEvent } from "../../../core/audit.js";
import { listAuditEvents } from "../../../services/audit.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";
import { Nullable, PageOf, PageQueryProps, Query, Timestamp, idOf, pageRequest, toPage } from "../../http/schemas.js";

const AuditEventSchema = Type.Object({
  id: Type.String(), type: Type.Literal("audit_event"), seq: Type.Integer(), created_at: Type.String(),
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()), display: Nullable(Type.String()) }),
  action: Type.String(), target: Type.Object({ type: Type.String(), id: Nullable(Type.String()) }),
  workspace_id: Nullable(Type.String()), outcome: Type.Object({ result: Type.String(), reason: Nullable(Type.String()) }),
  request_id: Nullable(Type.String()), ip: Nullable(Type.String()), user_agent: Nullable(Type.String()),
  changes: Nullable(Type.Record(Type.String(), Type.Unknown())), prev_hash: Type.String(), hash: Type.String(),
});

function presentEvent(e: AuditEvent) {
  return {
    id: e.id, type: "audit_event" as const, seq: e.seq, created_at: e.ts,
    actor: { type: e.actor_type, id: e.actor_id, display: e.actor_display }, action: e.action,
    target: { type: e.target_type, id: e.target_id }, workspace_id: e.workspace_id,
    outcome: { result: e.outcome, reason: e.reason }, request_id: e.request_id, ip: e.ip, user_agent: e.user_agent,
    changes: e.changes === null ? null : (JSON.parse(e.changes) as Record<string, unknown>), prev_hash: e.prev_hash, hash: e.hash,
  };
}

const Filter = Type.Optional(Type.String({ maxLength: 128 }));

export function registerAuditRoutes(app: App, deps: ServiceDeps): void {
  app.get("/v1/organizations/audit_events", {
    config: { access: "audit:read" },
    schema: {
      tags: ["audit"],
      querystring: Query({
        ...PageQueryProps, actor_id: Filter, action: Filter, target_id: Filter, workspace_id: Filter,
        created_at: Type.Optional(Type.Object({ gte: Type.Optional(Timestamp), lt: Type.Optional(Timestamp) }, { additionalProperties: false })),
      }),
      response: { 200: PageOf(AuditEventSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const filter = { actorId: q.actor_id, action: q.action, targetId: q.target_id, workspaceId: q.workspace_id, from: q.created_at?.gte, to: q.created_at?.lt };
    return toPage(await listAuditEvents(deps, ctx(request), filter, pageRequest(q)), presentEvent, idOf);
  });
}
