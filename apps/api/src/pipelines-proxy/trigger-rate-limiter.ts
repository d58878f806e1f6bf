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

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis | null,
    config: AppConfig,
    @Inject(PIPELINE_PROXY_OPTIONS) private readonly options: PipelineProxyOptions,
  ) {
    this.inMemory = redis ? null : new ThrottlerStorageService();
    this.storage =
      this.inMemory ??
      new RedisThrottlerStorage(redis as Redis, { prefix: `finops:${config.environment}:pipeline-trigger` });
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
        remaining: Math.max(0, limit - r.totalHits),
        resetAt: Math.ceil(now / 1000) + r.timeToExpire,
        retryAfterSeconds: Math.max(1, r.timeToBlockExpire),
      };
    } catch (err) {
      // Same stance as the platform limits: a counter outage must not become an API outage.
      this.logger.warn(`Trigger rate-limit store unavailable; request allowed (${String(err)})`);
      return {
        allowed: true,
        limit,
        remaining: limit,
        resetAt: Math.ceil(now / 1000) + 60,
        retryAfterSeconds: 0,
      };
    }
  }

  onApplicationShutdown(): void {
    this.inMemory?.onApplicationShutdown();
  }
}
