import type { Clock, Store } from "../core/ports.js";
import type { Senders } from "./channels.js";
import { deliverDue } from "./deliveries.js";
import { runKeyLifecycle } from "./key-lifecycle.js";
import type { Job } from "./scheduler.js";
import { runSpendAlerts } from "./spend-alerts.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Minute rollups serve 1m reports (at most 24 h wide) and exact sums; older ones are dropped. */
export const MINUTE_ROLLUP_RETENTION_DAYS = 35;

/** The scheduled jobs of a gateway, in run order (deliveries last, so a pass sends what it queued). */
export function gatewayJobs(store: Store, clock: Clock, encryptionKey: Buffer, senders: Senders, options: { alertIntervalMs?: number } = {}): Job[] {
  return [
    { name: "spend_alerts", intervalMs: options.alertIntervalMs ?? MINUTE, run: () => runSpendAlerts(store, clock) },
    { name: "key_lifecycle", intervalMs: 15 * MINUTE, run: () => runKeyLifecycle(store, clock) },
    {
      name: "rollup_retention", intervalMs: DAY,
      run: async (now) => {
        const before = new Date(now.getTime() - MINUTE_ROLLUP_RETENTION_DAYS * DAY).toISOString();
        const rollups = await store.usage.pruneMinuteRollups(before.slice(0, 16));
        const runs = await store.jobs.prune(new Date(now.getTime() - 30 * DAY).toISOString());
        return `${rollups} minute rollups and ${runs} job runs pruned`;
      },
    },
    {
      name: "deliveries", intervalMs: 10_000,
      run: async () => {
        const c = await deliverDue(store, clock, encryptionKey, senders);
        return `${c.delivered} delivered, ${c.pending} to retry, ${c.failed} failed`;
      },
    },
  ];
}
