import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp, NO_RATE_LIMITS } from '#test/test-app';

/**
 * A key in a rotation's grace period may not rotate (whoever holds it, possibly the leak the
 * rotation answered, would get a permanent key). The refused attempt is a rotation that failed, and
 * the reference records those (ROTATE API_KEY, a FAILURE entry on error): the org's admins must see
 * that the retiring key tried.
 */
describe('a rotation refused to a key in its grace period', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_RATE_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const rotate = (org: string, headers: Record<string, string>, payload: object = {}) =>
    t.app.inject({ method: 'POST', url: `/api/v1/organizations/${org}/api-key/rotate`, headers, payload });
  const probe = (org: string, key: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
    });

  it('is recorded as a FAILURE entry naming the key that tried, and changes nothing', async () => {
    const k = await anOrgWithKey(warehouse);
    const first = await rotate(k.org, { 'x-api-key': k.key }, { grace_period_seconds: 600 });
    expect(first.statusCode).toBe(200);
    const expireAt: string = first.json().previous_keys_expire_at;

    const again = await rotate(k.org, { 'x-api-key': k.key, 'x-request-id': 'retiring-rotate-1' });
    expect({ status: again.statusCode, code: again.json().code }).toEqual({
      status: 403,
      code: 'API_KEY_RETIRING',
    });
    expect(again.json().detail).toContain(expireAt);

    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-logs/${k.org}`,
      headers: rootHeaders,
    });
    const logs = res.json().logs;
    expect(logs.map((l: { status: string }) => l.status)).toEqual(['FAILURE', 'SUCCESS']);
    expect(logs[0]).toMatchObject({
      action: 'ROTATE',
      resource_type: 'API_KEY',
      api_key_id: k.keyId,
      request_id: 'retiring-rotate-1',
      error_message: expect.stringContaining('API_KEY_RETIRING'),
    });
    // Nothing changed: the new key and the retiring one (until its expiry) both still work.
    expect((await probe(k.org, first.json().api_key)).statusCode).toBe(200);
    const old = await probe(k.org, k.key);
    expect(old.statusCode).toBe(200);
    expect(old.json().api_key_fingerprint).toBe(first.json().api_key_fingerprint);
  });
});
