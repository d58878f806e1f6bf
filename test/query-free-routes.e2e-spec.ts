import { ModulesContainer } from '@nestjs/core';
import { type ControllerRoute, controllerRoutes, isQueryFree } from '#platform';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * A route that reads no query string refuses one (422 naming each parameter), after its guards
 * and before it does anything: ignored, `?dry_run=true` or `?date=…` did the whole work anyway.
 */
describe('query parameters on routes that take none', () => {
  let t: TestApp;
  let org: { org: string; key: string };
  beforeAll(async () => {
    t = await startTestApp();
    org = await onboardOrg(t, 'queryfree', 'Query Free Inc');
  });
  afterAll(() => t.close());

  const credentials = (route: ControllerRoute): Record<string, string> =>
    route.auth === 'org' ? { 'x-api-key': org.key } : rootHeaders;
  const urlOf = (route: ControllerRoute) =>
    route.url.replace(':org', org.org).replace(/:\w+/g, 'p1') + '?zz_unread=1&date=2026-01-01';

  it('is 422 naming the parameters on every such route, with nothing done', async () => {
    const routes = controllerRoutes(t.app.get(ModulesContainer)).filter(isQueryFree);
    // The batch and maintenance jobs, the org's writes and its key: routes a query could mislead.
    expect(routes.map((r) => r.route)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/admin/pipelines/run-all',
        'POST /api/v1/quota/reset-daily',
        'POST /api/v1/organizations/onboard',
        'POST /api/v1/organizations/:org/api-key/rotate',
        'DELETE /api/v1/organizations/:org',
      ]),
    );
    const answers = [];
    for (const route of routes) {
      const res = await t.app.inject({
        method: route.method as 'GET',
        url: urlOf(route),
        headers: credentials(route),
        ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: {} } : {}),
      });
      answers.push({
        route: route.route,
        status: res.statusCode,
        fields: res.statusCode === 422 ? res.json<{ errors: { field: string }[] }>().errors : undefined,
      });
    }
    expect(answers).toEqual(
      routes.map((route) => ({
        route: route.route,
        status: 422,
        fields: [
          { field: 'zz_unread', message: 'property zz_unread should not exist' },
          { field: 'date', message: 'property date should not exist' },
        ],
      })),
    );
    // The org and its key are as they were: the rotation and the offboarding did not run.
    const org2 = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org.org}/api-key`,
      headers: { 'x-api-key': org.key },
    });
    expect(org2.statusCode, org2.body).toBe(200);
  });

  it('answers a caller without credentials 401 first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status?zz_unread=1' });
    expect(res.statusCode).toBe(401);
  });

  it('leaves the routes that read a query to their own rules', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org.org}/summary?start_date=2026-01-01&end_date=2026-01-31`,
      headers: { 'x-api-key': org.key },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('leaves public routes alone: a prober may add parameters of its own', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready?probe=lb' });
    expect(res.statusCode, res.body).toBe(200);
  });
});
