import fs from 'node:fs';
import { tableRef, WAREHOUSE, type Warehouse } from '#warehouse';
import { LogCapture } from '#test/log-capture';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { DEMO_PROVIDERS } from '../apps/api/src/demo/demo-catalog.js';
import { DEMO_ORG, DemoService, type DemoResult } from '../apps/api/src/demo/demo.service.js';

const ROWS = 3000;
const END = '2025-06-30';
const RANGE = 'start_date=2024-07-01&end_date=2025-06-30';

let t: TestApp;
let warehouse: Warehouse;
let first: DemoResult;

async function costRoute(path: string, key: string) {
  return t.app.inject({
    method: 'GET',
    url: `/api/v1/costs/${DEMO_ORG}${path}`,
    headers: { 'x-api-key': key },
  });
}

interface CategoryTotal extends Record<string, unknown> {
  source: string;
  n: number;
  billed: number;
}

async function totalsBySource(): Promise<CategoryTotal[]> {
  return warehouse.query<CategoryTotal>(
    `SELECT x_source_system AS source, COUNT(*) AS n, SUM(CAST(BilledCost AS FLOAT64)) AS billed
     FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}
     GROUP BY x_source_system ORDER BY x_source_system`,
  );
}

beforeAll(async () => {
  t = await startTestApp();
  warehouse = t.app.get<Warehouse>(WAREHOUSE);
  first = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END });
}, 120_000);
afterAll(() => t?.close());

