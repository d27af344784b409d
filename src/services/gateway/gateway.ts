import type { AuditEventInput } from "../../core/audit.js";
import { type AdmissionFrame, admissionFrame, decideKeyUse, frameHolds, modelAllowed, planFromFrame, sourceAllowed } from "../../core/admission.js";
import type { UsageRecord } from "../../core/domain.js";
import { AUTHENTICATION_FAILED_MESSAGE, DomainError } from "../../core/errors.js";
import { ID_PREFIX, newId } from "../../core/ids.js";
import { parseKey, verifyKey } from "../../core/keys.js";
import { type BucketCheck, scopeLabel } from "../../core/limits.js";
import type { AdmissionTicket, CounterStore } from "../../core/ports.js";
import { type ModelPrice, type PriceTable, costNanos, nanosToMicros, resolvePrice } from "../../core/pricing.js";
import { type RawUsage, toUsageCounts } from "../../core/usage.js";
import { type AuthFailure, type PresentedCredentials, presentedKey } from "../auth.js";
import type { RequestMeta, ServiceDeps } from "../context.js";
import { BatchWriter } from "./batch.js";
import type { KeyPolicy, PolicyCache } from "./policy-cache.js";

/** The parts of a Messages request body the gateway decides on; the body itself is forwarded unchanged. */
export interface MessageRequestInfo {
  model: string;
  maxTokens: number;
  stream: boolean;
  bodyBytes: number;
  speed?: string | undefined;
  inferenceGeo?: string | undefined;
}

export interface Admitted {
  policy: KeyPolicy;
  ticket: AdmissionTicket;
  price: ModelPrice;
  priceEstimated: boolean;
  reserveMicros: number;
  startedAt: Date;
}

/** Where the ledger's batches go instead of the store (the SQLite ledger thread). */
export interface LedgerSink {
  write: (records: UsageRecord[]) => Promise<void>;
  /** True when the sink orders and groups batches itself, so they need not wait for each other. */
  pipelined?: boolean;
}

/** Raised for rate-limit denials: carries what the 429 headers need. */
export class RateLimitedError extends DomainError {
  constructor(readonly check: BucketCheck, readonly retryAfterMs: number, readonly remaining: number) {
    super("rate_limited", `Rate limit reached: this request would exceed the ${check.level.replace("_", " ")}'s ${check.type.replace(/_/g, " ")} (${check.capacity}). Retry after the time in retry-after.`);
  }
}

const LAST_USED_FLUSH_MS = 30_000;
/** Longest a ledger batch waits for other requests in flight to join it (never when a request is alone). */
const LEDGER_HOLD_MS = 2;

/**
 * The data plane's decisions: authenticate, authorize, admit (rate + spend), and meter/settle.
 * HTTP forwarding lives in server/gateway; nothing here reads the database per request in steady
 * state (policies are cached, counters are in the counter store, writes are batched).
 */
export class Gateway {
  private readonly ledger: BatchWriter<UsageRecord>;
  private readonly authAudit: BatchWriter<AuditEventInput>;
  private readonly lastUsed = new Map<string, { orgId: string; atMs: number }>();
  private readonly lastUsedTimer: NodeJS.Timeout;
  /** Admitted requests that have not reached the ledger yet (settled or released): the group commit waits for them briefly. */
  private unsettled = 0;
  /** Admission frames by policy object: a changed policy is a new object, so it gets a new frame. */
  private readonly frames = new WeakMap<KeyPolicy, AdmissionFrame>();

