import { tableRef, WAREHOUSE, type Warehouse } from '#warehouse';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { CostImportService } from '../apps/api/src/cost-import/cost-import.service.js';
import { DEMO_ORG, DemoService } from '../apps/api/src/demo/demo.service.js';

const ROWS = 200;
const FIRST_END = '2026-06-30';
const LATER_END = '2026-08-29';
// Both years: rows the first seeding left before the later year's start would count here.
const SUMMARY = `/api/v1/costs/${DEMO_ORG}/summary?start_date=2025-07-01&end_date=${LATER_END}`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(() => t?.close());

async function demoRows() {
  const warehouse = t.app.get<Warehouse>(WAREHOUSE);
  const [row] = await warehouse.query<{ n: number; first: string }>(
    `SELECT COUNT(*) AS n, CAST(MIN(DATE(ChargePeriodStart)) AS STRING) AS first
     FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')}`,
  );
  return { n: Number(row.n), first: row.first };
}

describe('the demo seeded again over a later year', () => {
  it("holds the later year's rows only, and its cached cost reads are not served stale", async () => {
    const demo = t.app.get(DemoService);
    const first = await demo.ensureDemo({ rows: ROWS, end: FIRST_END });
    const summary = () =>
      t.app.inject({ method: 'GET', url: SUMMARY, headers: { 'x-api-key': first.apiKey } });
    const before = await summary();
    expect(before.statusCode).toBe(200);
    expect(before.json().summary.record_count).toBe(ROWS);

    // A read after the last source's import and before the earlier rows go: cached, stale after.
    const imports = t.app.get(CostImportService);
    const drop = imports.deleteImportedExcept.bind(imports);
    const between = vi
      .spyOn(imports, 'deleteImportedExcept')
      .mockImplementation(async (...args) => ((await summary()).statusCode === 200 ? drop(...args) : 0));

    const later = await demo.ensureDemo({ rows: ROWS, end: LATER_END });

    expect(between).toHaveBeenCalledOnce();
    expect(later).toMatchObject({ rows: ROWS, start: '2025-08-30', end: LATER_END });
    // The first year's rows before 2025-08-30 stayed (the org held more than a year), and, rows
    // being sparse, some inside the later year between a source's charge days.
    expect(await demoRows()).toEqual({ n: later.rows, first: later.start });
    const after = await summary();
    expect(after.statusCode).toBe(200);
    expect(after.json().summary.record_count).toBe(later.rows);
    between.mockRestore();
  }, 120_000);

  it('keeps what a seeding running beside it imported since it began', async () => {
    const demo = t.app.get(DemoService);
    const imports = t.app.get(CostImportService);
    const drop = imports.deleteImportedExcept.bind(imports);
    let other = '';
    // Another seeding's import (the demo's credential) landing while this one runs.
    const beside = vi.spyOn(imports, 'deleteImportedExcept').mockImplementation(async (org, rows) => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${DEMO_ORG}/costs/import?source_system=cloud_aws_billing&credential_id=demo`,
        headers: { ...rootHeaders, 'content-type': 'text/csv' },
        payload: [
          'BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,' +
            'ChargePeriodStart,ChargePeriodEnd,ContractedCost,EffectiveCost,ListCost,ServiceCategory,' +
            'ServiceName,ServiceProviderName,HostProviderName,InvoiceIssuerName',
          '10,acct,USD,2026-08-01T00:00:00Z,2026-09-01T00:00:00Z,Usage,2026-08-15T00:00:00Z,' +
            '2026-08-16T00:00:00Z,10,10,10,Compute,Amazon EC2,AWS,AWS,AWS',
        ].join('\n'),
      });
      other = res.json<{ import_id: string }>().import_id;
      return drop(org, rows);
    });

    await demo.ensureDemo({ rows: ROWS, end: LATER_END });

    beside.mockRestore();
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const [kept] = await warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${tableRef(`${DEMO_ORG}_local`, 'cost_data_standard_1_3')} WHERE x_run_id = @run`,
      { run: other },
    );
    expect(Number(kept.n)).toBe(1);
  }, 120_000);
});
