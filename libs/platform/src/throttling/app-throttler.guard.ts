import { applyDecorators, type ExecutionContext, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  SkipThrottle,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuthService } from '../auth/auth.guards.js';
import { AUTH_KIND } from '../auth/auth.metadata.js';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const THROTTLER_NAMES = ['reads', 'writes', 'admin', 'heavy-reads', 'pipeline-service'] as const;

const HEAVY_READ = 'finops:heavy-read';

/**
 * A read that costs far more than the others (reference: trend-granular, 30/min): it also counts
 * against the `heavy-reads` limit, on top of the shared reads limit.
 */
export const HeavyRead = () => SetMetadata(HEAVY_READ, true);

export const isHeavyRead = (ctx: ExecutionContext) =>
  Reflect.getMetadata(HEAVY_READ, ctx.getHandler()) === true;

const PIPELINE_SERVICE = 'finops:pipeline-service';

/**
 * The pipeline service's calls (validate, complete, heartbeat): their own per-key limit instead of
 * the shared writes limit. One run is a validate, a complete and its heartbeats, so a scheduler
 * starting an org's runs would hit the writes limit, and its traffic would refuse the org's other
 * writes. How many runs an org may start is the quota's decision; this limit only stops a runaway
 * client. Counted by the global guard like the other named limits, so before authentication.
 */
export const PipelineServiceLimit = () =>
  applyDecorators(SetMetadata(PIPELINE_SERVICE, true), SkipThrottle({ writes: true }));

export const isPipelineServiceRoute = (ctx: ExecutionContext) =>
  Reflect.getMetadata(PIPELINE_SERVICE, ctx.getHandler()) === true;

/** Exempts a route from every named limit (`@SkipThrottle()` alone only skips the unnamed default). */
export const SkipRateLimits = () => SkipThrottle(Object.fromEntries(THROTTLER_NAMES.map((n) => [n, true])));

export const isReadRequest = (ctx: ExecutionContext) =>
  READ_METHODS.has(ctx.switchToHttp().getRequest<FastifyRequest>().method);

export const isAdminRoute = (ctx: ExecutionContext) =>
  (Reflect.getMetadata(AUTH_KIND, ctx.getHandler()) ?? Reflect.getMetadata(AUTH_KIND, ctx.getClass())) ===
  'root';

/**
 * Named limits (reads, writes, admin, heavy-reads, pipeline-service) per key, shared by all routes of that kind; a refusal is a
 * problem+json 429 with `Retry-After` in seconds.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  private readonly storeLogger = new Logger('Throttler');

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly auth: AuthService,
  ) {
    super(options, storage, reflector);
  }

  /**
   * Fails open: when the shared counter store (Redis) is unreachable the request goes through and
   * the outage is logged, because refusing every request would turn a cache outage into an API outage.
   */
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      this.storeLogger.warn(
        `Rate-limit store unavailable; request allowed (${err instanceof Error ? err.message : 'unknown error'})`,
      );
      return true;
    }
  }
  // The signature is ThrottlerGuard's (a loose record); our requests are Fastify's.
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve(this.auth.rateLimitTracker(req as unknown as FastifyRequest));
  }

  protected override generateKey(_ctx: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override async throwThrottlingException(
    _ctx: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw rateLimited(detail.limit, detail.timeToBlockExpire);
  }
}

/** The 429 of every rate limit: `Retry-After` in whole seconds (at least 1) and the limit. */
export function rateLimited(limit: number, timeToBlockExpire: number): PlatformError {
  const seconds = Math.max(1, Math.ceil(timeToBlockExpire));
  return new PlatformError(
    PlatformErrorCode.RateLimited,
    `Rate limit of ${limit} requests exceeded; retry in ${seconds} s.`,
    {
      headers: { 'Retry-After': String(seconds) },
      extra: { retry_after_seconds: seconds, limit },
    },
  );
}
