import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ControllerRoute } from '../auth/controller-routes.js';
import type { AppThrottlerGuard } from './app-throttler.guard.js';

/** Counts a request against its route's rate limits; rejects with the 429 when one refuses it. */
export type CountBeforeBody = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Counts a request with a body against its route's rate limits before the body is read (once its
 * credentials were checked, in the same onRequest hook), rather than in the guard once Fastify has
 * read and parsed it: a key past its writes limit had each refused request's body (up to the body
 * limit, 10 MB) received and parsed for its 429, and a malformed one was a 400 counted by no limit
 * at all. A refused request is answered at once and its connection closed instead of reading the
 * rest of its body. The guard admits a request counted here as it is (`rateLimitsCounted`).
 */
export function rateLimitsBeforeBody(
  guard: AppThrottlerGuard,
  routes: readonly ControllerRoute[],
): CountBeforeBody {
  const byRoute = new Map(routes.map((r) => [r.route, r]));
  return async (request, reply) => {
    const route = byRoute.get(`${request.method} ${request.routeOptions.url}`);
    if (!route) return;
    try {
      await guard.countRequest(request, reply, route.controller, route.handler);
    } catch (err) {
      reply.header('connection', 'close');
      throw err;
    }
  };
}
