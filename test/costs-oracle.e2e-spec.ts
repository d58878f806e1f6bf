import { Global, Module } from '@nestjs/common';
import { COST_CACHE_OPTIONS, type CostCacheOptions } from '#analytics';
import { generateFocusRows, TEST_HIERARCHY, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { central, param, type QueryParams, tableRef, WAREHOUSE, type Warehouse } from '#warehouse';

/**
 * Every cost route against an independent computation: DuckDB SQL over the same FOCUS rows,
 * summing the NUMERIC columns exactly and rounding with ROUND(NUMERIC, 2) (half away from zero),
 * with the category rules restated as SQL. Random filters and periods from a fixed seed.
 */
const TODAY = '2025-06-15';
const NOW = Date.parse(`${TODAY}T09:30:00Z`);
const MONTH_START = '2025-06-01';
const DAYS_IN_MONTH = 30;

@Global()
@Module({
  providers: [
    { provide: COST_CACHE_OPTIONS, useValue: { clock: { now: () => NOW } } satisfies CostCacheOptions },
  ],
  exports: [COST_CACHE_OPTIONS],
})
class FixedClockModule {}

const SRC = `LOWER(TRIM(COALESCE(x_source_system, '')))`;
const PROV = `LOWER(TRIM(COALESCE(ServiceProviderName, '')))`;
const CAT = `LOWER(TRIM(COALESCE(ServiceCategory, '')))`;
/** The provider names one of `names` as whole words. */
const names = (values: string[]) =>
  `REGEXP_CONTAINS(${PROV}, r'(^|[^a-z0-9])(${values.join('|').replaceAll('.', '\\.')})($|[^a-z0-9])')`;
const CATEGORY_SQL = `CASE
  WHEN ${SRC} IN ('subscription_costs_daily', 'subscription_costs', 'subscription_plan_costs_daily') THEN 'subscription'
  WHEN ${SRC} IN ('genai_costs', 'genai_costs_daily', 'genai_costs_daily_unified', 'genai_payg_costs_daily',
    'genai_commitment_costs_daily', 'genai_infrastructure_costs_daily') THEN 'genai'
  WHEN ${SRC} IN ('cloud_gcp_billing', 'cloud_aws_billing', 'cloud_azure_billing', 'cloud_oci_billing', 'cloud_gcp_billing_raw_daily',
    'cloud_aws_billing_raw_daily', 'cloud_azure_billing_raw_daily', 'cloud_oci_billing_raw_daily') THEN 'cloud'
  WHEN ${names(['openai', 'anthropic', 'google ai', 'cohere', 'mistral', 'gemini', 'claude', 'deepseek', 'azure openai', 'aws bedrock', 'vertex ai', 'groq', 'perplexity', 'huggingface'])}
    OR ${CAT} IN ('genai', 'llm', 'ai/ml', 'ai and machine learning', 'ai') OR ${SRC} LIKE '%genai%' OR ${SRC} LIKE '%llm%' THEN 'genai'
  WHEN ${names(['gcp', 'aws', 'azure', 'google', 'amazon', 'microsoft', 'oci', 'oracle', 'google cloud', 'amazon web services', 'microsoft azure'])}
    OR ${SRC} LIKE '%cloud%' OR ${SRC} LIKE '%gcp%' OR ${SRC} LIKE '%aws%' OR ${SRC} LIKE '%azure%' OR ${SRC} LIKE '%oci%'
    OR ${CAT} IN ('cloud', 'compute', 'storage', 'networking', 'database', 'databases') THEN 'cloud'
  WHEN ${CAT} IN ('subscription', 'saas', 'software') THEN 'subscription'
  ELSE 'other' END`;

interface Scenario {
  start?: string;
  end?: string;
  providers?: string[];
  categories?: string[];
  entity?: { param: string; id: string };
  path?: string;
}

function scenarios(count: number): Scenario[] {
  let seed = 42; // Park–Miller: the same scenarios on every run
  const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => random() < 0.4).slice(0, 3);
  const day = (from: number, span: number) =>
    new Date(Date.parse('2024-01-01T00:00:00Z') + Math.floor(from + random() * span) * 86_400_000)
      .toISOString()
      .slice(0, 10);
  // Fixed cases first: the default period, prefix-sharing paths and ids, a whole-range provider.
  const out: Scenario[] = [
    {},
    { path: '/DEPT-1' },
    { entity: { param: 'department_id', id: 'DEPT-1' }, start: '2024-01-01', end: '2025-12-31' },
    { providers: ['Google', 'Oracle'], start: '2024-01-01', end: TODAY },
    // Mid-month: the run rate spreads month to date over the 6 days covered, not the 15 elapsed.
    { start: '2025-06-10', end: '2025-07-31' },
  ];
  while (out.length < count) {
    const s: Scenario = {};
    if (random() < 0.7) {
      s.start = day(0, 450);
      s.end = day((Date.parse(s.start) - Date.parse('2024-01-01')) / 86_400_000, 250);
    }
    if (random() < 0.4)
      s.providers = some(['AWS', 'Google Cloud', 'OpenAI', 'Google', 'Slack', 'Datadog', 'Oracle']);
    if (random() < 0.3)
      s.categories = some(['Compute', 'Storage', 'SaaS', 'genai', 'AI and Machine Learning']);
    if (random() < 0.4)
      s.entity = {
        param: pick(['department_id', 'project_id', 'team_id', 'hierarchy_entity_id']),
        id: pick(TEST_HIERARCHY).id,
      };
    else if (random() < 0.3) s.path = pick(TEST_HIERARCHY).path + (random() < 0.5 ? '/' : '');
    out.push(s);
  }
  return out;
}

