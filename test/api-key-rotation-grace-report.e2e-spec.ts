import { anOrgWithKey } from '#test/org-factory';
import { apiKeysApp } from '#test/api-keys-suite';
import { rootHeaders, sha256 } from '#test/test-app';

/**
 * A grace period never extends a key's life (a key already due to expire sooner keeps its earlier
 * expiry): the rotation must then say when the previous keys really stop working, not the end of
 * the grace period it asked for.
 */
describe('a rotation whose previous keys already expire sooner than its grace period', () => {
  const suite = apiKeysApp();
  const { inject, rotate, probe } = suite;

  it('answers when they really stop working', async () => {
    const k = await anOrgWithKey(suite.warehouse);
    const first = await rotate(k.org, { 'x-api-key': k.key }, { grace_period_seconds: 600 });
    expect(first.statusCode).toBe(200);
    const oldExpiry: string = first.json().previous_keys_expire_at;
    // The new key is revoked: only the retiring one (expiring in 10 min) is left.
    const revoked = await inject({
      method: 'DELETE',
      url: `/api/v1/admin/api-keys/${sha256(first.json().api_key)}`,
      headers: rootHeaders,
    });
    expect(revoked.statusCode).toBe(200);

    const second = await rotate(k.org, rootHeaders, { grace_period_seconds: 86_400 });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      previous_key_revoked: false,
      previous_keys_expire_at: oldExpiry,
      message: expect.stringContaining(oldExpiry),
    });
    const old = await probe(k.org, k.key);
    expect(old.statusCode).toBe(200);
    expect(old.json().caller_key_expires_at).toBe(oldExpiry);
  });
});
