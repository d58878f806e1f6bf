import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AppThrottlerGuard,
  type ControllerRoute,
  controllerRoutes,
  REQUIRED_SCOPES,
  type RouteAuthKind,
} from '#platform';
import { IDEMPOTENT } from '../idempotency/idempotency.constants.js';

/** What the app itself says about a route, from which its error answers and headers follow. */
export interface RouteFacts {
  auth: RouteAuthKind;
  /** The scopes an org key needs (none: any key of the org). */
  scopes: string[];
  /** Counted against named rate limits: a 429 when one is spent. */
  rateLimited: boolean;
  /** Which ones (reads, writes, admin, ...), as their headers name them. */
  limits: string[];
  /** Takes a DTO (query, path or body) that the global validation pipe checks: a 422 when refused. */
  validatesInput: boolean;
  /** @Idempotent(): an Idempotency-Key's first response is replayed. */
  idempotent: boolean;
  /** Answers while the instance shuts down, instead of the 503 every other route gives then. */
  answersWhileClosing: boolean;
}

/** A probe Fastify serves itself (`/`, `/health`): public, never validated nor counted. */
export const probeFacts = (answersWhileClosing: boolean): RouteFacts => ({
  auth: 'public',
  scopes: [],
  rateLimited: false,
  limits: [],
  validatesInput: false,
  idempotent: false,
  answersWhileClosing,
});

/** `get /api/v1/costs/{org}`: an operation as the document names it. */
export const operationKey = (method: string, path: string) => `${method.toLowerCase()} ${path}`;

/** Nest's `:org` as OpenAPI's `{org}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** What the global ValidationPipe leaves alone (its toValidate): primitives and plain objects. */
const UNVALIDATED: ReadonlySet<unknown> = new Set([String, Boolean, Number, Array, Object, Buffer, Date]);
const VALIDATED_ARGS: ReadonlySet<number> = new Set([
  RouteParamtypes.BODY,
  RouteParamtypes.QUERY,
  RouteParamtypes.PARAM,
]);

/** Whether a @Body(), @Query() or @Param() argument of the handler is a DTO class. */
function validatesInput(route: ControllerRoute): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.name) ?? {}) as Record<
    string,
    { index: number }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype, route.name) ??
    []) as unknown[];
  return Object.entries(args).some(([key, arg]) => {
    // Keys are `<RouteParamtypes>:<index>`; a custom decorator's is `<id>__customRouteArgs__:<index>`.
    const type = Number(key.split(':')[0]);
    const metatype = types[arg.index];
    return VALIDATED_ARGS.has(type) && metatype !== undefined && !UNVALIDATED.has(metatype);
  });
}

const metadata = <T>(key: string, route: ControllerRoute): T | undefined =>
  (Reflect.getMetadata(key, route.handler) ?? Reflect.getMetadata(key, route.controller)) as T | undefined;

/**
 * The facts of every controller route, by operationKey. The limits are the throttler guard's own
 * resolution of each route (skip rules, per-method limits), so the app must be initialised.
 */
export async function routeFacts(app: NestFastifyApplication): Promise<Map<string, RouteFacts>> {
  const guard = app.get(AppThrottlerGuard);
  const facts = new Map<string, RouteFacts>();
  for (const route of controllerRoutes(app.get(ModulesContainer))) {
    // Null when the guard counts the route some other way than by a plan (none does): it is
    // still counted, under names the document cannot tell.
    const limits = await guard.routeLimits(route.controller, route.handler, route.method);
    facts.set(operationKey(route.method, openApiPath(route.url)), {
      auth: route.auth ?? 'public',
      scopes: metadata<string[]>(REQUIRED_SCOPES, route) ?? [],
      rateLimited: limits === null || limits.length > 0,
      limits: [...new Set((limits ?? []).map((l) => l.name))],
      validatesInput: validatesInput(route),
      idempotent: metadata(IDEMPOTENT, route) !== undefined,
      answersWhileClosing: false,
    });
  }
  return facts;
}
