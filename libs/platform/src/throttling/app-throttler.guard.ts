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
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthService, type RouteClass, type RouteHandler } from '../auth/auth.guards.js';
import { AUTH_KIND } from '../auth/auth.metadata.js';
import type { RouteAuthKind } from '../auth/controller-routes.js';
import { PlatformError, rateLimited } from '../errors/platform-errors.js';
import { THROTTLER_NAMES } from './limit-names.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export { THROTTLER_NAMES } from './limit-names.js';

const HEAVY_READ = 'finops:heavy-read';

/**
 * A read that costs far more than the others (reference: trend-granular, 30/min): it also counts
 * against the `heavy-reads` limit, on top of the shared reads limit.
 */
export const HeavyRead = () => SetMetadata(HEAVY_READ, true);

export const isHeavyRead = (ctx: ExecutionContext) =>
  Reflect.getMetadata(HEAVY_READ, ctx.getHandler()) === true;

const PIPELINE_SERVICE = 'finops:pipeline-service';

/** Which bucket of the pipeline-service limit a route counts against. */
export type PipelineServiceBucket = 'starts' | 'outcomes';

/**
 * The pipeline service's calls (validate, complete, heartbeat): their own per-key limit instead of
 * the shared writes limit. One run is a validate, a complete and its heartbeats, so a scheduler
 * starting an org's runs would hit the writes limit, and its traffic would refuse the org's other
 * writes. How many runs an org may start is the quota's decision; this limit only stops a runaway
 * client. Starts (validate) and outcomes (complete, heartbeat) are counted in two buckets of the
 * limit's size: a burst of validate calls (a scheduler retrying refused runs) must never refuse
 * the completions that free slots, which the pipeline service does not retry. Counted by the
 * global guard like the other named limits, so before authentication.
 */
export const PipelineServiceLimit = (bucket: PipelineServiceBucket) =>
  applyDecorators(SetMetadata(PIPELINE_SERVICE, bucket), SkipThrottle({ writes: true }));

const pipelineServiceBucket = (ctx: ExecutionContext): PipelineServiceBucket | undefined =>
  Reflect.getMetadata(PIPELINE_SERVICE, ctx.getHandler()) as PipelineServiceBucket | undefined;

export const isPipelineServiceRoute = (ctx: ExecutionContext) => pipelineServiceBucket(ctx) !== undefined;

/** Exempts a route from every named limit (`@SkipThrottle()` alone only skips the unnamed default). */
export const SkipRateLimits = () => SkipThrottle(Object.fromEntries(THROTTLER_NAMES.map((n) => [n, true])));

export const isReadRequest = (ctx: ExecutionContext) =>
  READ_METHODS.has(ctx.switchToHttp().getRequest<FastifyRequest>().method);

/** How the route authenticates: its handler's auth decorator, else its controller's. */
const routeAuthKind = (classRef: RouteClass, handler: RouteHandler) =>
  (Reflect.getMetadata(AUTH_KIND, handler) ?? Reflect.getMetadata(AUTH_KIND, classRef)) as
    RouteAuthKind | undefined;
const authKindOf = (ctx: ExecutionContext) => routeAuthKind(ctx.getClass(), ctx.getHandler());

export const isAdminRoute = (ctx: ExecutionContext) => authKindOf(ctx) === 'root';

const SHARED_LIMITS = new Set(['reads', 'writes']);
/** Orders the limits shared by every route of a method (reads, writes) after the others. */
const sharedLast = (a: RouteLimit, b: RouteLimit) =>
  Number(SHARED_LIMITS.has(a.name)) - Number(SHARED_LIMITS.has(b.name));

