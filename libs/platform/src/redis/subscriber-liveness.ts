import type { Redis } from 'ioredis';
import type { RedisLogger } from './redis-connection.js';

export interface SubscriberLivenessOptions {
  /** How often the subscribed connection is checked. */
  everyMs: number;
  /** A PING not answered within this long counts as a dead connection. */
  timeoutMs: number;
  logger: RedisLogger;
}

/**
 * Keeps a subscribed connection honest. A half-open connection (a NAT or load balancer that forgot
 * the flow, a failover without a RST) never emits 'close' — TCP keepalive would notice only after
 * hours — so the subscriber would stay deaf to invalidations without anything triggering the
 * reconnect that re-subscribes and clears the caches. Every `everyMs`, a PING (allowed on a
 * subscribed connection, answered `['pong', '']`) must answer within `timeoutMs`, else the
 * connection is dropped and ioredis reconnects. A SUBSCRIBE that failed on a live connection is
 * repaired the same way, at the next check (not at once: a SUBSCRIBE Redis keeps refusing, an ACL
 * say, then costs one reconnect per check, not a tight loop).
 */
export class SubscriberLiveness {
  private readonly timer: NodeJS.Timeout;
  private checking = false;
  private stopped = false;
  private failedSubscribe: string | undefined;

  constructor(
    private readonly subscriber: Redis,
    private readonly options: SubscriberLivenessOptions,
  ) {
    this.timer = setInterval(() => void this.check(), options.everyMs).unref();
  }

  /** A SUBSCRIBE failed: when the connection is still up, nothing else would ever subscribe again. */
  subscribeFailed(reason: string): void {
    if (this.subscriber.status === 'ready') this.failedSubscribe ??= reason;
  }

  /** The connection closed: its reconnect subscribes to everything again. */
  connectionLost(): void {
    this.failedSubscribe = undefined;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking || this.subscriber.status !== 'ready') return;
    if (this.failedSubscribe !== undefined) {
      this.reconnect(`a SUBSCRIBE failed (${this.failedSubscribe})`);
      return;
    }
    this.checking = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), this.options.timeoutMs).unref();
      });
      await Promise.race([this.subscriber.ping(), timedOut]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (this.subscriber.status === 'ready') this.reconnect(`PING failed (${reason})`);
    } finally {
      clearTimeout(timer);
      this.checking = false;
    }
  }

  private reconnect(reason: string): void {
    this.failedSubscribe = undefined;
    if (this.stopped) return;
    this.options.logger.warn(`Invalidation bus subscriber: ${reason}; reconnecting`);
    this.subscriber.disconnect(true);
  }
}
