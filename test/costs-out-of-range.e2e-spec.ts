import { orgWithRows } from '#test/costs-harness';
import { aFocusRow } from '#test/focus-rows';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * A cost row of 9.2 trillion or more (2^63 micro-units), as the pipeline service may write one (an
 * import refuses a cost of a trillion or more): no read can round it to INT64 micro-units, so a
 * read of its period is refused with a problem naming the cause, the period and the rows, not an
 * opaque 500, and never summed without it; the other periods read as ever.
 */
describe('a cost row past the range of INT64 micro-units', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
    ({ org, headers } = await orgWithRows(t, (org) => [
      aFocusRow({ org, date: '2025-05-10', billedCost: 9_300_000_000_000 }),
      aFocusRow({ org, date: '2025-05-11', billedCost: 1, EffectiveCost: '-9300000000000.5' }),
      aFocusRow({ org, date: '2025-05-12', billedCost: 12.5 }),
      aFocusRow({ org, date: '2025-06-01', billedCost: 0.25 }),
    ]));
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  const get = (path: string) => t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });

  it.each(['/summary', '/by-service', '/trend', '/trend-granular', '/total', '/cloud', ''])(
    'refuses %s of its period naming the cause, the period and the rows',
    async (route) => {
      const res = await get(`${route}?start_date=2025-05-01&end_date=2025-05-31`);
      expect(res.statusCode, res.body).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json();
      expect(problem).toMatchObject({
        code: 'COST_ROW_OUT_OF_RANGE',
        status: 500,
        title: 'The period holds a cost too large to read',
        start_date: '2025-05-01',
        end_date: '2025-05-31',
        out_of_range_rows: 2,
      });
      expect(problem.detail).toMatch(
        /^the period 2025-05-01 to 2025-05-31 holds 2 cost rows whose BilledCost, EffectiveCost or ListCost is 9,223,372,036,854\.775808 or more in absolute value/,
      );
      expect(res.body).not.toMatch(/Conversion|INT64|BIGINT/);
    },
  );

  it('reads the other periods, to the cent', async () => {
    const res = await get('/summary?start_date=2025-06-01&end_date=2025-06-30');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ summary: { total_cost: 0.25, record_count: 1 } });
  });
});
