import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { dropTestSchema, postgresTenancyEnv, startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = { RATE_LIMIT_WRITES_PER_MINUTE: '10000', RATE_LIMIT_READS_PER_MINUTE: '10000' };

/**
 * Rotations sent at once with one key (two dashboard tabs, or the owner and whoever leaked the key):
 * each is let in by the key before any has revoked it, and the lease lets them through one by one.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('rotations of one key at once, on PostgreSQL', () => {
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = postgresTenancyEnv();
    t = await startTestApp({ ...NO_LIMITS, ...env });
  });
  afterAll(async () => {
    await t?.close();
    if (env) await dropTestSchema(env);
  });

  const rotate = (org: string, key: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org}/api-key/rotate`,
      headers: { 'x-api-key': key },
      payload: {},
    });
  const probe = (org: string, key: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org}/api-key`,
      headers: { 'x-api-key': key },
    });

  it('issue one key: a rotation whose key another one revoked meanwhile is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const { org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
      const answers = await Promise.all(Array.from({ length: 6 }, () => rotate(org, key)));
      const issued = answers
        .filter((r) => r.statusCode === 200)
        .map((r) => r.json<{ api_key: string }>().api_key);
      const refused = answers.filter((r) => r.statusCode !== 200).map((r) => r.json<{ code: string }>().code);
      expect({ round, issued: issued.length }).toEqual({ round, issued: 1 });
      for (const code of refused)
        expect(['API_KEY_OPERATION_IN_PROGRESS', 'API_KEY_INVALID']).toContain(code);
      expect((await probe(org, issued[0]!)).statusCode).toBe(200);
    }
  });
});
