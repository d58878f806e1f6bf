import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  AppConfig,
  PlatformError,
  PlatformErrorCode,
  REDIS_CLIENT,
  RedisThrottlerStorage,
  trackerFor,
} from '#platform';

const WINDOW_MS = 60_000;

/**
 * The pipeline service's limit on validate, complete and heartbeat, per key, on its own counter.
 * These routes are exempt from the platform's `writes` limit (120/min per key, shared by every
 * write route): one run is a validate, a complete and its heartbeats, so a scheduler starting an
 * org's runs would hit that limit, and its traffic would refuse the org's other writes. How many
 * runs an org may start is the quota's decision; this limit only stops a runaway client.
 * Counts in Redis when configured, so every instance sees the same number; fails open like the
 * platform's limits.
 */
@Injectable()
export class PipelineRateLimitGuard implements CanActivate, OnApplicationShutdown {
  private readonly logger = new Logger(PipelineRateLimitGuard.name);
  private readonly storage: ThrottlerStorage;
  private readonly inMemory: ThrottlerStorageService | null;
  private readonly limit: number;

  constructor(@Inject(REDIS_CLIENT) redis: Redis | null, config: AppConfig) {
    this.limit = config.env.RATE_LIMIT_PIPELINE_PER_MINUTE;
    this.inMemory = redis ? null : new ThrottlerStorageService();
    this.storage =
      this.inMemory ??
      new RedisThrottlerStorage(redis as Redis, { prefix: `finops:${config.environment}:throttle` });
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const key = `pipeline:${trackerFor(ctx.switchToHttp().getRequest<FastifyRequest>())}`;
    let hit;
    try {
      hit = await this.storage.increment(key, WINDOW_MS, this.limit, WINDOW_MS, 'pipeline');
    } catch (err) {
      this.logger.warn(`Rate-limit store unavailable; request allowed (${String(err)})`);
      return true;
    }
    if (!hit.isBlocked) return true;
    const seconds = Math.max(1, Math.ceil(hit.timeToBlockExpire));
    throw new PlatformError(
      PlatformErrorCode.RateLimited,
      `Rate limit of ${this.limit} requests exceeded; retry in ${seconds} s.`,
      {
        headers: { 'Retry-After': String(seconds) },
        extra: { retry_after_seconds: seconds, limit: this.limit },
      },
    );
  }

  onApplicationShutdown(): void {
    this.inMemory?.onApplicationShutdown();
  }
}
