import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

const LIMIT = 3;
/** Past the auth cache's memory of an invalid key (2 s), so each send is looked up again. */
const PAST_NEGATIVE_TTL_MS = 2_200;

/**
 * A scheduler still sending its revoked key (the key was rotated, its config not yet updated) is
 * one failed key, not one failure per request: it must not lock out its address, or the new key
 * it is given next is refused (429) for as long as the old one keeps arriving.
 */
describe('the same revoked key sent again and again from one address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      AUTH_FAILURES_PER_MINUTE: String(LIMIT),
      RATE_LIMIT_READS_PER_MINUTE: '100000',
    });
  });
  afterAll(() => t.close());

  const read = (org: string, key: string, remoteAddress = '198.51.100.23') =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
      remoteAddress,
    });

  it('counts once, so the key that replaces it is still looked up and works', async () => {
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const stale = await anOrgWithKey(warehouse, { isActive: false });
    for (let i = 0; i < LIMIT + 1; i++) {
      expect((await read(stale.org, stale.key)).statusCode).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, PAST_NEGATIVE_TTL_MS));
    }
    const fresh = await anOrgWithKey(warehouse, { org: stale.org });
    expect((await read(fresh.org, fresh.key)).statusCode).toBe(200);
  }, 30_000);

  it('still counts every different made-up key', async () => {
    const guess = (i: number) =>
      read('guess_org', `guess_org_api_madeup${String(i).padStart(24, '0')}`, '198.51.100.99');
    for (let i = 0; i < LIMIT; i++) expect((await guess(i)).statusCode).toBe(401);
    expect((await guess(LIMIT)).statusCode).toBe(429);
  });
});
