import type { Redis } from 'ioredis';
import { createRedis, logRedisOutages, type RedisLogger, watchRedisLiveness } from './redis-connection.js';

/**
 * The bus's subscribed connection: from the URL, or a duplicate of the client passed in (which
 * shares its options, not its outage log or PING watch, so both are added). The bus re-subscribes
 * from its own registry; ioredis' copy would also revive channels unsubscribed while disconnected.
 */
export function createSubscriber(
  client: Redis | string,
  name: string,
  logger: RedisLogger,
  pingEveryMs: number | undefined,
): Redis {
  const overrides = { connectionName: name, autoResubscribe: false, lazyConnect: false };
  if (typeof client === 'string') return createRedis(client, { name, logger, overrides, pingEveryMs });
  const subscriber = client.duplicate(overrides);
  const { host, port } = client.options;
  const safeUrl = `redis://${host ?? '?'}:${port ?? '?'}`;
  logRedisOutages(subscriber, safeUrl, logger);
  watchRedisLiveness(subscriber, `${safeUrl} (${name})`, logger, pingEveryMs);
  return subscriber;
}

export interface SubscriberLivenessOptions {
  /** How often a SUBSCRIBE that failed is looked for. */
  everyMs: number;
  logger: RedisLogger;
}

/**
 * Repairs a SUBSCRIBE that failed on a connection that stays up: nothing else would subscribe that
 * channel again (the bus re-subscribes after a reconnect), so the instance stayed deaf to its
 * invalidations. The connection is dropped at the next check and ioredis reconnects, which
 * re-subscribes everything and clears the caches. Not at once: a SUBSCRIBE Redis keeps refusing
 * (an ACL, say) then costs one reconnect per check, not a tight loop. A connection that went silent
 * without closing is found by the PING every Redis connection here has (`watchLiveness`).
 */
export class SubscriberLiveness {
  private readonly timer: NodeJS.Timeout;
  private failedSubscribe: string | undefined;

  constructor(
    private readonly subscriber: Redis,
    private readonly options: SubscriberLivenessOptions,
  ) {
    this.timer = setInterval(() => this.check(), options.everyMs).unref();
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
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.failedSubscribe === undefined || this.subscriber.status !== 'ready') return;
    this.options.logger.warn(
      `Invalidation bus subscriber: a SUBSCRIBE failed (${this.failedSubscribe}); reconnecting`,
    );
    this.failedSubscribe = undefined;
    this.subscriber.disconnect(true);
  }
}
