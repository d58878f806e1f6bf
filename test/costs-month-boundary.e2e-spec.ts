import { aFocusRow } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, orgWithRows } from '#test/costs-harness';
import { startTestApp, type TestApp } from '#test/test-app';

interface Summary {
  total_cost: number;
  mtd_cost: number;
  daily_rate: number;
  monthly_forecast: number;
  annual_forecast: number;
}

/**
 * Month to date and the run rates at the turn of a month, through the real app. The clock only
 * moves forward. Rows: 100 on March 1st and 55 on March 31st (cloud, UTC org).
 */
describe('month to date and forecasts across midnight at the end of a month', () => {
  const clock = new FakeClock(Date.parse('2024-03-31T23:59:30Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers the new month (no month to date yet) right after midnight, not the cached last day of March', async () => {
    const { org, headers } = await orgWithRows(t, (o) => [
      aFocusRow({ org: o, date: '2024-03-01', billedCost: 100 }),
      aFocusRow({ org: o, date: '2024-03-31', billedCost: 55 }),
    ]);
    const get = async (path: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
      expect(res.statusCode).toBe(200);
      return res.json() as { cache_hit: boolean; summary: Summary };
    };
    const march = '?start_date=2024-03-01&end_date=2024-03-31';

    // March 31st, 23:59:30: the whole month is month to date, 155 over 31 days of 31.
    expect((await get(`/summary${march}`)).summary).toMatchObject({
      total_cost: 155,
      mtd_cost: 155,
      daily_rate: 5, // 155 / 31
      monthly_forecast: 155, // 5 × 31
      annual_forecast: 1860, // 155 × 12
    });
    expect((await get(`/cloud${march}`)).summary).toMatchObject({ mtd_cost: 155, daily_rate: 5 });

    // April 1st, 00:00:10, 40 s later: March is no longer this month, the period holds no day of
    // April, so there is no month to date and no run rate from it.
    clock.set('2024-04-01T00:00:10Z');
    const summary = await get(`/summary${march}`);
    expect(summary.cache_hit).toBe(false);
    expect(summary.summary).toMatchObject({
      total_cost: 155,
      mtd_cost: 0,
      daily_rate: 0,
      monthly_forecast: 0,
      annual_forecast: 0,
    });
    // Cloud with no cost this month is projected from the whole period: 155 / 31 = 5 a day,
    // 5 × 30 = 150 a month, 5 × 365 = 1825 a year.
    expect((await get(`/cloud${march}`)).summary).toMatchObject({
      mtd_cost: 0,
      daily_rate: 5,
      monthly_forecast: 150,
      annual_forecast: 1825,
    });
  });
});
