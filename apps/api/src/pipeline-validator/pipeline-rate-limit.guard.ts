import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AppConfig, AuthService, rateLimited } from '#platform';

const WINDOW_MS = 60_000;

/**
 * The pipeline service's limit on validate, complete and heartbeat, per key, on its own counter.
 * These routes are exempt from the platform's `writes` limit (120/min per key, shared by every
 * write route): one run is a validate, a complete and its heartbeats, so a scheduler starting an
 * org's runs would hit that limit, and its traffic would refuse the org's other writes. How many
 * runs an org may start is the quota's decision; this limit only stops a runaway client.
 * Counts in the platform's rate-limit storage (Redis when configured, so every instance sees the
 * same number) under its own name; fails open like the platform's limits.
 */
@Injectable()
export class PipelineRateLimitGuard implements CanActivate {
  private readonly logger = new Logger(PipelineRateLimitGuard.name);
  private readonly limit: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly auth: AuthService,
    config: AppConfig,
  ) {
    this.limit = config.env.RATE_LIMIT_PIPELINE_PER_MINUTE;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const tracker = await this.auth.rateLimitTracker(ctx.switchToHttp().getRequest<FastifyRequest>());
    let hit;
    try {
      hit = await this.storage.increment(`pipeline:${tracker}`, WINDOW_MS, this.limit, WINDOW_MS, 'pipeline');
    } catch (err) {
      this.logger.warn(`Rate-limit store unavailable; request allowed (${String(err)})`);
      return true;
    }
    if (hit.isBlocked) throw rateLimited(this.limit, hit.timeToBlockExpire);
    return true;
  }
}
