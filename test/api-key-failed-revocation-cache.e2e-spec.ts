import { vi } from 'vitest';
import { anOrgWithKey } from '#test/org-factory';
import { apiKeysApp } from '#test/api-keys-suite';
import { expectProblem } from '#test/org-onboarding';
import { rootHeaders, sha256 } from '#test/test-app';

/**
 * A revocation whose UPDATE reported an error may still have applied (a BigQuery job can commit
 * after its call timed out): the key must not go on working from the auth cache meanwhile, as it
 * did for the cache's whole TTL, the caller told only that the revocation failed.
 */
describe('an org key revoked by a write that reported an error', () => {
  const suite = apiKeysApp();
  const { inject, probe } = suite;

  /** Runs `work` while every UPDATE matching `sql` applies, then throws. */
  const failingAfterApply = async <T>(sql: RegExp, work: () => Promise<T>): Promise<T> => {
    const execute = suite.warehouse.execute.bind(suite.warehouse);
    const spy = vi.spyOn(suite.warehouse, 'execute').mockImplementation(async (text, params, options) => {
      if (!sql.test(text)) return execute(text, params, options);
      await execute(text, params, options);
      throw new Error('simulated warehouse timeout');
    });
    try {
      return await work();
    } finally {
      spy.mockRestore();
    }
  };

  it('is refused at once after DELETE admin/api-keys/:hash failed yet applied', async () => {
    const k = await anOrgWithKey(suite.warehouse);
    expect((await probe(k.org, k.key)).statusCode).toBe(200); // cached
    const res = await failingAfterApply(/WHERE org_api_key_hash = @hash AND is_active = TRUE/, () =>
      inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${sha256(k.key)}`, headers: rootHeaders }),
    );
    expect(res.statusCode).toBe(500);
    expectProblem(await probe(k.org, k.key), 401, 'API_KEY_INVALID');
  });

  it('is refused at once after a regeneration failed while revoking the old keys yet applied', async () => {
    const k = await anOrgWithKey(suite.warehouse);
    expect((await probe(k.org, k.key)).statusCode).toBe(200); // cached
    // Whether the revocation applied cannot be read back either: the regeneration fails.
    const query = suite.warehouse.query.bind(suite.warehouse);
    let retiring = false;
    const reads = vi.spyOn(suite.warehouse, 'query').mockImplementation(async (text, params, options) => {
      if (retiring && /ORDER BY created_at DESC/.test(text)) throw new Error('simulated read failure');
      return query(text, params, options);
    });
    try {
      const res = await failingAfterApply(
        /SET is_active = FALSE, revoked_at = @now\s+WHERE org_slug = @org/,
        () => {
          retiring = true;
          return inject({
            method: 'POST',
            url: `/api/v1/admin/organizations/${k.org}/regenerate-api-key`,
            headers: rootHeaders,
          });
        },
      );
      expect(res.statusCode).toBe(500);
    } finally {
      reads.mockRestore();
    }
    expectProblem(await probe(k.org, k.key), 401, 'API_KEY_INVALID');
  });
});
