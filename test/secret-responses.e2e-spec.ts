import type { LightMyRequestResponse } from 'fastify';
import { NO_LIMITS } from '#test/org-onboarding';
import { anOrgSlug } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp, sha256 } from '#test/test-app';

/**
 * Every answer that shows an API key in plaintext tells caches not to keep it (RFC 9111 §5.2.2.5
 * no-store), as the validator's answer with decrypted credentials does: a browser's or a proxy's
 * cache would otherwise hold the key past the one time it is shown.
 */

describe('answers that show an API key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
  });
  afterAll(() => t.close());

  const send = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const expectNotStored = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ api_key?: unknown }>().api_key).toEqual(expect.any(String));
    expect(res.headers['cache-control']).toBe('no-store');
  };

  it('are not to be stored: onboarding, issue, regenerate, rotate and the development reveal', async () => {
    const org = anOrgSlug('nostore');
    const onboarded = await send('POST', '/api/v1/organizations/onboard', rootHeaders, {
      org_slug: org,
      company_name: 'No Store Co',
      admin_email: 'admin@nostore.example',
    });
    expectNotStored(onboarded);
    const revealed = await send('GET', `/api/v1/admin/dev/api-key/${org}`, rootHeaders);
    expectNotStored(revealed);
    const rotated = await send(
      'POST',
      `/api/v1/organizations/${org}/api-key/rotate`,
      { 'x-api-key': onboarded.json<{ api_key: string }>().api_key },
      {},
    );
    expectNotStored(rotated);
    const regenerated = await send(
      'POST',
      `/api/v1/admin/organizations/${org}/regenerate-api-key`,
      rootHeaders,
    );
    expectNotStored(regenerated);
    // Revoked, so that the root key may issue the org a new one.
    const hash = sha256(regenerated.json<{ api_key: string }>().api_key);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/api-keys/${hash}`,
      headers: rootHeaders,
    });
    expect(revoke.statusCode, revoke.body).toBe(200);
    expectNotStored(await send('POST', '/api/v1/admin/api-keys', rootHeaders, { org_slug: org }));
  });
});
