import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { controllerRoutes } from '#platform';
import { HealthProbes } from '../apps/api/src/health/health-probes.js';
import { UnguardedProbeModule } from '#test/probe.module';
import { RouteRecorder, RouteRecorderModule } from '#test/route-recorder.module';
import { startTestApp } from '#test/test-app';

/** Every route with neither a guard nor @Public(), as `METHOD /path`. */
function unguardedRoutes(app: NestFastifyApplication): { all: number; unguarded: string[] } {
  const routes = controllerRoutes(app.get(ModulesContainer));
  return { all: routes.length, unguarded: routes.filter((r) => !r.guarded).map((r) => r.route) };
}

const nestRoutes = (app: NestFastifyApplication) =>
  new Set(controllerRoutes(app.get(ModulesContainer)).map((r) => r.route));

/** Swagger UI and the OpenAPI document: public documentation, no data. */
const DOCS_ROUTES = [
  'GET /docs',
  'GET /docs/',
  'GET /docs/*',
  'GET /docs/LICENSE',
  'GET /docs/docs/swagger-ui-init.js',
  'GET /docs/index.html',
  'GET /docs/swagger-ui-init.js',
  'GET /openapi.json',
  'GET /openapi.yaml',
];

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

  it('serves no route outside Nest but the declared probes, the API docs and the CORS preflight', async () => {
    const t = await startTestApp({}, { imports: [RouteRecorderModule] });
    try {
      const nest = nestRoutes(t.app);
      const outside = [...t.app.get(RouteRecorder).routes]
        .filter((r) => !r.startsWith('HEAD ') && !nest.has(r))
        .sort();
      expect(outside).toEqual(
        ['GET /', 'GET /health', 'GET /health/live', 'OPTIONS *', ...DOCS_ROUTES].sort(),
      );
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
