import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { UsageRecord } from "../core/domain.js";

/** Prometheus metrics of one process, on its own registry (served at `/metrics`). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: "gatehouse_requests_total", help: "Requests by route and status", labelNames: ["route", "status"] as const, registers: [this.registry] });
  readonly duration = new Histogram({
    name: "gatehouse_request_duration_seconds", help: "Time to the last byte of the response, by route", labelNames: ["route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  readonly upstream = new Histogram({
    name: "gatehouse_upstream_duration_seconds", help: "Time from forwarding to the upstream's response headers", labelNames: ["route", "status"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  readonly denials = new Counter({ name: "gatehouse_denials_total", help: "Requests refused by Gatehouse, by reason", labelNames: ["reason"] as const, registers: [this.registry] });
  readonly spend = new Counter({ name: "gatehouse_spend_micro_usd_total", help: "Metered spend in micro-USD; estimated=true where the model had no known price", labelNames: ["model", "estimated"] as const, registers: [this.registry] });
  readonly tokens = new Counter({ name: "gatehouse_tokens_total", help: "Metered tokens by kind", labelNames: ["kind"] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "gatehouse_process_" });
  }

  recordUsage(r: UsageRecord): void {
    this.spend.inc({ model: r.model, estimated: String(r.price_estimated) }, r.cost_micros);
    this.tokens.inc({ kind: "input" }, r.input_tokens);
    this.tokens.inc({ kind: "output" }, r.output_tokens);
    this.tokens.inc({ kind: "cache_read" }, r.cache_read_input_tokens);
    this.tokens.inc({ kind: "cache_creation" }, r.cache_creation_input_tokens);
  }
}
