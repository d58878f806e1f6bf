import { Injectable, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Records every route Fastify registers, Nest's and everyone else's (probes, Swagger UI, CORS
 * preflight), as `METHOD /path`. Its constructor runs while modules are instantiated, before Nest
 * registers its routes and before any module's init hook can add Fastify routes of its own.
 */
@Injectable()
export class RouteRecorder {
  readonly routes = new Set<string>();

  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) this.routes.add(`${method} ${route.url}`);
    });
  }
}

@Module({ providers: [RouteRecorder] })
export class RouteRecorderModule {}
