import type { Redis } from 'ioredis';
import type { RedisLogger } from './redis-connection.js';

export interface ConnectionLivenessOptions {
  /** How often a PING checks a connection that ioredis reports 'ready'. */
  everyMs: number;
  /** A PING not answered within this long counts as a dead connection. */
  timeoutMs: number;
  /** Redacted URL and connection name, for the warning. */
  label: string;
  logger: RedisLogger;
}

const watches = new WeakMap<Redis, () => void>();

/**
 * Drops a connection that went half-open (a NAT or load balancer forgot the flow, a failover
 * without a RST). ioredis then keeps the status 'ready' and each command just waits out its
 * command timeout — which never makes ioredis reconnect — until TCP keepalive notices, hours
 * later: every rate-limit check degrades and every invalidation publish is queued and resent
 * meanwhile. Every `everyMs`, a PING on a 'ready' connection must answer within `timeoutMs`, else
 * the connection is dropped with `disconnect(true)` and ioredis reconnects. An error Redis answers
 * (LOADING, an ACL refusal) proves the connection alive and changes nothing. The timer is unref'd
 * and stops when the connection ends or `stopLiveness` is called (`closeRedis` does).
 */
export function watchLiveness(redis: Redis, options: ConnectionLivenessOptions): void {
  let checking = false;
  /**
   * Set from a drop until the socket closes: `disconnect` ends the stream politely, and on a
   * half-open connection ioredis waits out its disconnectTimeout (2 s) before it destroys it and
   * reports 'close', still 'ready' meanwhile. One drop, one warning.
   */
  let dropping = false;
  const closed = (): void => void (dropping = false);
  const check = async (): Promise<void> => {
    if (checking || dropping || redis.status !== 'ready') return;
    checking = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.timeoutMs).unref();
      });
      const answered = redis.ping().then(
        () => 'answered' as const,
        (error: unknown) => (isReplyError(error) ? ('answered' as const) : errorText(error)),
      );
      const outcome = await Promise.race([answered, timedOut]);
      // Checked again: a connection that closed meanwhile is being reconnected by ioredis already.
      if (outcome !== 'answered' && redis.status === 'ready' && watches.has(redis)) {
        const reason = outcome === 'timeout' ? 'no answer' : outcome;
        options.logger.warn(
          `Redis ${options.label} did not answer a PING (${reason}) although connected; reconnecting`,
        );
        dropping = true;
        redis.disconnect(true);
      }
    } finally {
      clearTimeout(timer);
      checking = false;
    }
  };
  const interval = setInterval(() => void check(), options.everyMs).unref();
  const stop = (): void => {
    clearInterval(interval);
    watches.delete(redis);
    redis.off('end', stop).off('close', closed);
  };
  watches.set(redis, stop);
  redis.once('end', stop).on('close', closed);
}

/** Stops the liveness check of a connection (no-op for one without). */
export function stopLiveness(redis: Redis): void {
  watches.get(redis)?.();
}

/** An error reply from Redis: the connection carries answers, so it is alive. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
