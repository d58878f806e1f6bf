import { API_KEY_LOOKUP, type ApiKeyLookup } from '#platform';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

const LIMIT = 5;

/**
 * AUTH_FAILURES_PER_MINUTE bounds the lookups of keys that fail from one address (each one a
 * warehouse query, a BigQuery job in production): lookups in flight count with the failures, so
 * a burst sent at once is held to it too, while keys that turn out valid are only delayed.
 */
describe('a burst of org keys from one address, none of them known yet', () => {
  let t: TestApp;
  let lookups = 0;
  beforeAll(async () => {
    t = await startTestApp({
      AUTH_FAILURES_PER_MINUTE: String(LIMIT),
      RATE_LIMIT_READS_PER_MINUTE: '100000',
    });
    const lookup = t.app.get<ApiKeyLookup>(API_KEY_LOOKUP);
    const find = lookup.findActiveByHash.bind(lookup);
    lookup.findActiveByHash = (hash) => {
      lookups++;
      return find(hash);
    };
  });
  afterAll(() => t.close());

  const read = (org: string, key: string, remoteAddress: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
      remoteAddress,
    });

  it('looks up no more made-up keys than the failures allowed, the others refused (429)', async () => {
    lookups = 0;
    const answers = await Promise.all(
      Array.from({ length: 6 * LIMIT }, (_, i) =>
        read('burst_org', `burst_org_api_madeup${String(i).padStart(24, '0')}`, '203.0.113.7'),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5 * LIMIT);
    expect(lookups).toBe(LIMIT);
  });

  it('lets every valid key of a burst through, more of them than the failures allowed', async () => {
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const orgs = await Promise.all(Array.from({ length: 3 * LIMIT }, () => anOrgWithKey(warehouse)));
    lookups = 0;
    const answers = await Promise.all(orgs.map(({ org, key }) => read(org, key, '203.0.113.8')));
    expect(answers.map((a) => a.statusCode)).toEqual(orgs.map(() => 200));
    expect(lookups).toBe(orgs.length);
  });
});
