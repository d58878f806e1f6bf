import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { RATE_LIMIT_HEADERS } from '../throttling/limit-names.js';
import type { HeaderList } from './security-headers.js';

export const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-API-Key',
  'X-CA-Root-Key',
  'X-User-ID',
  'X-Request-ID',
  'Idempotency-Key',
  // `Prefer: respond-async` asks the FOCUS import for its 202 at once (RFC 7240).
  'Prefer',
];
export const CORS_EXPOSED_HEADERS = [
  // Where a 202 import is polled.
  'Location',
  'X-Request-ID',
  'X-API-Version',
  // A download's file name (pipeline logs as CSV or JSON).
  'Content-Disposition',
  'WWW-Authenticate',
  'Retry-After',
  'Idempotency-Key',
  'Idempotent-Replayed',
  // The pipelines proxy's own (the reference's names); the API's named limits send suffixed ones.
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  ...RATE_LIMIT_HEADERS,
  'Deprecation',
  'Sunset',
];

export type CorsRequestHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

export interface Cors {
  /**
   * @fastify/cors' own request hook (its preflight answer, or 400 for a bad preflight), for a listed
   * origin; an origin not listed gets only `Vary: Origin` (and its preflight an empty 204).
   */
  hook: CorsRequestHook;
  /** What a request without an Origin header (no browser CORS involved) gets, without running the hook. */
  withoutOrigin: HeaderList;
  /**
   * What the hook gives an actual (not preflight) request from `origin`, for an answer made
   * without it (a plain OPTIONS, which the hook would take for a malformed preflight).
   */
  actual(origin: string | undefined): HeaderList;
}

export function corsOptions(origins: string[]): FastifyCorsOptions {
  return {
    origin: origins,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  };
}

/**
 * Registers @fastify/cors (its decorator and the `OPTIONS *` preflight route) but keeps its request
 * hook instead of adding it, so the platform's single request hook can run it only for requests
 * that carry an Origin (or are preflights). Nest's adapter captures the hook the same way for
 * `enableCors()`.
 */
export async function registerCors(app: NestFastifyApplication, origins: string[]): Promise<Cors> {
  const options = corsOptions(origins);
  if (origins.includes('*')) throw new Error('CORS origin "*" is refused: credentials are sent');
  let hook: CorsRequestHook | undefined;
  const plugin = async (instance: FastifyInstance) => {
    const capturing: FastifyInstance = new Proxy(instance, {
      get(target, prop) {
        if (prop === 'addHook')
          return (name: string, fn: CorsRequestHook) => {
            if (name === 'onRequest' && !hook) {
              hook = fn;
              return capturing;
            }
            return target.addHook(name as 'onRequest', fn);
          };
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await new Promise<void>((resolve, reject) =>
      fastifyCors(capturing, options, (err?: Error) => (err ? reject(err) : resolve())),
    );
  };
  // Like fastify-plugin: registered on the root context, so the decorator and route are global.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'finops-cors',
  });
  await app.register(plugin);
  if (!hook) throw new Error('@fastify/cors did not add its request hook');
  const corsHook = hook;
  const allowed = new Set(origins);
  const vary: HeaderList = [['vary', 'Origin']];
  const exposed = CORS_EXPOSED_HEADERS.join(', ');
  // An origin not listed gets no CORS header, only Vary: for it @fastify/cors leaves out only
  // Access-Control-Allow-Origin, and sends Access-Control-Allow-Credentials, the exposed headers and,
  // on a preflight, the methods, headers and max age it allows. Its preflight is still answered
  // (204, as before): without an Allow-Origin the browser refuses it all the same.
  const refused: CorsRequestHook = (request, reply, done) => {
    reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS') reply.code(204).header('content-length', '0').send();
    else done();
  };
  return {
    hook: (request, reply, done) => {
      const origin = request.headers.origin;
      if (origin !== undefined && !allowed.has(origin)) refused(request, reply, done);
      else corsHook(request, reply, done);
    },
    actual: (origin) =>
      origin !== undefined && allowed.has(origin)
        ? [
            ['access-control-allow-origin', origin],
            ['access-control-allow-credentials', 'true'],
            ['access-control-expose-headers', exposed],
            ...vary,
          ]
        : vary,
    // An origin list (not one fixed string) always varies by Origin, so caches keep the answers
    // apart. The rest of @fastify/cors' headers are left out: a request without Origin is not a CORS
    // request, and browsers read Access-Control-* only on CORS responses (Fetch standard §3.2).
    withoutOrigin: vary,
  };
}
