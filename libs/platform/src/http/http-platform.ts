import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { ProblemDetailsFilter, ProblemResponder } from '../errors/problem-details.filter.js';
import type { ErrorCatalog } from '../errors/problem.js';
import { createValidationPipe } from '../errors/validation.js';
import type { HttpMetrics } from './http-metrics.js';
import { RouteTable } from './route-table.js';

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI needs its own scripts and inline styles; only /docs gets this policy. */
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

export const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-API-Key',
  'X-CA-Root-Key',
  'X-User-ID',
  'X-Request-ID',
  'Idempotency-Key',
];
export const CORS_EXPOSED_HEADERS = [
  'X-Request-ID',
  'Retry-After',
  'Idempotency-Key',
  'Idempotent-Replayed',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Deprecation',
  'Sunset',
];

export interface HttpPlatformDeps {
  config: AppConfig;
  catalog: ErrorCatalog;
  metrics: HttpMetrics;
}

/**
 * Everything HTTP-wide, registered before the routes: request ids, security headers, CORS, the
 * problem+json error path (Nest and Fastify alike), 404 vs 405, access logs and metrics.
 */
export async function registerHttpPlatform(
  app: NestFastifyApplication,
  deps: HttpPlatformDeps,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const routes = new RouteTable();
  const responder = new ProblemResponder(deps.catalog, routes);

  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-ID', request.id);
  });

  await app.register(helmet, {
    contentSecurityPolicy: false,
    hsts: deps.config.isProduction ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
  // Graceful shutdown: a request still in flight when closing starts gets its answer, and its
  // keep-alive connection is then closed, otherwise the server would wait for the client to hang up.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('Content-Security-Policy', request.url.startsWith('/docs') ? DOCS_CSP : API_CSP);
    reply.header('Permissions-Policy', 'geolocation=(), microphone=(), camera=()');
    if (closing) reply.header('Connection', 'close');
    return payload;
  });
  await app.register(cors, {
    origin: deps.config.corsOrigins,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? '(unmatched)';
    const latencyMs = reply.elapsedTime;
    deps.metrics.observe(request.method, route, reply.statusCode, latencyMs / 1000);
    const auth = request.auth;
    request.log.info(
      {
        method: request.method,
        route,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        latency_ms: Math.round(latencyMs * 100) / 100,
        org: auth?.kind === 'org' ? auth.principal.orgSlug : auth?.kind === 'root' ? 'root' : undefined,
      },
      'request completed',
    );
  });

  // Nest installs Fastify's error handler itself and routes parser errors to this global filter.
  app.useGlobalFilters(new ProblemDetailsFilter(responder));
  app.useGlobalPipes(createValidationPipe());
}
