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

  // Children bound once: label lookups per request are the costly part of prom-client.
  private readonly tokenKinds = {
    input: this.tokens.labels("input"), output: this.tokens.labels("output"),
    cache_read: this.tokens.labels("cache_read"), cache_creation: this.tokens.labels("cache_creation"),
  };
  private readonly children = new Map<string, unknown>();

  /** The labelled child of a metric, bound on first use. */
  private child<T>(key: string, make: () => T): T {
    if (!this.children.has(key)) this.children.set(key, make());
    return this.children.get(key) as T;
  }

  /** One finished request of a route: count and duration. */
  recordRequest(route: string, status: number, seconds: number): void {
    this.child(`r|${route}|${status}`, () => this.requests.labels(route, String(status))).inc();
    this.child(`d|${route}`, () => this.duration.labels(route)).observe(seconds);
  }

  recordUpstream(route: string, status: number, seconds: number): void {
    this.child(`u|${route}|${status}`, () => this.upstream.labels(route, String(status))).observe(seconds);
  }

  recordUsage(r: UsageRecord): void {
    this.child(`s|${r.model}|${r.price_estimated}`, () => this.spend.labels(r.model, String(r.price_estimated))).inc(r.cost_micros);
    if (r.input_tokens > 0) this.tokenKinds.input.inc(r.input_tokens);
    if (r.output_tokens > 0) this.tokenKinds.output.inc(r.output_tokens);
    if (r.cache_read_input_tokens > 0) this.tokenKinds.cache_read.inc(r.cache_read_input_tokens);
    if (r.cache_creation_input_tokens > 0) this.tokenKinds.cache_creation.inc(r.cache_creation_input_tokens);
  }
}
