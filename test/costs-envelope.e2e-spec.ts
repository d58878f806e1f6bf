import { aFocusRow } from '#test/focus-rows';
import { orgWithRows } from '#test/costs-harness';
import { startTestApp, type TestApp } from '#test/test-app';

/** The members of reference §5.1's envelope, in its order: `error` is null on every 200. */
const ENVELOPE = [
  'success',
  'data',
  'summary',
  'pagination',
  'cache_hit',
  'query_time_ms',
  'error',
  'currency',
];

const ROUTES = [
  '',
  '/summary',
  '/by-provider',
  '/by-service',
  '/trend',
  '/trend-granular',
  '/subscriptions',
  '/cloud',
  '/genai',
];

describe('the cost envelope (reference §5.1)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('carries every member of the reference envelope, error null, on each route and on a kept answer', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const { org, headers } = await orgWithRows(t, (o) => [aFocusRow({ org: o, date: today, billedCost: 3 })]);
    for (const route of ROUTES) {
      // The second call of an aggregation is the kept response (CostResponseCache), made of the first.
      for (const attempt of [1, 2]) {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${route}`, headers });
        expect([route, attempt, res.statusCode]).toEqual([route, attempt, 200]);
        const body = res.json<Record<string, unknown>>();
        expect([route, Object.keys(body)]).toEqual([route, ENVELOPE]);
        expect(body.error).toBeNull();
      }
    }
  });
});
