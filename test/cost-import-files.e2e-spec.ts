import { EXPANDED_LIMIT, importTargetForAll, LIMIT, startImportApp } from '#test/cost-import-calls';
import pl from 'nodejs-polars';
import { tableRef } from '#warehouse';
import { onboardOrg } from '#test/org-onboarding';
import { aFocusFileRow, focusCsv, focusParquet, focusParquetTyped, gzip } from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };
const GZIP_CSV = { 'content-type': 'application/gzip' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };
const BOM = '\uFEFF';

const target = importTargetForAll(() => startImportApp('impfiles', 'Files Co'));
const { upload, billed } = target;

/** The Parquet file of the rows with `column` dictionary-typed (Polars Categorical, an Arrow dictionary). */
function withDictionaryColumn(file: Buffer, column: string): Buffer {
  return pl.readParquet(file).withColumns(pl.col(column).cast(pl.Categorical)).writeParquet();
}

describe('cost import: multi-part CSV exports', () => {
  // What `cat part-00001.csv.gz part-00002.csv.gz > all.csv.gz` makes: one gzip member per part,
  // each part with its own header (and BOM, as AWS Data Exports write them).
  const parts = (...files: string[]) => Buffer.concat(files.map((text) => gzip(`${BOM}${text}`)));

  it('imports every row of concatenated gzipped parts, each with its own header', async () => {
    const first = [aFocusFileRow({ BilledCost: '1', day: '2025-04-01' }), aFocusFileRow({ BilledCost: '2' })];
    const second = [
      aFocusFileRow({ BilledCost: '4', day: '2025-04-02' }),
      aFocusFileRow({ BilledCost: '8' }),
    ];

    const res = await upload(parts(focusCsv(first), focusCsv(second)), GZIP_CSV, '?source_system=parts_src');

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'completed',
      gzip: true,
      rows_read: 4,
      rows_imported: 4,
      rows_rejected: 0,
      errors: [],
    });
    expect(await billed('parts_src')).toEqual({ n: 4, billed: 15 });
  });

  it('numbers rows across parts by data row, the headers of later parts not counted', async () => {
    const first = [aFocusFileRow({ BilledCost: '1' }), aFocusFileRow({ BilledCost: '2' })];
    const second = [aFocusFileRow({ BilledCost: '4' }), aFocusFileRow({ BilledCost: 'four' })];

    const res = await upload(
      parts(focusCsv(first), focusCsv(second)),
      GZIP_CSV,
      '?source_system=parts_rows&on_error=skip',
    );

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows_read: 4, rows_imported: 3, rows_rejected: 1 });
    expect(res.json().errors).toEqual([
      { row: 4, column: 'BilledCost', message: 'expected a decimal number, got "four"' },
    ]);
  });

  it('reads parts whose line endings differ (LF and CRLF), as files written by different tools', async () => {
    const lf = (text: string) => text.replaceAll('\r\n', '\n');
    const first = focusCsv([aFocusFileRow({ BilledCost: '1', day: '2025-04-11' })]);
    const second = focusCsv([aFocusFileRow({ BilledCost: '2', day: '2025-04-12' })]);

    const crlfThenLf = await upload(parts(first, lf(second)), GZIP_CSV, '?source_system=eol_a');
    const lfThenCrlf = await upload(parts(lf(first), second), GZIP_CSV, '?source_system=eol_b');

    for (const res of [crlfThenLf, lfThenCrlf]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ rows_read: 2, rows_imported: 2 });
    }
    expect(await billed('eol_a')).toEqual({ n: 2, billed: 3 });
    expect(await billed('eol_b')).toEqual({ n: 2, billed: 3 });
  });
});

describe('cost import: multi-part Parquet exports', () => {
  // What `cat part-00001.parquet part-00002.parquet > all.parquet` makes: whole files back to back.
  it('imports every row of the parts in one import, so a re-import of the month keeps one copy', async () => {
    const first = [aFocusFileRow({ BilledCost: '1', day: '2025-05-01' }), aFocusFileRow({ BilledCost: '2' })];
    const second = [aFocusFileRow({ BilledCost: '4', day: '2025-05-03' })];
    const third = [aFocusFileRow({ BilledCost: '8', day: '2025-05-02' })];
    const all = Buffer.concat([focusParquet(first), focusParquet(second), focusParquet(third)]);

    const res = await upload(all, PARQUET, '?source_system=parquet_parts');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'completed',
      rows_read: 4,
      rows_imported: 4,
      rows_rejected: 0,
    });
    expect(await billed('parquet_parts')).toEqual({ n: 4, billed: 15 });

    const again = await upload(
      gzip(all),
      { 'content-type': 'application/gzip' },
      '?source_system=parquet_parts',
    );
    expect(again.json()).toMatchObject({ status: 'completed', gzip: true, rows_imported: 4 });
    expect(await billed('parquet_parts')).toEqual({ n: 4, billed: 15 });
  });

  it('numbers rejected rows across the parts', async () => {
    const first = [aFocusFileRow({ BilledCost: '1' }), aFocusFileRow({ BilledCost: '2' })];
    const second = [
      aFocusFileRow({ BilledCost: '4' }),
      aFocusFileRow({ BilledCost: '8', BillingCurrency: 'EUR' }),
    ];
    const all = Buffer.concat([focusParquet(first), focusParquet(second)]);

    const res = await upload(all, PARQUET, '?source_system=parquet_parts_rows&on_error=skip');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows_read: 4, rows_imported: 3, rows_rejected: 1 });
    expect(res.json().errors).toEqual([expect.objectContaining({ row: 4, column: 'BillingCurrency' })]);
  });
});

