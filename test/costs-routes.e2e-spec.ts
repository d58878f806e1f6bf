import { Global, Module } from '@nestjs/common';
import { COST_CACHE_OPTIONS, type CostCacheOptions } from '#analytics';
import { aFocusRow, TEST_HIERARCHY, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';

/** Today is 2025-03-10 for every cost read of this suite. */
const NOW = Date.parse('2025-03-10T12:00:00Z');

@Global()
@Module({
  providers: [
    { provide: COST_CACHE_OPTIONS, useValue: { clock: { now: () => NOW } } satisfies CostCacheOptions },
  ],
  exports: [COST_CACHE_OPTIONS],
})
class FixedClockModule {}

const entity = (id: string) => TEST_HIERARCHY.find((e) => e.id === id)!;

const ROWS = [
  aFocusRow({
    date: '2025-03-05',
    provider: 'AWS',
    serviceName: 'Amazon EC2',
    billedCost: 100.005,
    effectiveCost: 90,
    entity: entity('TEAM-1'),
  }),
  aFocusRow({
    date: '2025-03-01',
    provider: 'OpenAI',
    serviceName: 'GPT-4o',
    serviceCategory: 'AI and Machine Learning',
    sourceSystem: 'genai_costs_daily_unified',
    consumedUnit: 'Tokens',
    consumedQuantity: 4100,
    billedCost: 40,
    entity: entity('TEAM-10'),
  }),
  aFocusRow({
    date: '2025-02-10',
    provider: 'Google',
    serviceName: 'Gemini API',
    serviceCategory: 'genai',
    sourceSystem: null,
    billedCost: 12.5,
  }),
  aFocusRow({
    date: '2025-01-15',
    provider: 'Slack',
    serviceName: 'Slack Business+',
    serviceCategory: 'SaaS',
    sourceSystem: 'subscription_costs_daily',
    billedCost: 30,
    entity: entity('DEPT-1'),
  }),
  aFocusRow({
    date: '2024-12-01',
    provider: 'Datadog',
    serviceName: 'APM',
    serviceCategory: 'Observability',
    sourceSystem: null,
    billedCost: 7.25,
    entity: entity('PROJ-11'),
  }),
  // Before the fiscal year (April) that the default period starts.
  aFocusRow({ date: '2024-03-31', provider: 'AWS', billedCost: 1000 }),
  aFocusRow({
    date: '2025-03-10',
    provider: 'AWS',
    serviceName: 'Amazon S3',
    serviceCategory: 'Storage',
    consumedUnit: 'Bytes',
    consumedQuantity: 2048,
    billedCost: 0.004,
  }),
];

describe('cost reads (reference §5) through the real app', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' }, { imports: [FixedClockModule] });
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const created = await anOrgWithKey(warehouse);
    org = created.org;
    headers = { 'x-api-key': created.key };
    await warehouse.execute(
      `UPDATE ${central('org_profiles')} SET default_currency = 'EUR', fiscal_year_start_month = 4 WHERE org_slug = @org`,
      { org },
    );
    await writeFocusRows(warehouse, t.config.orgDataset(org), ROWS);
  });

  afterAll(async () => {
    await t.close();
  });

  const get = async (path: string, h: Record<string, string> = headers) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers: h });
    return {
      status: res.statusCode,
      body: res.json() as Record<string, unknown> & { data: unknown; summary: never },
    };
  };

  it('summarises the fiscal year to date (April start) in the org currency, rounding once', async () => {
    const { status, body } = await get('/summary');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      success: true,
      data: null,
      pagination: null,
      currency: 'EUR',
      cache_hit: false,
    });
    expect(body.summary).toEqual({
      total_cost: 189.76,
      total_billed_cost: 189.76,
      total_effective_cost: 179.75,
      total_savings: 10.01,
      record_count: 6,
      mtd_cost: 140.01,
      daily_rate: 14,
      monthly_forecast: 434.03,
      // 12 × the monthly forecast shown (reference §1.5), not the unrounded month × 12 (5208.33).
      annual_forecast: 5208.36,
      providers: ['AWS', 'Datadog', 'Google', 'OpenAI', 'Slack'],
      service_categories: ['AI and Machine Learning', 'Compute', 'Observability', 'SaaS', 'Storage', 'genai'],
      date_range: { start: '2024-04-01', end: '2025-03-10' },
    });
    expect(typeof body.query_time_ms).toBe('number');
  });

  it('lists raw rows newest first, one page, with the total', async () => {
    const { body } = await get('?limit=2&offset=1&start_date=2024-01-01&end_date=2025-12-31');
    expect(body.pagination).toEqual({ limit: 2, offset: 1, total: 7 });
    const rows = body.data as Record<string, unknown>[];
    expect(rows.map((r) => [r.ChargePeriodStart, r.ServiceProviderName, r.BilledCost, r.Savings])).toEqual([
      ['2025-03-05', 'AWS', 100.005, 10.005],
      ['2025-03-01', 'OpenAI', 40, 0],
    ]);
    expect(rows[0]).toMatchObject({ x_hierarchy_path: '/DEPT-1/PROJ-1/TEAM-1', BillingCurrency: 'USD' });
  });

  it('groups by provider, highest first, with shares', async () => {
    const { body } = await get('/by-provider');
    expect(body.data).toEqual([
      { provider: 'AWS', total_cost: 100.01, record_count: 2, percentage: 52.7 },
      { provider: 'OpenAI', total_cost: 40, record_count: 1, percentage: 21.08 },
      { provider: 'Slack', total_cost: 30, record_count: 1, percentage: 15.81 },
      { provider: 'Google', total_cost: 12.5, record_count: 1, percentage: 6.59 },
      { provider: 'Datadog', total_cost: 7.25, record_count: 1, percentage: 3.82 },
    ]);
  });

  it('matches provider and service category filters in any case, as people type them', async () => {
    const exact = await get('/by-service?providers=AWS,OpenAI');
    const typed = await get('/by-service?providers=aws,openai');
    expect(typed.body.data).toEqual(exact.body.data);
    expect((exact.body.data as unknown[]).length).toBeGreaterThan(0);
    const categories = await get('/summary?service_categories=compute');
    const canonical = await get('/summary?service_categories=Compute');
    expect(categories.body.summary).toEqual(canonical.body.summary);
    expect((canonical.body.summary as { record_count: number }).record_count).toBeGreaterThan(0);
  });

  it('groups by service with savings and usage', async () => {
    const { body } = await get('/by-service?providers=AWS,OpenAI');
    expect(body.data).toEqual([
      {
        service: 'Amazon EC2',
        billed_cost: 100.01,
        effective_cost: 90,
        savings: 10.01,
        total_cost: 100.01,
        record_count: 1,
        usage: '1 Hours',
        usage_unit: 'Hours',
        percentage: 71.43,
      },
      {
        service: 'GPT-4o',
        billed_cost: 40,
        effective_cost: 40,
        savings: 0,
        total_cost: 40,
        record_count: 1,
        usage: '4.10K Tokens',
        usage_unit: 'Tokens',
        percentage: 28.57,
      },
      {
        service: 'Amazon S3',
        billed_cost: 0,
        effective_cost: 0,
        savings: 0,
        total_cost: 0,
        record_count: 1,
        usage: '2.00 KiB',
        usage_unit: 'Bytes',
        percentage: 0,
      },
    ]);
  });

  it('trends the last 30 days by day, and by month for a category', async () => {
    // An empty days is its default, as an absent one.
    expect((await get('/trend?days=')).body.data).toEqual((await get('/trend')).body.data);
    expect((await get('/trend')).body.data).toEqual([
      { date: '2025-02-10', total_cost: 12.5, record_count: 1 },
      { date: '2025-03-01', total_cost: 40, record_count: 1 },
      { date: '2025-03-05', total_cost: 100.01, record_count: 1 },
      { date: '2025-03-10', total_cost: 0, record_count: 1 },
    ]);
    expect((await get('/trend?granularity=monthly&days=365&category=genai')).body.data).toEqual([
      { date: '2025-02', total_cost: 12.5, record_count: 1 },
      { date: '2025-03', total_cost: 40, record_count: 1 },
    ]);
  });

  it('serves granular rows with the filters they offer', async () => {
    const { body } = await get('/trend-granular?days=120');
    expect(body.summary).toMatchObject({
      total_cost: 189.76,
      record_count: 6,
      granular_rows: 6,
      date_range: { start: '2024-11-11', end: '2025-03-10' },
      available_filters: {
        providers: ['AWS', 'Datadog', 'Google', 'OpenAI', 'Slack'],
        categories: ['cloud', 'genai', 'other', 'subscription'],
      },
    });
    expect((body.data as unknown[])[0]).toEqual({
      date: '2024-12-01',
      provider: 'Datadog',
      total_cost: 7.25,
      record_count: 1,
      category: 'other',
      hierarchy_entity_id: 'PROJ-11',
      hierarchy_entity_name: 'Data',
      hierarchy_level_code: 'business_unit',
      hierarchy_path: '/DEPT-1/PROJ-11',
      hierarchy_path_names: 'Engineering > Data',
    });
  });

  it('serves each category with its rows, and GenAI from the whole period when its month is empty', async () => {
    const genai = await get('/genai?start_date=2025-02-01&end_date=2025-02-28');
    expect((genai.body.data as unknown[]).length).toBe(1);
    expect(genai.body.summary).toMatchObject({
      total_cost: 12.5,
      mtd_cost: 0,
      daily_rate: 0.45,
      total_monthly_cost: 13.39,
      total_annual_cost: 162.95,
      providers: ['Google'],
      record_count: 1,
    });
    expect(genai.body.pagination).toEqual({ limit: 10_000, offset: 0, total: 1 });
    // Listed a page at a time (newest first), the summary still covering every row.
    const cloud = await get('/cloud');
    const cloudRows = cloud.body.data as { ChargePeriodStart: string }[];
    expect(cloudRows.length).toBeGreaterThan(1);
    const first = await get('/cloud?limit=1');
    const second = await get('/cloud?limit=1&offset=1');
    expect(first.body.data).toEqual([cloudRows[0]]);
    expect(second.body.data).toEqual([cloudRows[1]]);
    expect(first.body.pagination).toEqual({ limit: 1, offset: 0, total: cloudRows.length });
    expect(first.body.summary).toEqual(cloud.body.summary);
    const subs = await get('/subscriptions');
    expect(subs.body.summary).toMatchObject({
      total_cost: 30,
      by_category: [{ category: 'SaaS', total_cost: 30, record_count: 1, percentage: 100 }],
      service_categories: ['SaaS'],
    });
  });

  it('adds the four categories up to the total, counting a cloud provider’s GenAI row once', async () => {
    const { body } = await get('/total');
    expect(body).toMatchObject({
      success: true,
      currency: 'EUR',
      date_range: { start: '2024-04-01', end: '2025-03-10' },
    });
    const parts = ['subscription', 'cloud', 'genai', 'other'].map((k) => body[k] as Record<string, number>);
    expect(parts.map((p) => p.total_billed_cost)).toEqual([30, 100.01, 52.5, 7.25]);
    expect((body.total as Record<string, number>).total_billed_cost).toBe(189.76);
    expect(parts.reduce((s, p) => s + p.record_count, 0)).toBe(6);
  });

  it('shows every annual forecast projected from month to date as exactly 12 × the monthly one beside it', async () => {
    const cents = (value: unknown) => Math.round(Number(value) * 100);
    const total = (await get('/total')).body as Record<string, Record<string, number>>;
    // Cloud 100.009 and GenAI 40 this month (10 of 31 days): 310.03 and 124.00 a month. The
    // subscription has no cost this month (0); `other` has none either, so it is projected from
    // its period (daily × 365, the reference's fallback) and the sum's year is 12 × the months
    // of cloud and GenAI plus that fallback year.
    expect([total.cloud!.total_monthly_cost, total.cloud!.total_annual_cost]).toEqual([310.03, 3720.36]);
    expect([total.genai!.total_monthly_cost, total.genai!.total_annual_cost]).toEqual([124, 1488]);
    expect(total.total!.total_annual_cost).toBe(3720.36 + 1488 + total.other!.total_annual_cost!);
    const summaries = await Promise.all(
      ['/summary', '/cloud', '/genai', '/subscriptions', '/summary?providers=AWS'].map(
        async (route) => (await get(route)).body.summary as Record<string, number>,
      ),
    );
    for (const s of summaries) {
      expect(s.monthly_forecast).toBeGreaterThanOrEqual(0);
      expect(cents(s.annual_forecast)).toBe(12 * cents(s.monthly_forecast));
      if ('total_annual_cost' in s) expect(s.total_annual_cost).toBe(s.annual_forecast);
    }
  });

  it('filters on hierarchy segments: DEPT-1 is not DEPT-10', async () => {
    const byDept = await get('/summary?department_id=DEPT-1');
    expect(byDept.body.summary).toMatchObject({ total_cost: 137.26, record_count: 3 });
    const byPath = await get('/summary?hierarchy_path=/DEPT-10');
    expect(byPath.body.summary).toMatchObject({ total_cost: 40, record_count: 1 });
  });
});
