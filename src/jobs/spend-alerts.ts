import { alertName, alertNamesOf, decideSpendAlerts, limitsWatchedBy } from "../core/alerts.js";
import { centsToMicros, microsToCentsString, periodWindow } from "../core/limits.js";
import type { Clock, Store } from "../core/ports.js";
import { enqueue, newNotification, ruleRecipients } from "../services/notify.js";
import { scopeOfRule } from "../services/alert-rules.js";

/**
 * Checks every spend alert rule against the limits of its scope: thresholds crossed and the
 * projected overrun. Each alert fires once per rule, limit and period (the firing row's primary
 * key decides, so concurrent runs cannot double-send).
 */
export async function runSpendAlerts(store: Store, clock: Clock): Promise<string> {
  const now = clock.now();
  let fired = 0;
  for (const orgId of await store.orgs.listIds()) {
    const rules = (await store.alertRules.listAll(orgId)).filter((r) => r.events.includes("spend"));
    if (rules.length === 0) continue;
    const limits = await store.spendLimits.listAll(orgId);
    for (const rule of rules) {
      for (const limit of limitsWatchedBy(rule, limits)) {
        const w = periodWindow(limit.period, now);
        const windowStart = w.start.toISOString();
        const spent = await store.usage.sumCost(orgId, { type: limit.scope_type, id: limit.scope_id }, windowStart);
        const keyOf = (name: string) => `spend:${rule.id}:${limit.id}:${windowStart}:${name}`;
        const names = alertNamesOf(rule);
        const already = await store.firings.has(orgId, names.map(keyOf));
        const firedNames = new Set(names.filter((n) => already.has(keyOf(n))));
        const limitMicros = centsToMicros(limit.amount_cents ?? 0);
        for (const alert of decideSpendAlerts(rule, { limitMicros, spentMicros: spent, startMs: w.start.getTime(), endMs: w.end.getTime(), nowMs: now.getTime() }, firedNames)) {
          const scope = scopeOfRule(rule);
          const label = scope.type === "organization" ? "the organization" : scope.type === "workspace" ? `workspace ${scope.workspace_id}` : `API key ${scope.api_key_id}`;
          const text = alert.kind === "threshold"
            ? `Spend alert: ${label} has used ${alert.percent}% of its ${limit.period} limit (${microsToCentsString(spent)} of ${limit.amount_cents} cents)`
            : `Spend alert: at the current rate ${label} will exceed its ${limit.period} limit of ${limit.amount_cents} cents before ${w.end.toISOString()} (projected ${microsToCentsString(alert.projectedMicros)} cents)`;
          const type = alert.kind === "threshold" ? "spend.threshold_reached" : "spend.projected_overrun";
          await store.transaction(async (tx) => {
            if (!(await tx.firings.claim(orgId, keyOf(alertName(alert)), now.toISOString()))) return;
            await enqueue(tx, newNotification(orgId, type, text, {
              rule_id: rule.id, rule_name: rule.name, scope, spend_limit_id: limit.id, period: limit.period, period_start: windowStart, period_end: w.end.toISOString(),
              limit_cents: String(limit.amount_cents), period_to_date_spend_cents: microsToCentsString(spent),
              ...(alert.kind === "threshold" ? { threshold_percent: alert.percent } : { projected_spend_cents: microsToCentsString(alert.projectedMicros) }),
            }, now), ruleRecipients([rule]), now);
            fired++;
          });
        }
      }
    }
  }
  return `${fired} alerts fired`;
}