describe('cost import: duplicate columns', () => {
  const good = () => focusCsv([aFocusFileRow({ BilledCost: '5' })]);
  /** The upload is refused 422 naming `pairs`, and `source` still holds `kept`. */
  async function expectRefused(
    res: Awaited<ReturnType<typeof upload>>,
    pairs: string[][],
    source: string,
    kept: { n: number; billed: number },
  ) {
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_DUPLICATE_COLUMNS', duplicate_columns: pairs });
    expect(await billed(source)).toEqual(kept);
  }

  it('refuses a CSV naming a column twice but for case, before reading a row; the previous data is kept', async () => {
    expect((await upload(good(), CSV, '?source_system=dup_csv')).statusCode).toBe(200);
    const header = Object.keys(aFocusFileRow());
    const file = focusCsv([aFocusFileRow({ billedcost: '99' })], ['billedcost', ...header]);

    const res = await upload(file, CSV, '?source_system=dup_csv');

    await expectRefused(res, [['billedcost', 'BilledCost']], 'dup_csv', { n: 1, billed: 5 });
    expect(res.json().detail).toContain('"billedcost" and "BilledCost"');
    expect(res.json().import_id).toBeUndefined();
  });

  it('refuses a Parquet file with the same column twice (which Polars would merge into the last)', async () => {
    expect((await upload(good(), CSV, '?source_system=dup_pq')).statusCode).toBe(200);
    // DuckDB writes distinct names: a stand-in of the same length, renamed in the footer's bytes.
    const written = await focusParquetTyped([aFocusFileRow({ BilledCost: '7', BilledCosX: '99' })], {
      BilledCost: 'DOUBLE',
      BilledCosX: 'DOUBLE',
    });
    const file = Buffer.from(written.toString('latin1').replaceAll('BilledCosX', 'BilledCost'), 'latin1');
    expect(file.includes('BilledCosX')).toBe(false);

    const res = await upload(file, PARQUET, '?source_system=dup_pq');

    await expectRefused(res, [['BilledCost', 'BilledCost']], 'dup_pq', { n: 1, billed: 5 });
  });

  it('refuses a Parquet file with two columns named alike but for case', async () => {
    const file = focusParquet([aFocusFileRow({ billedcost: '99' })]);

    const res = await upload(file, PARQUET, '?source_system=dup_pq_case');

    await expectRefused(res, [['BilledCost', 'billedcost']], 'dup_pq_case', { n: 0, billed: 0 });
  });
});

describe('cost import: Parquet column types', () => {
  it('counts a dictionary-typed text column by its text against the decoded limit', async () => {
    // 1,000 rows of one 10 KB text: 10 MB once decoded, stored once in the column's dictionary.
    const long = 'x'.repeat(10_000);
    const rows = Array.from({ length: 1_000 }, () => aFocusFileRow({ ServiceName: long }));
    const file = withDictionaryColumn(focusParquet(rows), 'ServiceName');
    expect(file.length).toBeLessThan(LIMIT);
    expect(String(pl.readParquet(file, { numRows: 0 }).getColumn('ServiceName').dtype)).toContain(
      'Categorical',
    );

    const res = await upload(file, PARQUET, '?source_system=dict_bomb');

    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
    expect(res.json().detail).toContain('decoded');
    expect(await billed('dict_bomb')).toEqual({ n: 0, billed: 0 });
  });

  it('reads unsigned 64-bit integers in a FLOAT column (Polars hands them over as bigints)', async () => {
    const rows = [aFocusFileRow({ day: '2025-08-01', x_exchange_rate_used: '2', x_data_quality_score: '1' })];
    const file = await focusParquetTyped(rows, {
      x_exchange_rate_used: 'UBIGINT',
      x_data_quality_score: 'UBIGINT',
    });

    const res = await upload(file, PARQUET, '?source_system=uint64_float');

    expect(res.statusCode, res.body).toBe(200);
    const [row] = await target.warehouse.query<{ rate: number; score: number }>(
      `SELECT x_exchange_rate_used AS rate, x_data_quality_score AS score
       FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')} WHERE x_source_system = 'uint64_float'`,
    );
    expect(row).toEqual({ rate: 2, score: 1 });
  });

  it('names a column of the Parquet JSON type it cannot read, the previous data kept', async () => {
    expect(
      (await upload(focusCsv([aFocusFileRow({ BilledCost: '5' })]), CSV, '?source_system=pq_json'))
        .statusCode,
    ).toBe(200);
    const file = await focusParquetTyped([aFocusFileRow({ BilledCost: '7' })], { Tags: 'JSON' });

    const res = await upload(file, PARQUET, '?source_system=pq_json');

    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_FILE_UNREADABLE',
      detail: 'Column Tags has a type the import cannot read (Parquet JSON).',
    });
    expect(await billed('pq_json')).toEqual({ n: 1, billed: 5 });
  });

  it('names a column of the Parquet INTERVAL type too (Polars panicked on it)', async () => {
    const file = await focusParquetTyped([aFocusFileRow({ BilledCost: '7', x_interval: '1 day' })], {
      x_interval: 'INTERVAL',
    });
    const res = await upload(file, PARQUET, '?source_system=pq_interval');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_FILE_UNREADABLE',
      detail: 'Column x_interval has a type the import cannot read (Parquet INTERVAL).',
    });
  });
});

