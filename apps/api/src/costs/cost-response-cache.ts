import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  Logger,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { mergeMap, type Observable } from 'rxjs';
import {
  CostCache,
  costDaysEnd,
  type LevelStats,
  LevelCounters,
  occupancyOf,
  type ResultKey,
} from '#analytics';
import {
  AppThrottlerGuard,
  AuthService,
  type OrgKeyPrincipal,
  type RouteClass,
  type RouteHandler,
  type RouteLimit,
} from '#platform';
import { CostContextService, type OrgCostContext } from './cost-context.service.js';
import { jsonInSlices } from './json-in-slices.js';

/** What a cost response was made of: a cached result, and the org's settings at the time. */
export interface ResponseSource {
  ctx: OrgCostContext;
  key: ResultKey;
  value: unknown;
}

const SOURCE = Symbol('cost response source');

/** Marks a response body as made of `source` only (nothing but the cached result and the settings). */
export function withSource<T extends object>(body: T, source: ResponseSource): T {
  // Not enumerable, and a symbol: never serialized, never compared by tests' deep equality.
  Object.defineProperty(body, SOURCE, { value: source, enumerable: false });
  return body;
}

function sourceOf(body: unknown): ResponseSource | undefined {
  return typeof body === 'object' && body !== null
    ? (body as { [SOURCE]?: ResponseSource })[SOURCE]
    : undefined;
}

interface Entry {
  ctx: OrgCostContext;
  key: ResultKey;
  /** The result, not kept alive by this entry once the result cache has let it go. */
  value: WeakRef<object>;
  /**
   * The body up to the value of query_time_ms, and after it, as UTF-8: each answer is one buffer
   * made of these and the time, which Fastify neither measures nor Node encodes again.
   */
  head: Buffer;
  tail: Buffer;
  /**
   * The earlier of the org's next midnight and the next UTC midnight after the response's days:
   * its period (a default one, the cap of its end, whether it is live) may resolve otherwise then.
   */
  validUntil: number;
  scopes: readonly string[];
  limits: readonly RouteLimit[];
}

/** A kept response that may answer a request: the caller admitted, the result still held. */
interface Hit {
  entry: Entry;
  principal: OrgKeyPrincipal;
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** Longer URLs are not kept: every spelling of a read is an entry of its own. */
const MAX_URL_LENGTH = 2048;
const TIME_FIELD = '"query_time_ms":';
const MiB = 1024 * 1024;

/** The top-level fields a kept response answers otherwise: it says a cache hit, and its own time. */
const CACHE_FIELDS = '"cache_hit":';
const SENT_CACHE_FIELDS = /^"cache_hit":(?:true|false),"query_time_ms":-?[0-9.e+-]+/;

/**
 * The kept response made of the `json` sent: up to the value of query_time_ms, with cache_hit
 * true, and after that value. The last `"cache_hit":` is the top-level one: only the envelope's
 * scalars follow it, and a string's quotes are escaped.
 */
function keptParts(json: Buffer): { head: Buffer; tail: Buffer } | undefined {
  const at = json.lastIndexOf(CACHE_FIELDS);
  const fields = at < 0 ? null : SENT_CACHE_FIELDS.exec(json.toString('latin1', at, at + 64));
  if (!fields) return undefined;
  return {
    head: Buffer.concat([json.subarray(0, at), Buffer.from(`${CACHE_FIELDS}true,${TIME_FIELD}`)]),
    // A copy: not a view keeping the whole response alive.
    tail: Buffer.from(json.subarray(at + fields[0].length)),
  };
}

/**
 * Serialized cost responses by exact URL, answered before Nest's router, guards, pipes and
 * serializer (which cost several times the rest of a cached read).
 *
 * A response is kept only after Nest served it (so its URL passed validation) and only when it
 * was made of one cached result (withSource). It is sent again only while everything it was made
 * of still holds, checked on every request: the result cache still holds that very result (an
 * invalidation, expiry or eviction drops it, on every instance through the bus), the org's cost
 * settings are the same, and neither the org's day nor the UTC day has moved on. The caller is
 * admitted by the same rules as Nest's guards from the auth cache alone (the org's key, not
 * expired, with the route's scopes, no root key), and counted against the same rate limits with
 * the same headers. Anything else (an unknown or uncached key, another org, a root key, a stale
 * entry) goes through Nest as usual, which answers and may keep the response again.
 */
@Injectable()
export class CostResponseCache implements OnModuleInit {
  private readonly logger = new Logger(CostResponseCache.name);
  private readonly entries: LRUCache<string, Entry>;
  private readonly counters = new LevelCounters();
  /** The kept URLs of each org, so that dropping an org's responses does not scan everyone's. */
  private readonly urlsByOrg = new Map<string, Set<string>>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly throttler: AppThrottlerGuard,
    private readonly cache: CostCache,
    private readonly contexts: CostContextService,
  ) {
    this.entries = new LRUCache<string, Entry>({
      max: 10_000,
      maxSize: 32 * MiB,
      sizeCalculation: (e, url) => 2 * url.length + e.head.length + e.tail.length + 256,
      dispose: (value, url, reason) => {
        this.counters.disposed(value.ctx.org, reason);
        this.unindex(value.ctx.org, url);
      },
    });
  }

