import type { UsageRecord } from "../../src/core/domain.js";
import { newId } from "../../src/core/ids.js";
import { type Senders, networkSenders } from "../../src/jobs/channels.js";
import { gatewayJobs } from "../../src/jobs/index.js";
import { Scheduler } from "../../src/jobs/scheduler.js";
import type { Harness } from "./harness.js";

/** A scheduler over the harness's store and fake clock, with real network senders. */
export function schedulerFor(h: Harness, smtpUrl: string | null, instanceId = "test-instance"): { scheduler: Scheduler; senders: Senders & { close(): void } } {
  const senders = networkSenders(smtpUrl === null ? null : { url: smtpUrl, from: "gatehouse@example.com" }, 2000);
  const scheduler = new Scheduler(h.deps.store, h.clock, gatewayJobs(h.deps.store, h.clock, h.deps.encryptionKey, senders), { instanceId });
  return { scheduler, senders };
}

/** Writes one billable request of `costMicros` into the ledger at the harness's current time. */
export async function spend(h: Harness, key: { id: string; workspace_id: string }, costMicros: number, userId: string | null = null): Promise<void> {
  const now = h.clock.now();
  const r: UsageRecord = {
    id: newId("usage", now.getTime()), org_id: h.orgId, workspace_id: key.workspace_id, api_key_id: key.id, user_id: userId, model: "claude-sonnet-4-5",
    request_id: newId("request", now.getTime()), upstream_request_id: null, status: 200, stream: false, input_tokens: 100, output_tokens: 100,
    cache_creation_input_tokens: 0, cache_creation_5m_input_tokens: 0, cache_creation_1h_input_tokens: 0, cache_read_input_tokens: 0, web_search_requests: 0,
    service_tier: "standard", speed: null, inference_geo: null, cost_micros: costMicros, price_estimated: false, uncharged_reason: null, latency_ms: 5,
    created_at: now.toISOString(),
  };
  await h.deps.store.usage.insertMany([r]);
}
