import { ModulesContainer } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { controllerRoutes, ORG_SLUG, RESERVED_ORG_SLUGS } from '#platform';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * The slugs an org could not use for every one of its routes: those for which a route of an org,
 * its `:org` being the slug, is routed to another route (a static segment wins over a parameter),
 * as the app's own router settings match them.
 */
function shadowingSlugs(t: TestApp): string[] {
  const fastify = t.app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const { ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive } = fastify.initialConfig;
  const router = FindMyWay({ ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive });
  const routes = controllerRoutes(t.app.get(ModulesContainer)).map((r) => ({ method: r.method, url: r.url }));
  for (const route of routes) router.on(route.method as HTTPMethod, route.url, () => undefined, route);
  const segments = new Set(routes.flatMap((r) => r.url.split('/')).filter((s) => ORG_SLUG.test(s)));
  return [...segments].filter((slug) =>
    routes.some((route) => {
      if (!route.url.includes(':org')) return false;
      const path = route.url.replace(':org', slug).replace(/:\w+/g, 'p1');
      return router.find(route.method as HTTPMethod, path)?.store !== route;
    }),
  );
}

describe('org slugs and the routes of an org', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('reserves exactly the slugs that would route some of an org’s requests elsewhere', () => {
    expect(shadowingSlugs(t).sort()).toEqual([...RESERVED_ORG_SLUGS].sort());
  });

  const company = { company_name: 'Status Inc', admin_email: 'admin@example.com' };
  it.each([
    ['/api/v1/organizations/onboard', company],
    ['/api/v1/organizations/dryrun', company],
    ['/api/v1/admin/organizations', {}],
  ] as const)('refuses a reserved slug for a new org: POST %s (422 naming org_slug)', async (url, rest) => {
    for (const slug of RESERVED_ORG_SLUGS) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: rootHeaders,
        payload: { org_slug: slug, ...rest },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: 'org_slug' })]);
    }
  });

  it.each([
    ['/api/v1/organizations/onboard', company],
    ['/api/v1/organizations/dryrun', company],
    ['/api/v1/admin/organizations', {}],
  ] as const)(
    'refuses a new slug that does not begin and end with a letter or digit, as the dashboard table checks: POST %s',
    async (url, rest) => {
      for (const slug of ['_acme', 'acme_', '_a_']) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: rootHeaders,
          payload: { org_slug: slug, ...rest },
        });
        expect(res.statusCode, slug).toBe(422);
        expect(res.json().errors).toEqual([
          expect.objectContaining({
            field: 'org_slug',
            message: 'org_slug must begin and end with a lowercase letter or a digit',
          }),
        ]);
      }
    },
  );
});