  onModuleInit(): void {
    // Whatever dropped the org's cached costs (an invalidation here or on another instance, an
    // import): its kept responses go too, rather than lingering until they are next asked for.
    this.cache.onOrgDropped((org) => this.dropOrg(org));
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    // After the platform's hooks (request id, security headers, CORS), like every route.
    adapter.getInstance<FastifyInstance>().addHook('onRequest', (request, reply, done) => {
      const hit = request.method === 'GET' ? this.match(request) : undefined;
      if (!hit) {
        done();
        return;
      }
      // Answers here, or passes the 429 of a rate limit to the error handler.
      this.serve(request, reply, hit).catch(done);
    });
  }

  /**
   * Keeps `body` for later requests of the same URL, when it is a response made of a cached result;
   * `json` is the JSON of `body` that was sent.
   */
  private async record(
    request: FastifyRequest,
    classRef: RouteClass,
    handler: RouteHandler,
    body: object,
    json: Buffer,
  ): Promise<void> {
    const source = sourceOf(body);
    if (!source || request.method !== 'GET' || request.url.length > MAX_URL_LENGTH) return;
    const { ctx, key, value } = source;
    if (typeof value !== 'object' || value === null) return;
    const limits = await this.throttler.readLimits(classRef, handler);
    if (!limits || !this.cache.holdsResult(ctx.org, key, value, false)) return;
    const kept = keptParts(json);
    if (!kept) throw new Error(`no top-level ${CACHE_FIELDS} in the response of ${request.routeOptions.url}`);
    this.entries.set(request.url, {
      ctx,
      key,
      value: new WeakRef(value),
      ...kept,
      validUntil: costDaysEnd(ctx, ctx.timeZone),
      scopes: this.auth.requiredScopes(handler, classRef),
      limits,
    });
    // Not kept when larger than the cache allows: then there is nothing to index.
    if (!this.entries.has(request.url)) return;
    let urls = this.urlsByOrg.get(ctx.org);
    if (!urls) this.urlsByOrg.set(ctx.org, (urls = new Set()));
    urls.add(request.url);
  }

  /**
   * The response level of /cache/stats: hits (reads answered here), misses (kept responses found
   * out of date, then answered by Nest), expirations (kept past their `validUntil`); a read with
   * no kept response is not counted, so its hit rate is that of the responses kept. The
   * instance's, or with `org` only that org's.
   */
  stats(org?: string): LevelStats {
    this.dropDead();
    const held =
      org === undefined
        ? { size: this.entries.size, bytes: this.entries.calculatedSize }
        : occupancyOf(this.entries, this.urlsByOrg.get(org) ?? []);
    return this.counters.snapshot(org, held, this.entries.max, this.entries.maxSize);
  }

