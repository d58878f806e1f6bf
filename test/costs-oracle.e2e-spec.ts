import { generateFocusRows, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { central, tableRef, WAREHOUSE, type Warehouse } from '#warehouse';
import {
  CATEGORY_SQL,
  costsOracle,
  FixedClockModule,
  MONEY,
  num,
  period,
  query,
  type Scenario,
  scenarios,
  TODAY,
  where,
} from '#test/costs-oracle';

/**
 * Every cost route against an independent computation (test/support/costs-oracle.ts): DuckDB SQL
 * over the same FOCUS rows, random filters and periods from a fixed seed.
 */

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

  const { sql, forecast } = costsOracle(() => ({ warehouse, table }));

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
