import { aFocusRow, generateFocusRows } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costRows, costRowsPage } from './cost-rows.js';

describe('raw cost rows', async () => {
  const frame = costFrameOf([
    aFocusRow({ date: '2025-01-01', provider: 'AWS', billedCost: 1.5, effectiveCost: 1.25, listCost: 2 }),
    aFocusRow({ date: '2025-01-03', provider: 'GCP', billedCost: 3 }),
    aFocusRow({ date: '2025-01-03', provider: 'AWS', billedCost: 0.000001 }),
    aFocusRow({ date: '2025-01-02', provider: 'AWS', billedCost: 2 }),
  ]);

  it('lists newest day first, then provider, in pages', async () => {
    const page = await costRowsPage(frame, 1, 2);
    expect(page.total).toBe(4);
    expect(page.rows.map((r) => [r.ChargePeriodStart, r.ServiceProviderName, r.BilledCost])).toEqual([
      ['2025-01-03', 'GCP', 3],
      ['2025-01-02', 'AWS', 2],
    ]);
    expect((await costRowsPage(frame, 0, 1)).rows[0]!.BilledCost).toBe(0.000001);
    expect(await costRowsPage(frame, 10, 5)).toEqual({ rows: [], total: 4 });
  });

  it('keeps the reference fields, costs in currency units and savings per row', async () => {
    const row = (await costRowsPage(frame, 3, 1)).rows[0]!;
    expect(row).toMatchObject({
      ServiceProviderName: 'AWS',
      BilledCost: 1.5,
      EffectiveCost: 1.25,
      Savings: 0.25,
      ListCost: 2,
      ChargePeriodStart: '2025-01-01',
      ChargePeriodEnd: '2025-01-02',
      BillingCurrency: 'USD',
      x_source_system: 'cloud_aws_billing_raw_daily',
    });
    expect(Object.keys(row)).toHaveLength(25);
  });

  it('pages through a period without overlapping or skipping a row', async () => {
    const many = costFrameOf(
      generateFocusRows({ org: 'paging', rows: 300, seed: 9, start: '2025-01-01', end: '2025-01-20' }),
    );
    const all = await costRows(many);
    const pages = [];
    for (let offset = 0; offset < 300; offset += 37)
      pages.push(...(await costRowsPage(many, offset, 37)).rows);
    expect(pages).toEqual(all);
    const days = all.map((r) => r.ChargePeriodStart);
    expect(days).toEqual([...days].sort().reverse());
  });

  it('lists the same rows in the same order however the warehouse returned them', async () => {
    // Same day, provider, service, account, resource and region: they differ only in what else
    // a listed row shows (hourly rows, a tax next to its usage, another allocation).
    const rows = [
      aFocusRow({ date: '2025-01-05', billedCost: 4, chargeCategory: 'Usage' }),
      aFocusRow({ date: '2025-01-05', billedCost: 4, chargeCategory: 'Tax' }),
      aFocusRow({ date: '2025-01-05', billedCost: 1 }),
      aFocusRow({
        date: '2025-01-05',
        billedCost: 1,
        entity: { id: 'DEPT-2', name: 'Two', levelCode: 'department', path: '/DEPT-2', pathNames: 'Two' },
      }),
      aFocusRow({ date: '2025-01-05', billedCost: 1, sourceSystem: 'cloud_aws_billing_cur' }),
      ...generateFocusRows({ org: 'ties', rows: 60, seed: 3, start: '2025-01-01', end: '2025-01-05' }),
    ];
    const listed = await costRows(costFrameOf(rows));
    expect(await costRows(costFrameOf([...rows].reverse()))).toEqual(listed);
    const shuffled = rows.map((r, i) => ({ r, k: (i * 7919) % rows.length })).sort((a, b) => a.k - b.k);
    expect(await costRows(costFrameOf(shuffled.map((x) => x.r)))).toEqual(listed);
  });
});
