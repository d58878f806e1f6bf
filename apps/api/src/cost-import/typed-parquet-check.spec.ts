import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pl from 'nodejs-polars';
import { aFocusFileRow, asFocus12, focusParquet, type FocusFileRow } from '#test/focus-files';
import { SchemaRegistry } from '#warehouse';
import { COST_TABLE, planColumns } from './focus-columns.js';
import { checkTypedParquet } from './typed-parquet-check.js';

const schema = SchemaRegistry.load().orgTable(COST_TABLE);
const files: string[] = [];

function file(bytes: Buffer): string {
  const name = path.join(os.tmpdir(), `typed-check-${randomUUID()}.parquet`);
  fs.writeFileSync(name, bytes);
  files.push(name);
  return name;
}

function check(rows: FocusFileRow[], edit?: (df: pl.DataFrame) => pl.DataFrame) {
  let name = file(focusParquet(rows));
  if (edit) {
    const edited = path.join(os.tmpdir(), `typed-check-${randomUUID()}.parquet`);
    edit(pl.readParquet(name)).writeParquet(edited);
    files.push(edited);
    name = edited;
  }
  const header = pl.readParquet(name, { numRows: 0 }).columns;
  return checkTypedParquet(name, planColumns(header, schema), header, 'USD');
}

afterAll(() => {
  for (const name of files) fs.rmSync(name, { force: true });
});

describe('checkTypedParquet', () => {
  it('vouches for a natively typed file and gives its row count, charge days and billing periods', async () => {
    const result = await check([
      aFocusFileRow({ day: '2025-03-05' }),
      aFocusFileRow({ day: '2025-03-01' }),
      aFocusFileRow({
        day: '2025-02-27',
        BillingPeriodStart: '2025-03-01T00:00:00Z',
        BillingPeriodEnd: '2025-03-28T00:00:00Z',
      }),
      aFocusFileRow({ day: '2025-03-02' }),
    ]);

    expect(result).toEqual({
      rows: 4,
      slice: {
        first: Date.parse('2025-02-27T00:00:00Z'),
        last: Date.parse('2025-03-05T00:00:00Z'),
        // Distinct, ascending.
        billingPeriods: [Date.parse('2025-03-01T00:00:00Z')],
      },
    });
  });

  it('sends a file with any row the normalizer rejects the row way', async () => {
    expect(await check([aFocusFileRow(), aFocusFileRow({ BillingCurrency: 'usd' })])).toBeNull();
    expect(await check([aFocusFileRow({ ChargePeriodEnd: '2025-02-01T00:00:00Z' })])).toBeNull();
    expect(await check([aFocusFileRow({ ServiceName: undefined }), aFocusFileRow()])).toBeNull();
  });

  it('sends blank text the row way (NULL to the normalizer, empty text to a load)', async () => {
    expect(await check([aFocusFileRow({ RegionId: '  ' })])).toBeNull();
  });

  it('does not vouch for renamed, ignored or text-typed columns', async () => {
    expect(await check([asFocus12(aFocusFileRow())])).toBeNull();
    expect(await check([aFocusFileRow({ x_provider_extra: 'x' })])).toBeNull();
    expect(
      await check([aFocusFileRow()], (df) => df.withColumns(pl.col('BilledCost').cast(pl.Utf8))),
    ).toBeNull();
    expect(
      await check([aFocusFileRow()], (df) =>
        df.withColumns(pl.col('ChargePeriodStart').cast(pl.Datetime('us', 'UTC'))),
      ),
    ).toBeNull();
  });

  it('refuses a value the NUMERIC column cannot hold', async () => {
    expect(await check([aFocusFileRow({ ConsumedQuantity: '1e30' })])).toBeNull();
    expect(await check([aFocusFileRow({ ConsumedQuantity: '1e20' })])).not.toBeNull();
  });

  it('sends a file with a cost of a trillion or more the row way, in any cost column', async () => {
    for (const column of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost']) {
      expect(await check([aFocusFileRow(), aFocusFileRow({ [column]: '1e12' })]), column).toBeNull();
      expect(await check([aFocusFileRow({ [column]: '-1e20' })]), column).toBeNull();
    }
    expect(
      await check([aFocusFileRow({ BilledCost: '999999999999.5', ListCost: '-999999999999' })]),
    ).not.toBeNull();
  });
  it('leaves a file whose JSON column holds text that is not JSON to the row path, which reports it', async () => {
    // JSON columns are staged as their text and parsed in the swap: nothing else checks them.
    expect(await check([aFocusFileRow({ Tags: '{"env":"prod"}' })])).not.toBeNull();
    expect(
      await check([aFocusFileRow({ Tags: '{"env":"prod"}' }), aFocusFileRow({ Tags: '{env: prod}' })]),
    ).toBeNull();
  });
});
