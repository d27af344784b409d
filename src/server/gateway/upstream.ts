import { Agent, type Dispatcher, errors } from "undici";

export interface UpstreamOptions {
  url: string;
  timeoutMs: number;
  idleTimeoutMs: number;
}

/** Pooled keep-alive connections to the upstream (Anthropic or a compatible endpoint). */
export class Upstream {
  readonly origin: string;
  private readonly basePath: string;
  private readonly agent: Agent;

  constructor(private readonly options: UpstreamOptions) {
    const u = new URL(options.url);
    this.origin = u.origin;
    this.basePath = u.pathname.replace(/\/$/, "");
    this.agent = new Agent({ connections: 256, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.idleTimeoutMs, connect: { timeout: 10_000 } });
  }

  request(opts: { method: "GET" | "POST"; path: string; headers: Record<string, string>; body?: Buffer; signal: AbortSignal }): Promise<Dispatcher.ResponseData> {
    return this.agent.request({
      origin: this.origin, path: this.basePath + opts.path, method: opts.method, headers: opts.headers,
      ...(opts.body ? { body: opts.body } : {}), signal: opts.signal,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Classifies an upstream failure: a timeout, or the upstream being unreachable. */
export function isTimeout(err: unknown): boolean {
  return err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError;
}
