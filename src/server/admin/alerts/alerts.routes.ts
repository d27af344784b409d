import { Type } from "typebox";
import { ALERT_EVENTS, type AlertChannel } from "../../../core/alerts.js";
import type { AlertRule, Delivery } from "../../../core/domain.js";
import { type AlertScope, createAlertRule, deleteAlertRule, getAlertRule, getDelivery, listAlertRules, listDeliveries, scopeOfRule, updateAlertRule } from "../../../services/alert-rules.js";
import type { ServiceDeps } from "../../../services/context.js";
import { type App, ctx } from "../../app.js";
import { Body, Id, Name, Nullable, PageOf, PageQueryProps, Query, idOf, pageRequest, toPage } from "../../http/schemas.js";

const Url = Type.String({ minLength: 8, maxLength: 2048, pattern: "^https?://" });
const ChannelSchema = Type.Union([
  Type.Object({ type: Type.Literal("webhook"), url: Url }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("slack"), url: Url }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("email"), to: Type.Array(Type.String({ minLength: 3, maxLength: 254, pattern: "^[^@\\s,]+@[^@\\s,]+$" }), { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
]);
const Channels = Type.Array(ChannelSchema, { minItems: 1, maxItems: 10 });
const Thresholds = Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { minItems: 1, maxItems: 10 });
const Events = Type.Array(Type.Union(ALERT_EVENTS.map((e) => Type.Literal(e))), { minItems: 1, maxItems: ALERT_EVENTS.length });
const ScopeSchema = Type.Union([
  Type.Object({ type: Type.Literal("organization") }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("workspace"), workspace_id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("api_key"), api_key_id: Id }, { additionalProperties: false }),
]);

const AlertRuleSchema = Type.Object({
  id: Type.String(), type: Type.Literal("alert_rule"), name: Type.String(), scope: Type.Record(Type.String(), Type.String()),
  thresholds: Type.Array(Type.Integer()), projected: Type.Boolean(), events: Type.Array(Type.String()),
  channels: Type.Array(Type.Record(Type.String(), Type.Unknown())), created_at: Type.String(), updated_at: Type.String(),
});

/** Slack incoming-webhook URLs are credentials: only their origin is shown. */
function maskSlackUrl(url: string): string {
  return `${new URL(url).origin}/…`;
}

function presentChannel(c: AlertChannel) {
  return c.type === "slack" ? { type: c.type, url: maskSlackUrl(c.url) } : c;
}

function presentRule(r: AlertRule) {
  return {
    id: r.id, type: "alert_rule" as const, name: r.name, scope: scopeOfRule(r) as Record<string, string>, thresholds: r.thresholds, projected: r.projected,
    events: r.events, channels: r.channels.map(presentChannel), created_at: r.created_at, updated_at: r.updated_at,
  };
}

const DeliverySchema = Type.Object({
  id: Type.String(), type: Type.Literal("alert_delivery"), rule_id: Nullable(Type.String()), event_type: Type.String(), notification_id: Type.String(),
  channel: Type.String(), target: Type.String(), status: Type.String(), attempts: Type.Array(Type.Object({ at: Type.String(), status: Nullable(Type.Integer()), error: Nullable(Type.String()) })),
  next_attempt_at: Nullable(Type.String()), payload: Type.Unknown(), created_at: Type.String(), updated_at: Type.String(),
});

function presentDelivery(d: Delivery) {
  return {
    id: d.id, type: "alert_delivery" as const, rule_id: d.rule_id, event_type: d.event_type, notification_id: d.notification_id, channel: d.channel,
    target: d.channel === "slack" ? maskSlackUrl(d.target) : d.target, status: d.status, attempts: d.attempts, next_attempt_at: d.next_attempt_at,
    payload: JSON.parse(d.payload) as unknown, created_at: d.created_at, updated_at: d.updated_at,
  };
}

const Params = Type.Object({ alert_rule_id: Id });

export function registerAlertRoutes(app: App, deps: ServiceDeps): void {
  app.post("/v1/organizations/alert_rules", {
    config: { access: "alerts:write" },
    schema: {
      tags: ["alerts"],
      body: Body({ name: Name, scope: ScopeSchema, thresholds: Type.Optional(Thresholds), projected: Type.Optional(Type.Boolean()), events: Type.Optional(Events), channels: Channels }),
      response: { 201: Type.Intersect([AlertRuleSchema, Type.Object({ webhook_secret: Nullable(Type.String()) })]) },
    },
  }, async (request, reply) => {
    const { rule, webhookSecret } = await createAlertRule(deps, ctx(request), { ...request.body, scope: request.body.scope as AlertScope, channels: request.body.channels as AlertChannel[] });
    return reply.code(201).send({ ...presentRule(rule), webhook_secret: webhookSecret });
  });
  app.get("/v1/organizations/alert_rules", {
    config: { access: "alerts:read" },
    schema: { tags: ["alerts"], querystring: Query(PageQueryProps), response: { 200: PageOf(AlertRuleSchema) } },
  }, async (request) => toPage(await listAlertRules(deps, ctx(request), pageRequest(request.query)), presentRule, idOf));
  app.get("/v1/organizations/alert_rules/:alert_rule_id", {
    config: { access: "alerts:read" },
    schema: { tags: ["alerts"], params: Params, response: { 200: AlertRuleSchema } },
  }, async (request) => presentRule(await getAlertRule(deps, ctx(request), request.params.alert_rule_id)));
  app.post("/v1/organizations/alert_rules/:alert_rule_id", {
    config: { access: "alerts:write" },
    schema: {
      tags: ["alerts"], params: Params,
      body: Body({ name: Type.Optional(Name), thresholds: Type.Optional(Thresholds), projected: Type.Optional(Type.Boolean()), events: Type.Optional(Events), channels: Type.Optional(Channels) }),
      response: { 200: AlertRuleSchema },
    },
  }, async (request) => {
    const b = request.body;
    return presentRule(await updateAlertRule(deps, ctx(request), request.params.alert_rule_id, { ...b, ...(b.channels ? { channels: b.channels as AlertChannel[] } : {}) }));
  });
  app.delete("/v1/organizations/alert_rules/:alert_rule_id", {
    config: { access: "alerts:write" },
    schema: { tags: ["alerts"], params: Params, response: { 200: Type.Object({ id: Type.String(), type: Type.Literal("alert_rule_deleted") }) } },
  }, async (request) => deleteAlertRule(deps, ctx(request), request.params.alert_rule_id));
  app.get("/v1/organizations/alert_deliveries", {
    config: { access: "alerts:read" },
    schema: {
      tags: ["alerts"],
      querystring: Query({ ...PageQueryProps, rule_id: Type.Optional(Id), status: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")])), event_type: Type.Optional(Type.String({ maxLength: 64 })) }),
      response: { 200: PageOf(DeliverySchema) },
    },
  }, async (request) => {
    const q = request.query;
    return toPage(await listDeliveries(deps, ctx(request), { ruleId: q.rule_id, status: q.status, eventType: q.event_type }, pageRequest(q)), presentDelivery, idOf);
  });
  app.get("/v1/organizations/alert_deliveries/:delivery_id", {
    config: { access: "alerts:read" },
    schema: { tags: ["alerts"], params: Type.Object({ delivery_id: Id }), response: { 200: DeliverySchema } },
  }, async (request) => presentDelivery(await getDelivery(deps, ctx(request), request.params.delivery_id)));
}
