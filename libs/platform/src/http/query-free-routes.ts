import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { ControllerRoute } from '../auth/controller-routes.js';
import { unknownFieldsError } from '../errors/validation.js';

/**
 * Query parameters sent to a route with credentials that reads none (no `@Query()`) are 422 naming
 * them, as the global pipe's whitelist refuses them on the routes that do: ignored, `?dry_run=true`
 * on a batch run, `?date=…` on a trigger or a quota job, or a filter on a read, did the request's
 * whole work as if they had not been written, and answered 200. Public routes (probes, a scrape,
 * the pipeline catalogue) read nothing a parameter could change, and a prober's own parameters
 * must not fail them.
 *
 * An interceptor, so after the guards (a caller without credentials is told that first) and before
 * anything runs; a route that takes a query validates it with its DTO instead.
 */
export class QueryFreeRoutes implements NestInterceptor {
  /** The handlers that take no query: with credentials and no `@Query()`. */
  private readonly queryFree = new WeakSet<object>();

  constructor(routes: readonly ControllerRoute[]) {
    for (const route of routes) if (isQueryFree(route)) this.queryFree.add(route.handler);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http' && this.queryFree.has(context.getHandler())) {
      const { query } = context.switchToHttp().getRequest<FastifyRequest>();
      const names = query !== null && typeof query === 'object' ? Object.keys(query) : [];
      if (names.length) throw unknownFieldsError(names);
    }
    return next.handle();
  }
}

/** A route that refuses query parameters (see QueryFreeRoutes). */
export const isQueryFree = (route: ControllerRoute) =>
  !route.takesQuery && route.auth !== undefined && route.auth !== 'public';
