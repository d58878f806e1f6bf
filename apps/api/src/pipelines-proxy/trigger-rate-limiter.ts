import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { AppConfig, REDIS_CLIENT, RedisThrottlerStorage } from '#platform';
import { PIPELINE_PROXY_OPTIONS, type PipelineProxyOptions } from './pipeline-proxy.options.js';

const WINDOW_MS = 60_000;

export interface TriggerAllowance {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch second at which the window resets. */
  resetAt: number;
  /** Seconds to wait when refused. */
  retryAfterSeconds: number;
}

/**
 * The per-org trigger limit, on its own counter: the platform's named limits are shared by every
 * route of a kind, and comparing a shared counter with a per-route limit would refuse triggers
 * for traffic elsewhere. Counts in Redis when configured, so every instance sees the same number.
 */
@Injectable()
export class TriggerRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(TriggerRateLimiter.name);
  private readonly storage: ThrottlerStorage;
  private readonly inMemory: ThrottlerStorageService | null;
  private readonly shared: RedisThrottlerStorage | null;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis | null,
    config: AppConfig,
    @Inject(PIPELINE_PROXY_OPTIONS) private readonly options: PipelineProxyOptions,
  ) {
    this.inMemory = redis ? null : new ThrottlerStorageService();
    this.shared = redis
      ? new RedisThrottlerStorage(redis, { prefix: `${config.redisPrefix}:pipeline-trigger` })
      : null;
    this.storage = this.inMemory ?? (this.shared as RedisThrottlerStorage);
  }

  async hit(org: string, now = Date.now()): Promise<TriggerAllowance> {
    const limit = this.options.triggerLimitPerMinute;
    try {
      const r = await this.storage.increment(
        `pipeline-trigger:${org}`,
        WINDOW_MS,
        limit,
        WINDOW_MS,
        'trigger',
      );
      return {
        allowed: !r.isBlocked,
        limit,
        // Refused, none: the count is of the last minute's hits, which expire one by one during the
        // block, so it said triggers remained while each was refused.
        remaining: r.isBlocked ? 0 : Math.max(0, limit - r.totalHits),
        // Refused, the window's end is not when triggers are taken again: the block's end is.
        resetAt: Math.ceil(now / 1000) + (r.isBlocked ? r.timeToBlockExpire : r.timeToExpire),
        retryAfterSeconds: Math.max(1, r.timeToBlockExpire),
      };
    } catch (err) {
      // The Redis storage counts in memory while Redis is out; anything else that fails here must
      // not become an API outage either.
      this.logger.warn(`Trigger rate-limit store failed; request allowed (${String(err)})`);
      return {
        allowed: true,
        limit,
        remaining: limit,
        resetAt: Math.ceil(now / 1000) + 60,
        retryAfterSeconds: 0,
      };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.inMemory?.onApplicationShutdown();
    // It borrows the app's client: this only stops its own timer and listeners.
    await this.shared?.onModuleDestroy();
  }
}