  /**
   * Drops the kept responses that can never be sent again, so the stats count live ones: past their
   * `validUntil` (an expiration, as when asked for), or made of a result the cost cache no longer
   * holds (it expired, was evicted or invalidated; not a miss, since nobody asked).
   */
  private dropDead(): void {
    const now = this.cache.clock.now();
    for (const [url, entry] of [...this.entries.entries()]) {
      if (now >= entry.validUntil) {
        this.counters.add(entry.ctx.org, 'expirations');
        this.entries.delete(url);
        continue;
      }
      const value = entry.value.deref();
      if (!value || !this.cache.holdsResult(entry.ctx.org, entry.key, value, false)) this.entries.delete(url);
    }
  }

  private match(request: FastifyRequest): Hit | undefined {
    const entry = this.entries.get(request.url);
    if (!entry) return undefined;
    const { ctx, key } = entry;
    const principal = this.auth.admitsFromCache(request, ctx.org, entry.scopes);
    if (!principal) return undefined;
    if (this.cache.clock.now() >= entry.validUntil) {
      this.counters.add(ctx.org, 'expirations');
      this.entries.delete(request.url);
      return undefined;
    }
    const value = entry.value.deref();
    if (!value || !this.contexts.isCurrent(ctx) || !this.cache.holdsResult(ctx.org, key, value, false)) {
      this.counters.add(ctx.org, 'misses');
      this.entries.delete(request.url);
      return undefined;
    }
    return { entry, principal };
  }

  private async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    { entry, principal }: Hit,
  ): Promise<void> {
    // Known already: the rate limit's tracker is then the key's id, without hashing the key again.
    request.auth = { kind: 'org', principal };
    await this.throttler.countLimits(request, reply, entry.limits);
    this.auth.admit(request, principal);
    this.counters.add(entry.ctx.org, 'hits');
    // A hit of the result level too (and its recency in that cache), as when Nest answers it; only
    // now, so that a read the rate limit refused counts at no level.
    this.cache.getResult(entry.ctx.org, entry.key);
    const ms = String(Math.round(reply.elapsedTime * 100) / 100);
    const { head, tail } = entry;
    const body = Buffer.allocUnsafe(head.length + ms.length + tail.length);
    head.copy(body, 0);
    body.write(ms, head.length, 'latin1');
    tail.copy(body, head.length + ms.length);
    reply.header('content-type', JSON_TYPE).send(body);
  }

  /** Drops the org's kept responses; returns how many there were. */
  dropOrg(org: string): number {
    const urls = [...(this.urlsByOrg.get(org) ?? [])];
    // Each delete runs dispose, which takes the URL out of the index.
    for (const url of urls) this.entries.delete(url);
    this.counters.add(org, 'invalidations', urls.length);
    return urls.length;
  }

  private unindex(org: string, url: string): void {
    const urls = this.urlsByOrg.get(org);
    if (!urls) return;
    urls.delete(url);
    if (urls.size === 0) this.urlsByOrg.delete(org);
  }

  /** For the recorder: a failure to keep a response never fails the request that produced it. */
  keep(
    request: FastifyRequest,
    classRef: RouteClass,
    handler: RouteHandler,
    body: object,
    json: Buffer,
  ): void {
    this.record(request, classRef, handler, body, json).catch((err: unknown) =>
      this.logger.warn(`Cost response not kept: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
}

/**
 * Sends the cost controller's responses as the bytes of their JSON, written a slice of their rows
 * at a time (jsonInSlices: the same bytes Fastify's JSON.stringify gave, without holding the event
 * loop for a large one), and hands them to the response cache (see CostResponseCache).
 */
@Injectable()
export class CostResponseRecorder implements NestInterceptor {
  constructor(private readonly responses: CostResponseCache) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        if (typeof body !== 'object' || body === null) return body;
        const json = await jsonInSlices(body as Record<string, unknown>);
        if (reply.statusCode === 200)
          this.responses.keep(request, context.getClass(), context.getHandler(), body, json);
        // What Fastify names a body it serializes itself; a Buffer would otherwise be sent as octets.
        reply.header('content-type', JSON_TYPE);
        return json;
      }),
    );
  }
}
