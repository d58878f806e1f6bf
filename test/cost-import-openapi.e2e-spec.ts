import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const IMPORT = '/api/v1/admin/organizations/{org}/costs/import';

describe('the OpenAPI document of the FOCUS import', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('declares the 404 the route answers for an org that has no cost table, with its code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/organizations/no_such_org_qa/costs/import',
      headers: { ...rootHeaders, 'content-type': 'text/csv' },
      payload: 'a,b\n1,2\n',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_ORG_NOT_PROVISIONED' });

    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const responses = doc.paths[IMPORT].post.responses;
    expect(responses['404'].description).toContain('COST_IMPORT_ORG_NOT_PROVISIONED');
    // One file of the org at a time on an instance: a second one is refused.
    expect(responses['409'].description).toContain('COST_IMPORT_PENDING');
  });
});