  constructor(
    private readonly deps: ServiceDeps,
    readonly cache: PolicyCache,
    readonly counters: CounterStore,
    private readonly prices: PriceTable,
    private readonly options: {
      countersFailOpen?: boolean;
      onUsage?: (record: UsageRecord) => void;
      /** Where ledger batches go; by default the store, in one transaction per batch. */
      ledgerSink?: LedgerSink;
    } = {},
  ) {
    const sink = options.ledgerSink;
    this.ledger = sink?.pipelined
      // The sink commits whatever has reached it in one transaction: batches go as soon as formed.
      ? new BatchWriter(sink.write, { pipelined: true })
      : new BatchWriter(sink?.write ?? ((records) => deps.store.transaction((tx) => tx.usage.insertMany(records))), {
        hold: { othersPending: () => this.unsettled > 0, maxMs: LEDGER_HOLD_MS },
      });
    this.authAudit = new BatchWriter(async (events) => {
      await deps.store.transaction(async (tx) => {
        for (const e of events) await tx.audit.append(e, deps.clock.now());
      });
    }, { maxQueue: 10_000 });
    this.lastUsedTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.lastUsedTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.lastUsedTimer);
    await this.flushLastUsed();
    await this.ledger.drain();
    await this.authAudit.drain().catch(() => {});
    this.cache.stop();
  }

  /** Every failure is the same 401 to the caller (K4); the reason goes to the audit log. */
  async authenticate(credentials: PresentedCredentials, workspaceHeader: string | undefined, meta: RequestMeta): Promise<KeyPolicy> {
    const presented = presentedKey(credentials);
    if ("failure" in presented) return this.fail(meta, presented.failure, null, null);
    const parsed = parseKey(presented.key);
    if (!parsed) return this.fail(meta, "malformed", null, null);
    if (parsed.marker === "adm") return this.fail(meta, "wrong_kind", null, null);
    let policy;
    try {
      policy = await this.cache.get(ID_PREFIX.apiKey + parsed.publicId);
    } catch (err) {
      throw new DomainError("storage_unavailable", "the key could not be checked right now; nothing was sent", { cause: err });
    }
    if (!policy) return this.fail(meta, "unknown", null, null);
    const keyId = policy.key.id;
    if (!verifyKey(this.deps.hashKey, presented.key, policy.key.key_hash)) return this.fail(meta, "bad_secret", policy.orgId, keyId);
    const now = this.deps.clock.now();
    const use = decideKeyUse(policy.key, policy.workspace.archived_at, workspaceHeader, now);
    if (!use.ok) return this.fail(meta, use.reason, policy.orgId, keyId);
    this.lastUsed.set(keyId, { orgId: policy.orgId, atMs: now.getTime() });
    return policy;
  }

  /** Model and source-address restrictions of the key. */
  authorize(policy: KeyPolicy, model: string | undefined, ip: string | null): void {
    const key = policy.key;
    if (!sourceAllowed(key, ip)) throw new DomainError("source_not_allowed", "this API key may not be used from this network address");
    if (model !== undefined && !modelAllowed(key, model)) {
      throw new DomainError("model_not_allowed", `this API key may not use model ${JSON.stringify(model)}`);
    }
  }

  /** Builds the admission plan and admits the request at every level, or throws the refusal. */
  async admit(policy: KeyPolicy, info: MessageRequestInfo): Promise<Admitted> {
    const resolution = resolvePrice(info.model, this.prices, policy.unpriced === "refuse");
    if (resolution.kind === "unpriced") {
      throw new DomainError("unpriced_model", `model ${JSON.stringify(info.model)} has no known price and this organization refuses unpriced models`);
    }
    const startedAt = this.deps.clock.now();
    const plan = planFromFrame(this.frameOf(policy, startedAt), resolution.price, info, startedAt.getTime());
    const reserveMicros = plan.reserveMicros;
    let result;
    try {
      result = await this.counters.admit(plan, (check, windowStart) => this.deps.store.usage.sumCost(policy.orgId, {
        type: check.scope.type, id: check.scope.type === "organization" ? null : check.scope.id,
      }, windowStart));
    } catch (err) {
      if (!this.options.countersFailOpen) throw new DomainError("counters_unavailable", "the limit counters are unavailable; the request was not sent", { cause: err });
      // Fail-open (configured): serve unmetered by the counters; the ledger still records the charge.
      result = { kind: "admitted" as const, ticket: { plan: { ...plan, buckets: [], spend: [] } } };
    }
    if (result.kind === "rate_limited") throw new RateLimitedError(result.check, result.retryAfterMs, result.remaining);
    if (result.kind === "spend_limited") {
      const c = result.check;
      throw new DomainError("spend_limit_reached", `You have reached your specified ${scopeLabel(c.scope.type)} ${c.period} spend limit in Gatehouse (${c.scope.type} ${c.scope.id}). Raise the limit or wait for the next period.`, {
        details: { error_code: "spend_limit_reached", scope: c.scope.type, scope_id: c.scope.id, period: c.period },
      });
    }
    this.unsettled++;
    return { policy, ticket: result.ticket, price: resolution.price, priceEstimated: resolution.estimated, reserveMicros, startedAt };
  }

  /** The policy's admission frame for the current spend windows, built once per policy and window. */
  private frameOf(policy: KeyPolicy, now: Date): AdmissionFrame {
    let frame = this.frames.get(policy);
    if (frame === undefined || !frameHolds(frame, now.getTime())) {
      frame = admissionFrame({ orgId: policy.orgId, workspaceId: policy.workspace.id, keyId: policy.key.id, rate: policy.rate, spendLimits: policy.spendLimits, now });
      this.frames.set(policy, frame);
    }
    return frame;
  }

  /**
   * Meters and settles: the cost from the usage (or the reservation when the response carried
   * none), the counters, and the ledger record, which is durable when this resolves.
   */
  async settle(a: Admitted, outcome: { usage: RawUsage | null; status: number; stream: boolean; requestId: string; upstreamRequestId: string | null; model: string; chargeReservationReason?: string | undefined }): Promise<UsageRecord> {
    const counts = toUsageCounts(outcome.usage ?? {});
    const charged = outcome.usage === null || outcome.chargeReservationReason !== undefined;
    const costMicros = charged ? a.reserveMicros : nanosToMicros(costNanos(counts, a.price));
    const now = this.deps.clock.now();
    await this.counters.settle(a.ticket, {
      costMicros,
      inputTokens: counts.inputTokens + counts.cacheCreationInputTokens,
      outputTokens: counts.outputTokens,
    }, now.getTime()).catch(() => {
      // The counter store went away mid-request; the ledger below stays the source of truth.
    });
    const record: UsageRecord = {
      id: newId("usage", a.startedAt.getTime()),
      org_id: a.policy.orgId, workspace_id: a.policy.workspace.id, api_key_id: a.policy.key.id, user_id: a.policy.key.owner_user_id,
      model: outcome.model, request_id: outcome.requestId, upstream_request_id: outcome.upstreamRequestId, status: outcome.status, stream: outcome.stream,
      input_tokens: counts.inputTokens, output_tokens: counts.outputTokens, cache_creation_input_tokens: counts.cacheCreationInputTokens,
      cache_creation_5m_input_tokens: counts.cacheCreation5m ?? Math.max(0, counts.cacheCreationInputTokens - (counts.cacheCreation1h ?? 0)),
      cache_creation_1h_input_tokens: counts.cacheCreation1h ?? 0,
      cache_read_input_tokens: counts.cacheReadInputTokens, web_search_requests: counts.webSearchRequests, service_tier: counts.serviceTier,
      speed: counts.speed, inference_geo: counts.inferenceGeo, cost_micros: costMicros, price_estimated: a.priceEstimated,
      uncharged_reason: charged ? (outcome.chargeReservationReason ?? "no_usage_reported") : null,
      latency_ms: now.getTime() - a.startedAt.getTime(),
      // The window a charge belongs to is the one it was reserved in.
      created_at: a.startedAt.toISOString(),
    };
    this.unsettled--;
    await this.ledger.write(record);
    this.options.onUsage?.(record);
    return record;
  }

  /** Releases an admitted request that was not billed (upstream refused it or never answered). */
  async release(a: Admitted): Promise<void> {
    this.unsettled--;
    this.ledger.poke();
    await this.counters.settle(a.ticket, { costMicros: 0, inputTokens: 0, outputTokens: 0 }, this.deps.clock.now().getTime()).catch(() => {});
  }

  private async fail(meta: RequestMeta, reason: AuthFailure | "expired" | "wrong_workspace", orgId: string | null, keyId: string | null): Promise<never> {
    this.authAudit.write({
      orgId, actor: { type: "anonymous", id: keyId, display: null }, action: "auth.failed", target: { type: "data_plane", id: null }, workspaceId: null,
      outcome: "denied", reason, requestId: meta.requestId, ip: meta.ip, userAgent: meta.userAgent, changes: null,
    }).catch(() => {});
    throw new DomainError("authentication_failed", AUTHENTICATION_FAILED_MESSAGE);
  }

  private async flushLastUsed(): Promise<void> {
    const pending = [...this.lastUsed.entries()];
    this.lastUsed.clear();
    for (const [id, { orgId, atMs }] of pending) await this.deps.store.apiKeys.update(orgId, id, { last_used_at: new Date(atMs).toISOString() }).catch(() => {});
  }
}
