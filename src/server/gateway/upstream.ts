import type { IncomingHttpHeaders } from "node:http";
import { Agent, type Dispatcher, errors } from "undici";

export interface UpstreamOptions {
  url: string;
  timeoutMs: number;
  idleTimeoutMs: number;
}

export interface UpstreamRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
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

  /** Starts a call; the response arrives through the returned call (no stream objects in between). */
  start(req: UpstreamRequest): UpstreamCall {
    const call = new UpstreamCall();
    this.agent.dispatch({
      origin: this.origin, path: this.basePath + req.path, method: req.method, headers: req.headers,
      ...(req.body ? { body: req.body } : {}),
    }, call);
    return call;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * One upstream exchange as a dispatch handler: `head()` resolves with the status and headers,
 * then the body is either collected (`readAll`) or handed over chunk by chunk (`forEach`, with
 * backpressure). The data plane's hot path, so it avoids a Readable and an AbortSignal per request.
 */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  statusCode = 0;
  headers: IncomingHttpHeaders = {};
  private controller: Dispatcher.DispatchController | null = null;
  private abortReason: Error | null = null;
  private failure: Error | null = null;
  private ended = false;
  private started = false;
  private queued: Buffer[] = [];
  private sink: ((chunk: Buffer) => void) | null = null;
  private wakeHead: (() => void) | null = null;
  private wakeEnd: (() => void) | null = null;

  /** Stops the call (the client went away); pending reads fail with `reason`. */
  abort(reason: Error): void {
    if (this.ended || this.failure) return;
    this.abortReason = reason;
    if (this.controller) this.controller.abort(reason);
  }

  /** Stops reading the response until `resume()` (backpressure). */
  pause(): void {
    this.controller?.pause();
  }

  /** Resumes a call paused by `pause()`. */
  resume(): void {
    this.controller?.resume();
  }

  /** Resolves when the response's status and headers are in; rejects if the call failed first. */
  head(): Promise<void> {
    if (this.started) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.wakeHead = () => (this.started ? resolve() : reject(this.failure));
    });
  }

  /** The whole body, refusing one larger than `maxBytes`. */
  async readAll(maxBytes: number): Promise<Buffer> {
    let size = 0;
    const chunks: Buffer[] = [];
    await this.forEach((chunk) => {
      size += chunk.length;
      if (size > maxBytes) this.abort(new Error("upstream response too large"));
      else chunks.push(chunk);
    });
    if (size > maxBytes) throw new Error("upstream response too large");
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  }

  /** Hands each body chunk to `sink` until the body ends (`pause()` holds the upstream back). */
  forEach(sink: (chunk: Buffer) => void): Promise<void> {
    for (const chunk of this.queued) sink(chunk);
    this.queued = [];
    if (this.ended) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    this.sink = sink;
    return new Promise((resolve, reject) => {
      this.wakeEnd = () => (this.failure ? reject(this.failure) : resolve());
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational responses are not the response.
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.headers = headers;
    this.started = true;
    this.wakeHead?.();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sink === null) this.queued.push(chunk);
    else this.sink(chunk);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.wakeEnd?.();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.failure = this.abortReason ?? error;
    if (!this.started) this.wakeHead?.();
    this.wakeEnd?.();
  }
}

/** Classifies an upstream failure: a timeout, or the upstream being unreachable. */
export function isTimeout(err: unknown): boolean {
  return err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError;
}
