import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ControllerRoute } from '../auth/controller-routes.js';
import type { AppThrottlerGuard } from './app-throttler.guard.js';

/**
 * Counts a request with a body against its route's rate limits before the body is read (after
 * its credentials were checked, onRequest), rather than in the guard once Fastify has read and
 * parsed it: a key past its writes limit had each refused request's body (up to the body limit,
 * 10 MB) received and parsed for its 429, and a malformed one was a 400 counted by no limit at
 * all. A refused request is answered at once and its connection closed instead of reading the
 * rest of its body. The guard admits a request counted here as it is (`rateLimitsCounted`).
 */
export function countRateLimitsBeforeBody(
  fastify: FastifyInstance,
  guard: AppThrottlerGuard,
  routes: readonly ControllerRoute[],
  hasBody: (request: FastifyRequest) => boolean,
): void {
  const byRoute = new Map(routes.map((r) => [r.route, r]));
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const route = hasBody(request) ? byRoute.get(`${request.method} ${request.routeOptions.url}`) : undefined;
    if (!route) {
      done(null, payload);
      return;
    }
    guard.countRequest(request, reply, route.controller, route.handler).then(
      () => done(null, payload),
      (err: Error) => {
        reply.header('connection', 'close');
        done(err, payload);
      },
    );
  });
}