describe('demo organization', () => {
  it('imports a year of FOCUS rows for every cloud, GenAI and SaaS source', async () => {
    expect(first).toMatchObject({ org: DEMO_ORG, rows: ROWS, start: '2024-07-01', end: END });
    const totals = await totalsBySource();

    expect(totals.map((r) => r.source)).toEqual([
      'cloud_aws_billing',
      'cloud_azure_billing',
      'cloud_gcp_billing',
      'cloud_oci_billing',
      'genai_costs_daily_unified',
      'subscription_costs_daily',
    ]);
    expect(totals.reduce((n, r) => n + r.n, 0)).toBe(ROWS);
    for (const row of totals) expect(row.billed).toBeGreaterThan(0);
  });

  it('spreads the costs over the leaves of the default hierarchy and every day of the year', async () => {
    const [spread] = await warehouse.query<{ leaves: number; days: number; unallocated: number }>(
      `SELECT COUNT(DISTINCT x_hierarchy_entity_id) AS leaves,
              COUNT(DISTINCT DATE(ChargePeriodStart)) AS days,
              COUNTIF(x_hierarchy_path IS NULL) AS unallocated
       FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}`,
    );

    expect(spread).toEqual({ leaves: 9, days: 365, unallocated: 0 });
  });

  it("bills each service's usage at its list price, seats and hosts in whole units", async () => {
    const rows = await warehouse.query<{ service: string; unit: string; price: number; fractional: number }>(
      `SELECT ServiceName AS service, ConsumedUnit AS unit,
              SUM(CAST(BilledCost AS FLOAT64)) / SUM(CAST(ConsumedQuantity AS FLOAT64)) AS price,
              COUNTIF(ConsumedQuantity != ROUND(ConsumedQuantity)) AS fractional
       FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}
       GROUP BY ServiceName, ConsumedUnit`,
    );
    const listed = new Map(
      DEMO_PROVIDERS.flatMap((p) => p.services).map((s) => [`${s.name}|${s.unit}`, s.unitPrice]),
    );
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) {
      // Services sharing a name and unit (two models of one API) average between their prices.
      const prices = DEMO_PROVIDERS.flatMap((p) => p.services)
        .filter((s) => s.name === row.service && s.unit === row.unit)
        .map((s) => s.unitPrice);
      expect(listed.has(`${row.service}|${row.unit}`)).toBe(true);
      expect(row.price).toBeGreaterThan(Math.min(...prices) * 0.85);
      expect(row.price).toBeLessThan(Math.max(...prices) * 1.15);
      if (row.unit === 'Seats' || row.unit === 'Hosts') expect(row.fractional).toBe(0);
    }
  });

  it('gives a key that reads the org, and a second run replaces the data and keeps the key', async () => {
    const before = await totalsBySource();
    const second = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END });

    expect(second.apiKey).toBe(first.apiKey);
    // Kept for an app start with DEMO_DATA, which never logs the key itself.
    expect(fs.readFileSync(second.keyFile, 'utf8').trim()).toBe(first.apiKey);
    expect(fs.statSync(second.keyFile).mode & 0o777).toBe(0o600);
    expect(second.imports.reduce((n, i) => n + i.replaced, 0)).toBe(ROWS);
    expect(await totalsBySource()).toEqual(before);
    // A whole demo imported again: ~10 s alone, past the default 30 s under a CI run's load.
  }, 90_000);

  it('refuses an end day the month does not have, rather than seeding the year to another day', async () => {
    await expect(t.app.get(DemoService).ensureDemo({ rows: ROWS, end: '2025-02-30' })).rejects.toThrow(
      'Invalid demo end date: 2025-02-30',
    );
  });

  it('keeps the rows already there when asked to (an app start with DEMO_DATA)', async () => {
    const before = await totalsBySource();
    const kept = await t.app.get(DemoService).ensureDemo({ rows: 10, end: END, keepExisting: true });

    expect(kept).toMatchObject({ apiKey: first.apiKey, rows: ROWS, imports: [] });
    expect(await totalsBySource()).toEqual(before);
  });

  it('seeds again at a DEMO_DATA start when an earlier seeding stopped half-way (a source has no rows)', async () => {
    const before = await totalsBySource();
    // As a process killed between two sources' imports leaves it: the last source never came.
    await warehouse.execute(
      `DELETE FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}
       WHERE x_source_system = 'subscription_costs_daily'`,
    );

    const seeded = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });

    expect(seeded).toMatchObject({ apiKey: first.apiKey, rows: ROWS });
    expect(seeded.imports.map((i) => i.source)).toContain('subscription_costs_daily');
    expect(await totalsBySource()).toEqual(before);
    // A whole demo imported again: ~10 s alone, past the default 30 s under a CI run's load.
  }, 90_000);

  it('answers every cost category with the imported totals through the cost routes', async (ctx) => {
    const res = await costRoute(`/total?${RANGE}`, first.apiKey);
    // The cost routes are another module; without them this demo check has nothing to read.
    if (res.statusCode === 404 && res.json().code === 'NOT_FOUND') ctx.skip();
    const bySource = await totalsBySource();
    const sum = (prefix: string) => bySource.filter((r) => r.source.startsWith(prefix));
    const expected = (prefix: string) => ({
      record_count: sum(prefix).reduce((n, r) => n + r.n, 0),
      total_billed_cost: Math.round(sum(prefix).reduce((n, r) => n + r.billed, 0) * 100) / 100,
    });

    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.cloud).toMatchObject(expected('cloud_'));
    expect(body.genai).toMatchObject(expected('genai_'));
    expect(body.subscription).toMatchObject(expected('subscription_'));
    expect(body.other).toMatchObject({ record_count: 0 });
    expect(body.total).toMatchObject({ record_count: ROWS });
    for (const part of ['cloud', 'genai', 'subscription'])
      expect(body[part].total_billed_cost).toBeGreaterThan(0);
  });

  it("keeps an org's own export imported in place of a demo source at a DEMO_DATA start, not adding the demo's rows beside it", async () => {
    const before = await totalsBySource();
    // README's example: the org's AWS export, without credential_id, over the demo's whole year.
    const months = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2024, 6 + i, 1)));
    const csv = [
      'BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,' +
        'ChargePeriodStart,ChargePeriodEnd,ContractedCost,EffectiveCost,ListCost,ServiceCategory,' +
        'ServiceName,ServiceProviderName,HostProviderName,InvoiceIssuerName',
      ...months.map((m, i) => {
        const day = i === 11 ? new Date(Date.UTC(2025, 5, 30)) : m;
        const next = new Date(day.getTime() + 86_400_000);
        const end = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
        return `10,acct,USD,${m.toISOString()},${end.toISOString()},Usage,${day.toISOString()},${next.toISOString()},10,10,10,Compute,Amazon EC2,AWS,AWS,AWS`;
      }),
    ].join('\n');
    const imported = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${DEMO_ORG}/costs/import?source_system=cloud_aws_billing`,
      headers: { 'x-api-key': first.apiKey, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.json()).toMatchObject({ status: 'completed', rows_imported: 12 });
    const aws = (totals: CategoryTotal[]) => totals.find((r) => r.source === 'cloud_aws_billing')!.n;
    expect(imported.json().rows_replaced).toBe(aws(before));

    const restarted = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });

    expect(restarted.imports).toEqual([]);
    expect(aws(await totalsBySource())).toBe(12);
    // The demo's AWS rows back, for the tests below.
    await warehouse.execute(
      `DELETE FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}
       WHERE x_source_system = 'cloud_aws_billing'`,
    );
    await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });
    expect(await totalsBySource()).toEqual(before);
  }, 90_000);

  it('keeps the plan the demo org was moved to at a DEMO_DATA start', async () => {
    const subscription = (method: 'GET' | 'PUT', payload?: object) =>
      t.app.inject({
        method,
        url: `/api/v1/organizations/${DEMO_ORG}/subscription`,
        headers: rootHeaders,
        ...(payload ? { payload } : {}),
      });
    expect((await subscription('PUT', { plan_name: 'SCALE' })).statusCode).toBe(200);

    const restarted = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });

    expect(restarted.apiKey).toBe(first.apiKey);
    expect((await subscription('GET')).json()).toMatchObject({ plan_name: 'SCALE', daily_limit: 100 });
  });

  it('comes back at a DEMO_DATA start after the demo org was offboarded, with the rows its dataset kept', async () => {
    const before = await totalsBySource();
    const offboarded = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/organizations/${DEMO_ORG}`,
      headers: rootHeaders,
      payload: { confirm_org_slug: DEMO_ORG },
    });
    expect(offboarded.statusCode).toBe(200);

    // The dataset stays by default (delete_dataset=false): onboarding refuses it unless adopted.
    const back = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });

    expect(back).toMatchObject({ rows: ROWS, imports: [] });
    expect(await totalsBySource()).toEqual(before);
    const res = await costRoute(`/total?${RANGE}`, back.apiKey);
    expect(res.statusCode).toBe(200);
    expect(res.json().total.record_count).toBe(ROWS);
  });
});

describe('an app start with DEMO_DATA', () => {
  it('seeds the demo and says where its key is, without logging the key', async () => {
    const logs = new LogCapture();
    const started = await startTestApp(
      { DEMO_DATA: 'true', DEMO_ROWS: '600', LOG_LEVEL: 'info' },
      { logDestination: logs },
    );
    try {
      const file = `${started.dataDir}/demo-api-key`;
      const key = fs.readFileSync(file, 'utf8').trim();
      const line = logs.lines
        .map((l) => JSON.parse(l) as { message?: string; file?: string })
        .find((l) => l.message?.startsWith('Demo organization ready'));
      expect(line?.file).toBe(file);
      expect(logs.text).not.toContain(key);
      const res = await started.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${DEMO_ORG}/total`,
        headers: { 'x-api-key': key },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().total.record_count).toBeGreaterThan(0);
    } finally {
      await started.close();
    }
  }, 120_000);
});
