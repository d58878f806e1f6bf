import { Ajv } from 'ajv';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/** Slugs a client might send for a new org: some the app takes, some it refuses. */
const SLUGS = [
  'acme',
  'ab_c',
  'a1_2',
  'statuses',
  'my_status',
  '_acme',
  'acme_',
  '_ab',
  'status',
  'ab',
  'Acme',
];

/**
 * The slug of a new org, as the document gives it: a client validating a form against the
 * document must refuse exactly what the app refuses (an underscore at either end, the reserved
 * `status`), not send it to get a 422.
 */
describe('the documented slug of a new org', () => {
  let t: TestApp;
  let schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;

  beforeAll(async () => {
    t = await startTestApp();
    schemas = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().components.schemas;
  });
  afterAll(() => t.close());

  it('refuses exactly the slugs the dry run refuses, in every body that creates an org', async () => {
    const ajv = new Ajv({ strict: false });
    const taken: Record<string, boolean> = {};
    for (const org_slug of SLUGS) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/organizations/dryrun',
        headers: rootHeaders,
        payload: { org_slug, company_name: 'Slug Inc', admin_email: 'admin@example.com' },
      });
      const refusedSlug = res.statusCode === 422 && res.body.includes('"field":"org_slug"');
      taken[org_slug] = !refusedSlug;
    }
    expect(Object.values(taken)).toContain(true);
    expect(Object.values(taken)).toContain(false);
    for (const dto of ['DryrunRequestDto', 'OnboardOrgRequestDto', 'CreateOrgRequestDto']) {
      const validate = ajv.compile(schemas[dto]!.properties.org_slug!);
      const documented = Object.fromEntries(SLUGS.map((s) => [s, validate(s)]));
      expect({ dto, documented }).toEqual({ dto, documented: taken });
    }
  });
});
