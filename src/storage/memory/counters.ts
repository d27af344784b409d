import { type Bucket, type SpendCounter, decideBuckets, decideSpend, refund } from "../../core/limits.js";
import type { AdmissionPlan, AdmissionResult, AdmissionTicket, CounterStore, Settlement } from "../../core/ports.js";

/** A counter with nothing spent or reserved (read-only). */
const EMPTY: SpendCounter = Object.freeze({ spentMicros: 0, reservedMicros: 0 });

/**
 * In-process counters for a single gateway process. Admission is atomic because the decision and
 * its application run in one synchronous section (after the cold loads of spend counters, which
 * are shared promises so concurrent first requests load once).
 */
export class MemoryCounterStore implements CounterStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly spend = new Map<string, SpendCounter>();
  private readonly loading = new Map<string, Promise<void>>();

  async admit(plan: AdmissionPlan, loadSpent: Parameters<CounterStore["admit"]>[1]): Promise<AdmissionResult> {
    // Steady state: every counter is loaded, and there is nothing to wait for.
    if (plan.spend.some(({ check }) => !this.spend.has(check.id))) {
      await Promise.all(plan.spend.map(({ check, windowStart }) => this.ensureLoaded(check.id, () => loadSpent(check, windowStart))));
    }
    // From here to the return: no await, so no other admission interleaves.
    const rate = decideBuckets(plan.buckets, (id) => this.buckets.get(id), plan.nowMs);
    if (rate.kind === "deny") return { kind: "rate_limited", check: rate.check, retryAfterMs: rate.retryAfterMs, remaining: rate.remaining };
    const spend = decideSpend(plan.spend.map((s) => s.check), (id) => this.spend.get(id) ?? EMPTY, plan.reserveMicros);
    if (spend.kind === "deny") return { kind: "spend_limited", check: spend.check, availableMicros: spend.availableMicros };
    plan.buckets.forEach((b, i) => this.buckets.set(b.id, rate.next[i] as Bucket));
    for (const { check } of plan.spend) this.counter(check.id, 0).reservedMicros += plan.reserveMicros;
    const ticket: AdmissionTicket = { plan };
    return { kind: "admitted", ticket };
  }

  async settle(ticket: AdmissionTicket, actual: Settlement, nowMs: number): Promise<void> {
    const { plan } = ticket;
    for (const { check } of plan.spend) {
      const c = this.counter(check.id, plan.reserveMicros);
      c.spentMicros += actual.costMicros;
      c.reservedMicros = Math.max(0, c.reservedMicros - plan.reserveMicros);
    }
    for (const b of plan.buckets) {
      const delta = b.type === "output_tokens_per_minute" ? b.cost - actual.outputTokens : b.type === "input_tokens_per_minute" ? b.cost - actual.inputTokens : 0;
      if (delta !== 0) this.buckets.set(b.id, adjust(this.buckets.get(b.id), b.capacity, delta, nowMs));
    }
  }

  async peek(id: string): Promise<SpendCounter | null> {
    const c = this.spend.get(id);
    return c ? { ...c } : null;
  }

  /** Every spend counter (for leak checks). */
  entries(): [string, SpendCounter][] {
    return [...this.spend.entries()].map(([id, c]) => [id, { ...c }]);
  }

  /** The (mutable) counter `id`, created with `reservedMicros` if it has none yet. */
  private counter(id: string, reservedMicros: number): SpendCounter {
    let c = this.spend.get(id);
    if (!c) {
      c = { spentMicros: 0, reservedMicros };
      this.spend.set(id, c);
    }
    return c;
  }

  async close(): Promise<void> {}

  private ensureLoaded(id: string, load: () => Promise<number>): Promise<void> {
    if (this.spend.has(id)) return Promise.resolve();
    let p = this.loading.get(id);
    if (!p) {
      p = load().then((spent) => {
        if (!this.spend.has(id)) this.spend.set(id, { spentMicros: spent, reservedMicros: 0 });
      }).finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }
}

/** Returns unused tokens (delta > 0) or takes extra ones actually used (delta < 0, down to −capacity). */
function adjust(bucket: Bucket | undefined, capacity: number, delta: number, nowMs: number): Bucket {
  if (delta >= 0) return refund(bucket, capacity, delta, nowMs);
  const b = refund(bucket, capacity, 0, nowMs);
  return { tokens: Math.max(-capacity, b.tokens + delta), updatedMs: nowMs };
}
