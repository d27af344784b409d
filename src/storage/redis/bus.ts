import { Redis } from "ioredis";

/**
 * Change notifications between gateway processes over Redis pub/sub: a process that commits a
 * change publishes the organization ids; every process drops its cached policies for them at once.
 * The database change feed remains the backstop if a message is lost.
 */
export class RedisChangeBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;

  constructor(url: string, prefix = "gatehouse:") {
    this.channel = `${prefix}changes`;
    this.pub = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.sub = new Redis(url, { maxRetriesPerRequest: null });
    this.pub.on("error", () => {});
    this.sub.on("error", () => {});
  }

  async subscribe(onChange: (orgIds: string[]) => void): Promise<void> {
    this.sub.on("message", (_channel: string, message: string) => {
      try {
        const ids = JSON.parse(message) as unknown;
        if (Array.isArray(ids)) onChange(ids.filter((x): x is string => typeof x === "string"));
      } catch {
        // Ignore malformed messages.
      }
    });
    await this.sub.subscribe(this.channel);
  }

  publish(orgIds: string[]): void {
    this.pub.publish(this.channel, JSON.stringify(orgIds)).catch(() => {});
  }

  async close(): Promise<void> {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
