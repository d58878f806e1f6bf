import { type ExecutionContext, RequestMethod } from '@nestjs/common';
import {
  GUARDS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';
import { AUTH_KIND, IS_PUBLIC } from './auth.metadata.js';

/** How a route authenticates: the auth decorator on its handler, else on its controller. */
export type RouteAuthKind = 'public' | 'root' | 'org' | 'org-or-root';

export interface ControllerRoute {
  /** `METHOD /path`, the way Fastify names the route. */
  route: string;
  method: string;
  /** The path as Nest declares it (`/api/v1/costs/:org`). */
  url: string;
  controller: new (...a: unknown[]) => object;
  /** The handler (the prototype's method), which carries the route's metadata. */
  handler: ReturnType<ExecutionContext['getHandler']>;
  /** The handler's name on its controller. */
  name: string;
  auth: RouteAuthKind | undefined;
  /** Has a guard (its own or its controller's) or is @Public(). */
  guarded: boolean;
  /** Reads the query string (a `@Query()` parameter). */
  takesQuery: boolean;
}

/** Whether the handler `name` of `ctor` has a `@Query()` parameter (Nest keys them `type:index`). */
const takesQuery = (ctor: object, name: string) =>
  Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, ctor, name) as object | undefined) ?? {}).some(
    (key) => key.startsWith(`${RouteParamtypes.QUERY}:`),
  );

/** A controller's or handler's path metadata: one path, several, or none (''). */
const paths = (meta: unknown): string[] => (Array.isArray(meta) ? meta.map(String) : [String(meta ?? '')]);

/** Every route of the app's controllers, with how it authenticates. */
export function controllerRoutes(modules: ModulesContainer): ControllerRoute[] {
  const scanner = new MetadataScanner();
  const controllers = [...modules.values()].flatMap((m) => [...m.controllers.values()]);
  const routes: ControllerRoute[] = [];
  for (const wrapper of controllers) {
    const ctor = wrapper.metatype as (new (...a: unknown[]) => object) | undefined;
    if (!ctor || !wrapper.instance) continue;
    const classGuards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, ctor) ?? [];
    const classPublic = Reflect.getMetadata(IS_PUBLIC, ctor) === true;
    const classAuth = Reflect.getMetadata(AUTH_KIND, ctor) as RouteAuthKind | undefined;
    const prefixes = paths(Reflect.getMetadata(PATH_METADATA, ctor));
    const proto = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name] as ReturnType<ExecutionContext['getHandler']>;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const guards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, handler) ?? [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const auth = (Reflect.getMetadata(AUTH_KIND, handler) as RouteAuthKind | undefined) ?? classAuth;
      const guarded =
        classPublic ||
        Reflect.getMetadata(IS_PUBLIC, handler) === true ||
        guards.length + classGuards.length > 0;
      for (const prefix of prefixes)
        for (const sub of paths(path)) {
          const url = `/${prefix}/${sub}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
          routes.push({
            route: `${method} ${url}`,
            method,
            url,
            controller: ctor,
            handler,
            name,
            auth,
            guarded,
            takesQuery: takesQuery(ctor, name),
          });
        }
    }
  }
  return routes;
}