/** One named limit a route counts against, as canActivate resolved it. */
export interface RouteLimit {
  name: string;
  limit: number;
  ttl: number;
  blockDuration: number;
  setHeaders: boolean;
  /** The storage key's name part (the limit's, or its bucket's), before the tracker. */
  keyName: string;
}

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

  /** canActivate's resolution of the limits of a planned request (see limitsOf), not a real one. */
  private readonly planning = new WeakMap<object, (RouteLimit | null)[]>();
  private readonly plans = new Map<RouteHandler, Map<string, Promise<RouteLimit[] | null>>>();

  /**
   * The named limits a GET of `handler` counts against, so that a path serving the route outside
   * Nest's pipeline (the cost response cache) counts what this guard would (see limitsOf).
   */
  readLimits(classRef: RouteClass, handler: RouteHandler): Promise<RouteLimit[] | null> {
    return this.limitsOf(classRef, handler, 'GET');
  }

  /**
   * The named limits a request of `method` to `handler` counts against (see limitsOf), for what
   * describes the routes (the OpenAPI document's 429s and rate-limit headers). Once the guard is
   * initialised (its limits are read from the module's options then).
   */
  routeLimits(classRef: RouteClass, handler: RouteHandler, method: string): Promise<RouteLimit[] | null> {
    return this.limitsOf(classRef, handler, method);
  }

  /**
   * What ThrottlerGuard.canActivate does, from the limits it resolved once per route and method:
   * its metadata lookups and value resolution for every named limit cost ~14 µs a request. The
   * guard's own way when the limits cannot be planned.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    if (this.planning.has(req)) return super.canActivate(context);
    if (req.rateLimitsCounted) return true;
    const reply = http.getResponse<FastifyReply>();
    if (await this.countRequest(req, reply, context.getClass(), context.getHandler())) return true;
    return super.canActivate(context);
  }

  /**
   * Counts a request to the route of `handler` against the limits planned for it, as canActivate
   * does, and marks it counted (canActivate then admits it as it is): also before its body is read
   * (http-platform's preParsing hook), so that a refused request costs no read nor parse of its
   * body. False when its limits cannot be planned: the guard counts it its own way then.
   */
  async countRequest(
    req: FastifyRequest,
    reply: FastifyReply,
    classRef: RouteClass,
    handler: RouteHandler,
  ): Promise<boolean> {
    const limits = await this.limitsOf(classRef, handler, req.method);
    if (!limits) return false;
    // A valid key's first request is counted against the key (see AuthService.lookUpForRateLimits).
    const kind = routeAuthKind(classRef, handler);
    if (limits.length) await this.auth.lookUpForRateLimits(req, kind);
    await this.countLimits(req, reply, limits, kind);
    req.rateLimitsCounted = true;
    return true;
  }

  /** Counts a request against `limits`, in their order, as canActivate would (`kind`: the route's auth). */
  async countLimits(
    req: FastifyRequest,
    reply: FastifyReply,
    limits: readonly RouteLimit[],
    kind?: RouteAuthKind,
  ): Promise<void> {
    if (!limits.length) return;
    const tracker = this.auth.rateLimitTracker(req, kind);
    // The narrow limits (admin, heavy-reads, pipeline-service) first: a request one of them refuses
    // is not served, so it must not use up the shared reads or writes limit too (a root key past
    // its admin limit had every other read refused, the heavy reads a dashboard retried blocked its
    // whole dashboard).
    for (const limit of [...limits].sort(sharedLast))
      await this.count(reply, limit, () => `${limit.keyName}:${tracker}`);
  }

  /**
   * The named limits a request of `method` to `handler` counts against, resolved once by
   * ThrottlerGuard.canActivate itself (skip metadata, skipIf, per-route limits): every one of them
   * depends on the route and the method alone. Null when they cannot be counted from a plan (a
   * custom tracker or key generator, ignored user agents).
   */
  private limitsOf(
    classRef: RouteClass,
    handler: RouteHandler,
    method: string,
  ): Promise<RouteLimit[] | null> {
    let byMethod = this.plans.get(handler);
    if (!byMethod) this.plans.set(handler, (byMethod = new Map()));
    let plan = byMethod.get(method);
    if (!plan) {
      plan = this.plan(classRef, handler, method);
      byMethod.set(method, plan);
    }
    return plan;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(request.context);
    const limit = this.routeLimit(request);
    const plan = this.planning.get(req);
    if (plan) {
      plan.push(limit);
      return true;
    }
    if (!limit) return this.failOpen(() => super.handleRequest(request));
    return this.count(res as FastifyReply, limit, async () =>
      request.generateKey(request.context, await request.getTracker(req, request.context), limit.name),
    );
  }

  /**
   * One request against one limit: the X-RateLimit-* headers, or the 429 once the key is blocked
   * (what ThrottlerGuard.handleRequest does, shared with countLimits).
   */
  private count(
    reply: FastifyReply,
    limit: RouteLimit,
    keyOf: () => string | Promise<string>,
  ): Promise<boolean> {
    return this.failOpen(async () => {
      const key = await keyOf();
      const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.storageService.increment(
        key,
        limit.ttl,
        limit.limit,
        limit.blockDuration,
        limit.name,
      );
      const suffix = limit.name === 'default' ? '' : `-${limit.name}`;
      const remaining = isBlocked ? 0 : Math.max(0, limit.limit - totalHits);
      const reset = isBlocked ? timeToBlockExpire : timeToExpire;
      // On a refusal too: the limit that refused the request, as on the requests it admitted.
      if (limit.setHeaders) {
        reply.header(`${this.headerPrefix}-Limit${suffix}`, limit.limit);
        reply.header(`${this.headerPrefix}-Remaining${suffix}`, remaining);
        reply.header(`${this.headerPrefix}-Reset${suffix}`, reset);
        if (isBlocked) reply.header(`Retry-After${suffix}`, timeToBlockExpire);
      }
      if (isBlocked) throw rateLimited(limit.limit, timeToBlockExpire);
      return true;
    });
  }

  /**
   * Fails open: should counting fail (the Redis storage counts in memory while Redis is out, so
   * this is anything else), the request goes through and the failure is logged, because refusing
   * every request would turn a counter's failure into an API outage.
   */
  private async failOpen(counting: () => Promise<boolean>): Promise<boolean> {
    try {
      return await counting();
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      this.storeLogger.warn(
        `Rate-limit store unavailable; request allowed (${err instanceof Error ? err.message : 'unknown error'})`,
      );
      return true;
    }
  }

  /** The limit of a request when this guard counts it by its own tracker and key; null otherwise. */
  private routeLimit(request: ThrottlerRequest): RouteLimit | null {
    const { throttler } = request;
    const custom =
      request.getTracker !== this.commonOptions.getTracker ||
      request.generateKey !== this.commonOptions.generateKey ||
      Array.isArray(throttler.ignoreUserAgents ?? this.commonOptions.ignoreUserAgents);
    if (custom) return null;
    return {
      name: throttler.name ?? 'default',
      limit: request.limit,
      ttl: request.ttl,
      blockDuration: request.blockDuration,
      setHeaders: throttler.setHeaders ?? this.commonOptions.setHeaders ?? true,
      keyName: this.keyName(request.context, throttler.name ?? 'default'),
    };
  }

  private async plan(
    classRef: RouteClass,
    handler: RouteHandler,
    method: string,
  ): Promise<RouteLimit[] | null> {
    const req = { method, headers: {} };
    const limits: (RouteLimit | null)[] = [];
    this.planning.set(req, limits);
    const context = new ExecutionContextHost([req, undefined, undefined], classRef, handler);
    context.setType('http');
    try {
      await this.canActivate(context);
    } finally {
      this.planning.delete(req);
    }
    return limits.every((l): l is RouteLimit => l !== null) ? limits : null;
  }

  // The signature is ThrottlerGuard's (a loose record); our requests are Fastify's. The guard
  // passes the context too (ThrottlerGetTrackerFunction), which its declaration leaves out.
  protected override async getTracker(
    req: Record<string, unknown>,
    context?: ExecutionContext,
  ): Promise<string> {
    const request = req as unknown as FastifyRequest;
    const kind = context && authKindOf(context);
    if (kind) await this.auth.lookUpForRateLimits(request, kind);
    return this.auth.rateLimitTracker(request, kind);
  }

  protected override generateKey(ctx: ExecutionContext, tracker: string, name: string): string {
    return `${this.keyName(ctx, name)}:${tracker}`;
  }

  private keyName(ctx: ExecutionContext, name: string): string {
    const bucket = name === 'pipeline-service' ? pipelineServiceBucket(ctx) : undefined;
    return bucket === 'outcomes' ? `${name}:outcomes` : name;
  }

  protected override async throwThrottlingException(
    _ctx: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw rateLimited(detail.limit, detail.timeToBlockExpire);
  }
}
