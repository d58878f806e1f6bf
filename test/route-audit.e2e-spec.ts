import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { IS_PUBLIC } from '#platform';
import { HealthProbes } from '../apps/api/src/health/health-probes.js';
import { UnguardedProbeModule } from '#test/probe.module';
import { startTestApp } from '#test/test-app';

/** Every route with neither a guard nor @Public(), as `METHOD /path`. */
function unguardedRoutes(app: NestFastifyApplication): { all: number; unguarded: string[] } {
  const scanner = new MetadataScanner();
  const controllers = [...app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()]);
  let all = 0;
  const unguarded: string[] = [];
  for (const wrapper of controllers) {
    const ctor = wrapper.metatype as (new (...a: unknown[]) => object) | undefined;
    if (!ctor || !wrapper.instance) continue;
    const classGuards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, ctor) ?? [];
    const classPublic = Reflect.getMetadata(IS_PUBLIC, ctor) === true;
    const prefix = String(Reflect.getMetadata(PATH_METADATA, ctor) ?? '');
    const proto = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name] as object;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      all++;
      const guards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, handler) ?? [];
      const isPublic = classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true;
      if (!isPublic && guards.length + classGuards.length === 0) {
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        unguarded.push(`${method} /${prefix}/${String(path)}`.replace(/\/+$/, ''));
      }
    }
  }
  return { all, unguarded };
}

/**
 * The probes HealthProbes serves straight from Fastify: public by construction (no guard can run
 * there), so the audit checks they are exactly the declared probes and that Fastify serves them.
 */
function nativeProbes(app: NestFastifyApplication): string[] {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  return app
    .get(HealthProbes)
    .routes.filter((r) => fastify.hasRoute({ method: r.method, url: r.url }))
    .map((r) => `${r.method} ${r.url}`);
}

/** Every route the app serves must be guarded or deliberately public; a new unguarded route fails here. */
describe('route audit', () => {
  it('finds a guard or @Public() on every registered route of the app', async () => {
    const t = await startTestApp();
    try {
      const { all, unguarded } = unguardedRoutes(t.app);
      expect(all).toBeGreaterThan(5);
      expect(unguarded).toEqual([]);
      expect(nativeProbes(t.app)).toEqual(['GET /', 'GET /health', 'GET /health/live']);
    } finally {
      await t.close();
    }
  });

  it('reports a route that forgot its guard', async () => {
    const t = await startTestApp({}, { imports: [UnguardedProbeModule] });
    try {
      expect(unguardedRoutes(t.app).unguarded).toEqual(['GET /api/v1/unguarded-probe']);
    } finally {
      await t.close();
    }
  });
});
