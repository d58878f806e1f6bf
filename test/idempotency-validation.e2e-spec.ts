import { randomBytes } from 'node:crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { IdempotencyProbeModule } from '#test/idempotency-probe.module';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const aKey = () => `idem-${randomBytes(8).toString('hex')}`;

/**
 * A 422 of a route taking an Idempotency-Key names every bad field, as everywhere else: a NUL in
 * one field was refused before validation, naming that field alone, so a caller fixing it met a
 * second 422 for the rest.
 */
describe('validation on an @Idempotent() route, with an Idempotency-Key', () => {
  let t: TestApp;
  let db: TenancyDb;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_WRITES_PER_MINUTE: '10000', RATE_LIMIT_ADMIN_PER_MINUTE: '10000' },
      { imports: [IdempotencyProbeModule] },
    );
    db = t.app.get<TenancyDb>(TENANCY_DB);
  });
  afterAll(() => t.close());

  const send = (url: string, payload: object, key?: string) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { ...rootHeaders, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload,
    });
  const fields = (res: { json: () => { errors?: { field: string }[] } }) =>
    (res.json().errors ?? []).map((e) => e.field);
  const stored = (key: string) => db.select('idempotency_keys', { scope: 'root', idempotency_key: key });

  it('lists the NUL field and every other bad field, as without the key, and stores nothing', async () => {
    const body = { tag: 'a\u0000b', org_slug: 'x' };
    const key = aKey();
    const withKey = await send('/api/v1/idem-probe/onboard', body, key);
    const withoutKey = await send('/api/v1/idem-probe/onboard', body);
    expect([withKey.statusCode, withKey.json().code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(fields(withKey)).toEqual(['tag', 'org_slug']);
    expect(withKey.json().detail).toBe(withoutKey.json().detail);
    expect(withKey.json().errors).toEqual(withoutKey.json().errors);
    expect(await stored(key)).toEqual([]);
    // The same key with the fields corrected runs (a validation refusal is not the key's answer).
    const fixed = await send('/api/v1/idem-probe/onboard', { tag: 'ab', org_slug: 'xyz' }, key);
    expect(fixed.statusCode).toBe(201);
  });

  it('does so on onboarding too, a NUL in the org slug (which the claim never records)', async () => {
    const key = aKey();
    const res = await send(
      '/api/v1/organizations/onboard',
      { org_slug: 'a\u0000b', company_name: 'QA', admin_email: 'not-an-email' },
      key,
    );
    expect([res.statusCode, res.json().code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(fields(res)).toEqual(expect.arrayContaining(['org_slug', 'admin_email']));
    expect(fields(res)[0]).toBe('org_slug');
    expect(await stored(key)).toEqual([]);
  });
});
