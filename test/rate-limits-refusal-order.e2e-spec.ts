import { rootHeaders, startTestApp } from '#test/test-app';

describe('a request a narrow limit refuses', { timeout: 90_000 }, () => {
  it('does not use up the shared reads limit too, so the key keeps its other reads', async () => {
    const t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '3', RATE_LIMIT_ADMIN_PER_MINUTE: '1' });
    try {
      const admin = [];
      for (let i = 0; i < 4; i++)
        admin.push(
          (
            await t.app.inject({
              method: 'GET',
              url: '/api/v1/admin/bootstrap/status',
              headers: rootHeaders,
            })
          ).statusCode,
        );
      // One admin read served, three refused by the admin limit: not served, so not reads.
      expect(admin).toEqual([200, 429, 429, 429]);
      // A route the org key or the root key may read (not an admin one): only the reads limit.
      const other = await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/organizations/refusal_order_org/costs/import/imp_0',
        headers: rootHeaders,
      });
      expect(other.statusCode).not.toBe(429);
      expect(other.headers['x-ratelimit-remaining-reads']).toBe('1');
    } finally {
      await t.close();
    }
  });
});
