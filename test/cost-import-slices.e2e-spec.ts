import { importTargetForAll, startImportApp } from '#test/cost-import-calls';
import { tableRef } from '#warehouse';
import { aFocusFileRow, focusCsv, focusParquet, type FocusFileRow } from '#test/focus-files';

/**
 * What a re-import replaces: the rows of its billing periods within its charge days. Provider
 * exports are one billing period each, and a later period's export may carry a correction charged
 * in an earlier month; the import of that export must leave the earlier months' rows alone.
 */
const target = importTargetForAll(() => startImportApp('slc', 'Slice Co', {}, { smallLimits: false }));

const FORMATS = {
  csv: { type: 'text/csv', file: (rows: FocusFileRow[]) => focusCsv(rows) },
  parquet: { type: 'application/vnd.apache.parquet', file: (rows: FocusFileRow[]) => focusParquet(rows) },
} as const;

/** A month's export: one row a day on days 1-10, all of that month's billing period. */
function monthExport(month: string, cost: string): FocusFileRow[] {
  return Array.from({ length: 10 }, (_, i) =>
    aFocusFileRow({ day: `${month}-${String(i + 1).padStart(2, '0')}`, BilledCost: cost }),
  );
}

/** A correction charged on `day`, billed in the billing period starting `billedIn`. */
function correction(day: string, billedIn: string, cost: string): FocusFileRow {
  return aFocusFileRow({
    day,
    BilledCost: cost,
    ChargeCategory: 'Adjustment',
    BillingPeriodStart: `${billedIn}-01T00:00:00Z`,
    BillingPeriodEnd: `${billedIn}-28T00:00:00Z`,
  });
}

async function upload(format: keyof typeof FORMATS, source: string, rows: FocusFileRow[]) {
  const res = await target.t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/organizations/${target.org}/costs/import?source_system=${source}`,
    headers: { 'x-api-key': target.key, 'content-type': FORMATS[format].type },
    payload: FORMATS[format].file(rows),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Rows and billed total by billing period month. */
async function byBillingPeriod(source: string): Promise<Record<string, [number, number]>> {
  const rows = await target.warehouse.query<{ period: string; n: number; billed: number }>(
    `SELECT FORMAT_TIMESTAMP('%Y-%m', BillingPeriodStart) AS period, COUNT(*) AS n,
            SUM(CAST(BilledCost AS FLOAT64)) AS billed
     FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')}
     WHERE x_source_system = @source GROUP BY 1 ORDER BY 1`,
    { source },
  );
  return Object.fromEntries(rows.map((r) => [r.period, [Number(r.n), Number(r.billed)]]));
}

describe.each(Object.keys(FORMATS) as (keyof typeof FORMATS)[])('cost import slices (%s)', (format) => {
  it('keeps earlier months when a later export carries a correction charged in one of them', async () => {
    const source = `corr_${format}`;
    await upload(format, source, monthExport('2026-08', '1'));
    await upload(format, source, monthExport('2026-09', '2'));
    await upload(format, source, monthExport('2026-10', '3'));
    // October's export, with a correction of an August charge: billed in October.
    const october = [...monthExport('2026-10', '3'), correction('2026-08-05', '2026-10', '-0.5')];
    const report = await upload(format, source, october);
    expect(report).toMatchObject({
      charge_period: { start: '2026-08-05', end: '2026-10-11' },
      billing_periods: ['2026-10-01T00:00:00.000Z'],

      // Only October's own rows, within the file's charge days.
      rows_replaced: 10,
    });
    expect(await byBillingPeriod(source)).toEqual({
      '2026-08': [10, 10],
      '2026-09': [10, 20],
      '2026-10': [11, 29.5],
    });
    // A re-import of it replaces its 11 rows and nothing else.
    expect(await upload(format, source, october)).toMatchObject({ rows_replaced: 11 });
    expect(await byBillingPeriod(source)).toEqual({
      '2026-08': [10, 10],
      '2026-09': [10, 20],
      '2026-10': [11, 29.5],
    });
  });

  it('replaces every billing period of a file that spans several, within its charge days', async () => {
    const source = `span_${format}`;
    await upload(format, source, [...monthExport('2026-05', '1'), ...monthExport('2026-06', '1')]);
    // A month split by day: June 11-20 comes on its own and joins June 1-10.
    const later = Array.from({ length: 10 }, (_, i) =>
      aFocusFileRow({ day: `2026-06-${11 + i}`, BilledCost: '5' }),
    );
    expect(await upload(format, source, later)).toMatchObject({ rows_replaced: 0 });
    // Both months again, with new amounts: every row of May and June 1-10 is replaced; June 11-20
    // (after the file's last charge day) is kept.
    const again = await upload(format, source, [
      ...monthExport('2026-05', '2'),
      ...monthExport('2026-06', '3'),
    ]);
    expect(again).toMatchObject({
      billing_periods: ['2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],

      rows_replaced: 20,
    });
    expect(await byBillingPeriod(source)).toEqual({ '2026-05': [10, 20], '2026-06': [20, 80] });
  });
});