describe('cost import: currencies', () => {
  it("refuses rows in a currency other than the org's, naming it (they would be added as its own)", async () => {
    const rows = [
      aFocusFileRow({ BilledCost: '100', day: '2025-06-01' }),
      aFocusFileRow({ BilledCost: '100', day: '2025-06-02', BillingCurrency: 'JPY' }),
    ];
    for (const [type, file] of [
      [CSV, focusCsv(rows)],
      [PARQUET, focusParquet(rows)],
    ] as const) {
      const refused = await upload(file, type, '?source_system=mixed_currency');
      expect(refused.statusCode).toBe(422);
      expect(refused.json().row_errors).toEqual([
        {
          row: 2,
          column: 'BillingCurrency',
          message: expect.stringMatching(/^is JPY; the organization reports its costs in USD/),
        },
      ]);
    }
    expect(await billed('mixed_currency')).toEqual({ n: 0, billed: 0 });
    // Skipping them imports the rest.
    const skipped = await upload(focusCsv(rows), CSV, '?source_system=mixed_currency&on_error=skip');
    expect(skipped.json()).toMatchObject({
      status: 'completed_with_errors',
      rows_imported: 1,
      rows_rejected: 1,
    });
    expect(await billed('mixed_currency')).toEqual({ n: 1, billed: 100 });
  });

  it("imports rows in the org's own currency, whatever it is", async () => {
    const euro = await onboardOrg(target.t, 'impeur', 'Euro Co');
    const locale = await target.t.app.inject({
      method: 'PUT',
      url: `/api/v1/organizations/${euro.org}/locale`,
      headers: { 'x-api-key': euro.key },
      payload: { default_currency: 'EUR' },
    });
    expect(locale.statusCode, locale.body).toBe(200);
    const res = await target.t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${euro.org}/costs/import?source_system=eur_bill`,
      headers: { 'x-api-key': euro.key, ...CSV },
      payload: focusCsv([aFocusFileRow({ BillingCurrency: 'EUR' })]),
    });
    expect(res.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
  });
});

describe('cost import: what is refused at upload', () => {
  it('refuses a CSV declared in a charset other than UTF-8 (415), and takes UTF-8 in any spelling', async () => {
    const file = focusCsv([aFocusFileRow({ day: '2025-07-01' })]);
    const utf16 = await upload(
      file,
      { 'content-type': 'text/csv; charset=utf-16' },
      '?source_system=charset',
    );
    expect(utf16.statusCode).toBe(415);
    expect(utf16.json()).toMatchObject({
      code: 'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringContaining('charset=utf-16'),
    });
    const utf8 = await upload(
      file,
      { 'content-type': 'text/csv; charset="UTF-8"' },
      '?source_system=charset',
    );
    expect(utf8.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
  });

  it('refuses at once a gzip whose trailer already says it expands past the limit, even asked to answer later', async () => {
    const row = focusCsv([aFocusFileRow({ day: '2025-07-02' })]).split('\n')[1]!;
    const big = `${focusCsv([aFocusFileRow({ day: '2025-07-02' })])}\n${`${row}\n`.repeat(Math.ceil(EXPANDED_LIMIT / row.length))}`;
    const packed = gzip(big);
    expect(packed.length).toBeLessThan(LIMIT);
    const res = await upload(packed, { ...GZIP_CSV, prefer: 'respond-async' }, '?source_system=bomb');
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
  });

  it('names the decompressed limit for a gzip Parquet file that expands past it, not the upload limit', async () => {
    const packed = gzip(Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(EXPANDED_LIMIT + 1)]));
    const res = await upload(packed, GZIP_CSV, '?source_system=bomb_parquet');
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_FILE_TOO_LARGE',
      detail: `The decompressed file exceeds ${EXPANDED_LIMIT} bytes.`,
    });
  });
});