function query(s: Scenario): string {
  const q = new URLSearchParams();
  if (s.start && s.end) {
    q.set('start_date', s.start);
    q.set('end_date', s.end);
  }
  if (s.providers?.length) q.set('providers', s.providers.join(','));
  if (s.categories?.length) q.set('service_categories', s.categories.join(','));
  if (s.entity) q.set(s.entity.param, s.entity.id);
  if (s.path) q.set('hierarchy_path', s.path);
  return q.toString();
}

function period(s: Scenario): { start: string; end: string } {
  if (s.start && s.end) return { start: s.start, end: s.end < TODAY ? s.end : TODAY };
  return { start: '2025-04-01', end: TODAY }; // fiscal year to date, April start
}

describe('cost routes equal an independent SQL computation, to the cent', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;
  let warehouse: Warehouse;
  let table: string;
  /** The same org and rows on an instance that pages every listing in the warehouse. */
  let paged: { t: TestApp; headers: Record<string, string> };

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' }, { imports: [FixedClockModule] });
    const pagedApp = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000', COST_LISTING_FRAME_MAX_ROWS: '1' },
      { imports: [FixedClockModule] },
    );
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const created = await anOrgWithKey(warehouse);
    org = created.org;
    headers = { 'x-api-key': created.key };
    const rows = generateFocusRows({ org, rows: 4000, seed: 20250615, start: '2024-01-01', end: TODAY });
    for (const app of [t, pagedApp]) {
      const wh = app.app.get<Warehouse>(WAREHOUSE);
      const key = app === t ? created.key : (await anOrgWithKey(wh, { org })).key;
      if (app === pagedApp) paged = { t: pagedApp, headers: { 'x-api-key': key } };
      await wh.execute(
        `UPDATE ${central('org_profiles')} SET default_currency = 'GBP', fiscal_year_start_month = 4 WHERE org_slug = @org`,
        { org },
      );
      await writeFocusRows(wh, app.config.orgDataset(org), rows);
    }
    const dataset = t.config.orgDataset(org);
    table = tableRef(dataset, 'cost_data_standard_1_3');
  }, 120_000);

  afterAll(async () => {
    await t.close();
    await paged?.t.close();
  });

  async function api(path: string, s: Scenario, extra = '', on = { t, headers }) {
    const qs = [query(s), extra].filter(Boolean).join('&');
    const res = await on.t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org}${path}${qs ? `?${qs}` : ''}`,
      headers: on.headers,
    });
    expect(res.statusCode).toBe(200);
    return res.json() as Record<string, never>;
  }

  /** Rows of the scenario (and an extra condition) as a WHERE clause with its parameters. */
  function where(s: Scenario, range = period(s), extra = ''): { sql: string; params: QueryParams } {
    const clauses = ['DATE(ChargePeriodStart) BETWEEN @start AND @end'];
    const params: QueryParams = { start: param.date(range.start), end: param.date(range.end) };
    if (s.providers?.length) {
      clauses.push('ServiceProviderName IN UNNEST(@providers)');
      params.providers = param.stringArray(s.providers);
    }
    if (s.categories?.length) {
      clauses.push('ServiceCategory IN UNNEST(@cats)');
      params.cats = param.stringArray(s.categories);
    }
    if (s.entity) {
      clauses.push(
        `(x_hierarchy_entity_id = @entity OR REGEXP_CONTAINS(x_hierarchy_path, CONCAT('(^|/)', @entity, '(/|$)')))`,
      );
      params.entity = s.entity.id;
    }
    if (s.path) {
      clauses.push(`(x_hierarchy_path = @path OR STARTS_WITH(x_hierarchy_path, CONCAT(@path, '/')))`);
      params.path = s.path.replace(/\/$/, '');
    }
    if (extra) clauses.push(extra);
    return { sql: clauses.join(' AND '), params };
  }

  async function sql<T extends Record<string, unknown>>(
    select: string,
    w: { sql: string; params: QueryParams },
    tail = '',
  ) {
    return warehouse.query<T>(`SELECT ${select} FROM ${table} WHERE ${w.sql} ${tail}`, w.params);
  }

  const MONEY = `ROUND(SUM(BilledCost), 2) AS billed, ROUND(SUM(EffectiveCost), 2) AS effective,
    ROUND(SUM(BilledCost - EffectiveCost), 2) AS savings, COUNT(*) AS n`;
  const num = (v: unknown) => Number(v ?? 0);

  const daysFrom = (start: string, end: string) =>
    Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000) + 1;

  async function forecast(s: Scenario, extra = '', fallback = false) {
    const range = period(s);
    const mtdStart = range.start > MONTH_START ? range.start : MONTH_START;
    // The days of this month the period covers (its end is capped at today already).
    const covered = Math.max(1, daysFrom(mtdStart, range.end));
    const [m] = await sql<{ mtd: number; d: number; mo: number; y: number }>(
      `ROUND(SUM(BilledCost), 2) AS mtd, ROUND(SUM(BilledCost) / ${covered}, 2) AS d,
       ROUND(SUM(BilledCost) * ${DAYS_IN_MONTH} / ${covered}, 2) AS mo, ROUND(ROUND(SUM(BilledCost) * ${DAYS_IN_MONTH} / ${covered}, 2) * 12, 2) AS y`,
      where(s, { start: mtdStart, end: range.end }, extra),
    );
    const days = daysFrom(range.start, range.end);
    const [all] = await sql<{ total: number; d: number; mo: number; y: number }>(
      `SUM(BilledCost) AS total, ROUND(SUM(BilledCost) / ${days}, 2) AS d, ROUND(SUM(BilledCost) * 30 / ${days}, 2) AS mo,
       ROUND(SUM(BilledCost) * 365 / ${days}, 2) AS y`,
      where(s, range, extra),
    );
    const mtd = num(m?.mtd);
    if (fallback && mtd === 0 && num(all?.total) > 0)
      return { mtd, daily: num(all?.d), monthly: num(all?.mo), annual: num(all?.y) };
    return { mtd, daily: num(m?.d), monthly: num(m?.mo), annual: num(m?.y) };
  }

  const cases = scenarios(17);

  it.each(cases.map((s, i) => [i, JSON.stringify(s), s] as const))(
    'scenario %i %s',
    async (_i, _label, s) => {
      const range = period(s);
      const all = where(s);
      const [totals] = await sql<Record<string, number>>(MONEY, all);
      const f = await forecast(s);

      const summary = (await api('/summary', s)).summary as Record<string, unknown>;
      expect(summary).toMatchObject({
        total_cost: num(totals!.billed),
        total_billed_cost: num(totals!.billed),
        total_effective_cost: num(totals!.effective),
        total_savings: num(totals!.savings),
        record_count: num(totals!.n),
        mtd_cost: f.mtd,
        daily_rate: f.daily,
        monthly_forecast: f.monthly,
        annual_forecast: f.annual,
        date_range: range,
      });

      const providers = await sql<{ k: string; billed: number; n: number }>(
        `ServiceProviderName AS k, ${MONEY}`,
        all,
        'GROUP BY 1 ORDER BY 1',
      );
      const byProvider = (
        (await api('/by-provider', s)).data as {
          provider: string;
          total_cost: number;
          record_count: number;
        }[]
      )
        .map((p) => [p.provider, p.total_cost, p.record_count])
        .sort();
      expect(byProvider).toEqual(providers.map((p) => [p.k, num(p.billed), num(p.n)]).sort());

      const services = await sql<Record<string, number | string>>(
        `ServiceName AS k, ${MONEY}`,
        all,
        'GROUP BY 1',
      );
      const byService = ((await api('/by-service', s)).data as Record<string, number | string>[])
        .map((x) => [x.service, x.billed_cost, x.effective_cost, x.savings, x.record_count])
        .sort();
      expect(byService).toEqual(
        services.map((x) => [x.k, num(x.billed), num(x.effective), num(x.savings), num(x.n)]).sort(),
      );

      const rows = await api('', s, 'limit=10000');
      expect((rows.pagination as { total: number }).total).toBe(num(totals!.n));
      const listed = (rows.data as Record<string, string | number>[]).map(
        (r) => `${r.ChargePeriodStart}|${r.ServiceName}|${r.BilledCost}`,
      );
      const expectedRows = await sql<{ r: string }>(
        `CONCAT(CAST(DATE(ChargePeriodStart) AS STRING), '|', ServiceName, '|', CAST(CAST(BilledCost AS FLOAT64) AS STRING)) AS r`,
        all,
      );
      // The cost as the number JavaScript writes (DuckDB writes 1.0 and 1.33e-07 where JSON has 1 and 1.33e-7).
      const asNumber = (r: string) => r.replace(/\|([^|]+)$/, (_m, cost: string) => `|${Number(cost)}`);
      expect([...listed].sort()).toEqual(expectedRows.map((r) => asNumber(r.r)).sort());
      // Paged by the warehouse (the instance's frame of rows refused), the same listing and pages.
      const inWarehouse = await api('', s, 'limit=10000', paged);
      expect(inWarehouse.pagination).toEqual(rows.pagination);
      expect(inWarehouse.data).toEqual(rows.data);
      const offset = Math.floor((rows.data as unknown[]).length / 3);
      const page = await api('', s, `limit=97&offset=${offset}`, paged);
      expect(page.data).toEqual((rows.data as unknown[]).slice(offset, offset + 97));
      expect([...listed].map((r) => r.slice(0, 10))).toEqual(
        [...listed]
          .map((r) => r.slice(0, 10))
          .sort()
          .reverse(),
      );

      const total = await api('/total', s);
      let parts = 0;
      for (const category of ['subscription', 'cloud', 'genai', 'other'] as const) {
        const cond = `${CATEGORY_SQL} = '${category}'`;
        const [c] = await sql<Record<string, number>>(MONEY, where(s, range, cond));
        const cf = await forecast(s, cond, category !== 'subscription');
        expect(total[category]).toMatchObject({
          total_billed_cost: num(c!.billed),
          total_effective_cost: num(c!.effective),
          total_savings: num(c!.savings),
          record_count: num(c!.n),
          mtd_cost: cf.mtd,
          total_daily_cost: cf.daily,
          total_monthly_cost: cf.monthly,
          total_annual_cost: cf.annual,
        });
        parts += num(c!.n);
        if (category === 'other') continue;
        const route = category === 'subscription' ? '/subscriptions' : `/${category}`;
        const body = await api(route, s);
        expect((body.data as unknown[]).length).toBe(num(c!.n));
        expect(body.summary).toMatchObject({
          total_cost: num(c!.billed),
          mtd_cost: cf.mtd,
          daily_rate: cf.daily,
          record_count: num(c!.n),
        });
      }
      expect(parts).toBe(num(totals!.n));
      expect((total.total as Record<string, number>).total_billed_cost).toBe(num(totals!.billed));
    },
  );

  it.each(cases.slice(0, 9).map((s, i) => [i, s] as const))('trends of scenario %i', async (_i, s) => {
    for (const [granularity, bucket] of [
      ['daily', `CAST(DATE(ChargePeriodStart) AS STRING)`],
      ['weekly', `CAST(DATE_TRUNC(DATE(ChargePeriodStart), WEEK(MONDAY)) AS STRING)`],
      ['monthly', `FORMAT_DATE('%Y-%m', DATE(ChargePeriodStart))`],
    ] as const) {
      const expected = await sql<{ k: string; billed: number; n: number }>(
        `${bucket} AS k, ${MONEY}`,
        where(s),
        'GROUP BY 1 ORDER BY 1',
      );
      const trend = await api('/trend', s, `granularity=${granularity}${s.start ? '' : '&days=76'}`);
      expect(
        (trend.data as { date: string; total_cost: number; record_count: number }[]).map((d) => [
          d.date,
          d.total_cost,
          d.record_count,
        ]),
      ).toEqual(expected.map((e) => [e.k, num(e.billed), num(e.n)]));
    }
    const genai = await sql<{ billed: number }>(MONEY, where(s, period(s), `${CATEGORY_SQL} = 'genai'`));
    const genaiTrend = await api(
      '/trend',
      s,
      `granularity=monthly&category=genai${s.start ? '' : '&days=76'}`,
    );
    expect((genaiTrend.summary as { total_cost: number }).total_cost).toBe(num(genai[0]?.billed));
  });

  it('gives granular rows per day, provider, entity and category that sum like the SQL', async () => {
    const range = { start: '2024-06-20', end: TODAY };
    const expected = await sql<{ k: string; billed: number; n: number }>(
      `CONCAT(CAST(DATE(ChargePeriodStart) AS STRING), '|', ServiceProviderName, '|', ${CATEGORY_SQL}, '|', COALESCE(x_hierarchy_entity_id, '-')) AS k, ${MONEY}`,
      where({}, range),
      'GROUP BY 1',
    );
    const body = await api('/trend-granular', {}, 'days=361');
    const rows = (body.data as Record<string, string | number | null>[]).map((r) => [
      `${r.date}|${r.provider}|${r.category}|${r.hierarchy_entity_id ?? '-'}`,
      r.total_cost,
      r.record_count,
    ]);
    expect(rows.sort()).toEqual(expected.map((e) => [e.k, num(e.billed), num(e.n)]).sort());
    const [all] = await sql<Record<string, number>>(MONEY, where({}, range));
    expect(body.summary).toMatchObject({
      total_cost: num(all!.billed),
      record_count: num(all!.n),
      date_range: range,
    });
  });
});
