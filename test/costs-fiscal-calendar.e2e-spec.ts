import { aFocusRow, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { CostCacheOptionsModule, FakeClock } from '#test/costs-harness';
import { startTestApp, type TestApp } from '#test/test-app';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';

/**
 * The default period (the fiscal year to date) and month to date of three orgs holding the same
 * rows, with fiscal years starting in January, April and October, on the days where periods
 * turn: New Year's Day, the leap day, the 1st and the last day of a month, the first day of a
 * fiscal year. Expected figures are plain arithmetic over the rows below. The clock only moves
 * forward (UTC orgs, noon).
 */
const ROWS = [
  { date: '2023-03-31', billedCost: 11 }, // before every fiscal year read here
  { date: '2023-04-01', billedCost: 7 },
  { date: '2023-10-01', billedCost: 4 },
  { date: '2023-12-31', billedCost: 3, provider: 'OpenAI', serviceCategory: 'genai', sourceSystem: null },
  { date: '2024-01-01', billedCost: 2, provider: 'Slack', serviceCategory: 'SaaS', sourceSystem: null },
  { date: '2024-02-29', billedCost: 5 },
  { date: '2024-03-01', billedCost: 10 },
  { date: '2024-03-31', billedCost: 20 },
  { date: '2024-04-01', billedCost: 1 },
];

/** Month to date and its run rates, the same for every org: they depend on today only. */
const MONTH = {
  // Jan 1st: 2 over 1 day of 31 → 2 a day, 62 a month, 744 a year.
  '2024-01-01': { mtd_cost: 2, daily_rate: 2, monthly_forecast: 62, annual_forecast: 744 },
  // Leap day: 5 over 29 days of 29 → 0.1724… a day, 5 a month, 60 a year.
  '2024-02-29': { mtd_cost: 5, daily_rate: 0.17, monthly_forecast: 5, annual_forecast: 60 },
  // Mar 1st: 10 over 1 day of 31.
  '2024-03-01': { mtd_cost: 10, daily_rate: 10, monthly_forecast: 310, annual_forecast: 3720 },
  // Mar 31st: 10 + 20 over 31 days of 31 → 0.9677… a day.
  '2024-03-31': { mtd_cost: 30, daily_rate: 0.97, monthly_forecast: 30, annual_forecast: 360 },
  // Apr 1st: 1 over 1 day of 30.
  '2024-04-01': { mtd_cost: 1, daily_rate: 1, monthly_forecast: 30, annual_forecast: 360 },
} as const;

/** Per fiscal start month and day: the period, its total and row count. */
const YEAR_TO_DATE: Record<
  number,
  Record<keyof typeof MONTH, [start: string, total: number, rows: number]>
> = {
  1: {
    '2024-01-01': ['2024-01-01', 2, 1],
    '2024-02-29': ['2024-01-01', 7, 2], // 2 + 5
    '2024-03-01': ['2024-01-01', 17, 3], // + 10
    '2024-03-31': ['2024-01-01', 37, 4], // + 20
    '2024-04-01': ['2024-01-01', 38, 5], // + 1
  },
  4: {
    '2024-01-01': ['2023-04-01', 16, 4], // 7 + 4 + 3 + 2
    '2024-02-29': ['2023-04-01', 21, 5],
    '2024-03-01': ['2023-04-01', 31, 6],
    '2024-03-31': ['2023-04-01', 51, 7], // the fiscal year's last day
    '2024-04-01': ['2024-04-01', 1, 1], // a new fiscal year: its first day only
  },
  10: {
    '2024-01-01': ['2023-10-01', 9, 3], // 4 + 3 + 2
    '2024-02-29': ['2023-10-01', 14, 4],
    '2024-03-01': ['2023-10-01', 24, 5],
    '2024-03-31': ['2023-10-01', 44, 6],
    '2024-04-01': ['2023-10-01', 45, 7],
  },
};

describe('fiscal years to date and month to date on the days periods turn', () => {
  const clock = new FakeClock(Date.parse('2024-01-01T12:00:00Z'));
  let t: TestApp;
  const orgs = new Map<number, { org: string; headers: Record<string, string> }>();

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    for (const month of [1, 4, 10]) {
      const { org, key } = await anOrgWithKey(warehouse);
      await warehouse.execute(
        `UPDATE ${central('org_profiles')} SET fiscal_year_start_month = @month WHERE org_slug = @org`,
        { org, month },
      );
      await writeFocusRows(
        warehouse,
        t.config.orgDataset(org),
        ROWS.map((r) => aFocusRow({ org, ...r })),
      );
      orgs.set(month, { org, headers: { 'x-api-key': key } });
    }
  });

  afterAll(async () => {
    await t.close();
  });

  const get = async (month: number, path: string) => {
    const { org, headers } = orgs.get(month)!;
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json() as Record<string, Record<string, unknown>>;
  };

  it('resolves each org’s fiscal year to date and month to date, and /total adds its parts up to it', async () => {
    for (const today of Object.keys(MONTH) as (keyof typeof MONTH)[]) {
      clock.set(`${today}T12:00:00Z`);
      for (const month of [1, 4, 10]) {
        const [start, total, rows] = YEAR_TO_DATE[month]![today];
        const { summary } = await get(month, '/summary');
        expect({ month, today, ...summary }).toMatchObject({
          month,
          today,
          total_cost: total,
          record_count: rows,
          date_range: { start, end: today },
          ...MONTH[today],
        });
        const sum = await get(month, '/total');
        // OpenAI (3, Dec 31st) is GenAI, Slack (2, Jan 1st) a subscription, the rest cloud.
        const genai = start <= '2023-12-31' ? 3 : 0;
        const subscription = start <= '2024-01-01' ? 2 : 0;
        expect({ month, today, parts: [sum.cloud, sum.genai, sum.subscription, sum.other] }).toMatchObject({
          month,
          today,
          parts: [
            { total_billed_cost: total - genai - subscription },
            { total_billed_cost: genai },
            { total_billed_cost: subscription },
            { total_billed_cost: 0 },
          ],
        });
        expect(sum.total).toMatchObject({ total_billed_cost: total, record_count: rows });
      }
    }
  });

  it('buckets weeks from Monday and months by YYYY-MM across the year end', async () => {
    const range = '?start_date=2023-12-25&end_date=2024-01-07';
    // Sunday Dec 31st belongs to the week of Monday Dec 25th; Monday Jan 1st starts the next.
    expect((await get(1, `/trend${range}&granularity=weekly`)).data).toEqual([
      { date: '2023-12-25', total_cost: 3, record_count: 1 },
      { date: '2024-01-01', total_cost: 2, record_count: 1 },
    ]);
    expect((await get(1, `/trend${range}&granularity=monthly`)).data).toEqual([
      { date: '2023-12', total_cost: 3, record_count: 1 },
      { date: '2024-01', total_cost: 2, record_count: 1 },
    ]);
  });
});
