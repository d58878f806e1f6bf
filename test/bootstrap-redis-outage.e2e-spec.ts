import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '#platform';
import { cuttableRelay, until } from '#test/redis-relay';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const REDIS_URL = process.env.TEST_REDIS_URL;

/**
 * A bootstrap that recreated the central tables tells every instance to forget the org keys it
 * holds; an instance cut off from Redis clears its own cache at once and sends the message again
 * until Redis takes it, so the bootstrap itself has succeeded and says so.
 */
describe.skipIf(!REDIS_URL)('a bootstrap on an instance cut off from Redis', () => {
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;
  let t: TestApp;
  beforeAll(async () => {
    relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
    t = await startTestApp({ REDIS_URL: relay.url });
  });
  afterAll(async () => {
    await t?.close();
    await relay.close();
  });

  it('answers the tables it recreated (200), not a 500 for the broadcast Redis did not take', async () => {
    const redis = t.app.get<Redis>(REDIS_CLIENT);
    await until(() => redis.status === 'ready');
    relay.cut();
    await until(() => redis.status !== 'ready');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap',
      headers: rootHeaders,
      payload: { force_recreate_tables: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'SUCCESS', dataset_created: false });
    expect(res.json().tables_created.length).toBeGreaterThan(0);
  });
});
