import { importTargetForAll, startImportApp } from '#test/cost-import-calls';
import { gzipSync } from 'node:zlib';
import { aFocusFileRow, asFocus12, focusCsv, focusParquet } from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

const target = importTargetForAll(() => startImportApp('impf', 'Failing Co'));
const { upload, billed, report: reportOf } = target;

describe('cost import: bad rows', () => {
  const good = () => focusCsv([aFocusFileRow({ BilledCost: '5' }), aFocusFileRow({ BilledCost: '6' })]);
  const withBadRows = () =>
    focusCsv([
      aFocusFileRow({ BilledCost: '1' }),
      aFocusFileRow({ BilledCost: 'twelve' }),
      aFocusFileRow({ ChargePeriodStart: '2025-13-01T00:00:00Z', BillingCurrency: 'dollars' }),
      aFocusFileRow({ BilledCost: '2' }),
    ]);

  it('refuses the whole file with the row numbers and keeps the previous data (on_error=reject)', async () => {
    await upload(good(), CSV, '?source_system=reject_src');
    const res = await upload(withBadRows(), CSV, '?source_system=reject_src');

    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_ROWS_INVALID',
      rows_read: 4,
      rows_rejected: 2,
      errors_truncated: false,
      row_errors: [
        { row: 2, column: 'BilledCost', message: 'expected a decimal number, got "twelve"' },
        { row: 3, column: 'ChargePeriodStart', message: expect.stringContaining('valid date-time') },
      ],
    });
    expect(await billed('reject_src')).toEqual({ n: 2, billed: 11 });
    const report = await reportOf(res);
    expect(report.json()).toMatchObject({
      status: 'failed',
      rows_imported: 0,
      rows_replaced: 0,
      failure: { code: 'COST_IMPORT_ROWS_INVALID' },
    });
  });

  it('checks a long cell that is no number in time linear in its length', async () => {
    // The number pattern could split a run of digits between \d+ and \d* every way: a cell of
    // 100,000 digits and a letter held the event loop 20 s, these 45 s (past the test's timeout),
    // one of the 1 MiB a record may hold half an hour, every tenant's requests waiting.
    const cell = `${'1'.repeat(150_000)}x`;
    const file = gzipSync(focusCsv([aFocusFileRow({ BilledCost: cell })]));
    const res = await upload(file, { 'content-type': 'application/gzip' }, '?source_system=long_cell_src');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_ROWS_INVALID',
      row_errors: [
        { row: 1, column: 'BilledCost', message: expect.stringContaining('expected a decimal number') },
      ],
    });
  });

  it('imports the valid rows and reports the others (on_error=skip)', async () => {
    const res = await upload(withBadRows(), CSV, '?source_system=skip_src&on_error=skip');

    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ status: 'completed_with_errors', rows_imported: 2, rows_rejected: 2 });
    expect(report.errors.map((e: { row: number; column: string }) => [e.row, e.column])).toEqual([
      [2, 'BilledCost'],
      [3, 'ChargePeriodStart'],
    ]);
    expect(await billed('skip_src')).toEqual({ n: 2, billed: 3 });
    const again = await target.t.app.inject({
      method: 'GET',
      url: report.status_url,
      headers: { 'x-api-key': target.key },
    });
    expect(again.json()).toMatchObject({ status: 'completed_with_errors', rows_rejected: 2 });
  });

  it('lists the first 100 row errors and counts every rejected row', async () => {
    const rows = Array.from({ length: 130 }, () => aFocusFileRow({ BillingCurrency: '' }));
    const res = await upload(focusCsv(rows), CSV, '?source_system=many_bad');

    expect(res.json()).toMatchObject({ rows_rejected: 130, errors_truncated: true });
    expect(res.json().row_errors).toHaveLength(100);
    expect(res.json().row_errors[99]).toEqual({
      row: 100,
      column: 'BillingCurrency',
      message: 'is required',
    });
  });

  it('rejects a row with a cost of a trillion or more, naming the column and the bound; reads of its day still answer', async () => {
    const day = '2025-05-02';
    const bound = 'a cost must be less than 1,000,000,000,000 (1e12) in absolute value';
    const rows = [
      aFocusFileRow({ day, BilledCost: '7.5' }),
      aFocusFileRow({ day, BilledCost: '9300000000000', EffectiveCost: '9300000000000' }),
      aFocusFileRow({ day, ContractedCost: '-2e12' }),
      aFocusFileRow({ day, BilledCost: '999999999999.99', ListCost: '1e12' }),
    ];
    const csv = await upload(focusCsv(rows), CSV, '?source_system=huge_csv&on_error=skip');
    // A natively typed Parquet file is checked in columns, then validated row by row (never bulk-loaded).
    const parquet = await upload(focusParquet(rows), PARQUET, '?source_system=huge_parquet&on_error=skip');

    for (const res of [csv, parquet]) {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'completed_with_errors',
        rows_read: 4,
        rows_imported: 1,
        rows_rejected: 3,
      });
      const errors = res.json().errors as { row: number; column: string; message: string }[];
      expect(errors.map((e) => [e.row, e.column])).toEqual([
        [2, 'BilledCost'],
        [2, 'EffectiveCost'],
        [3, 'ContractedCost'],
        [4, 'ListCost'],
      ]);
      for (const e of errors) expect(e.message).toContain(bound);
    }
    const summary = await target.t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${target.org}/summary?start_date=${day}&end_date=${day}`,
      headers: { 'x-api-key': target.key },
    });
    expect(summary.statusCode).toBe(200);
    expect(summary.json().summary).toMatchObject({ total_cost: 15, record_count: 2 });
  });

  it('rejects a row whose date-time lies outside a TIMESTAMP’s years 0001 to 9999, naming the column', async () => {
    // BigQuery holds no instant outside them: one such row failed the whole import there (its
    // batch sent to DML, the parameter refused) with a storage error instead of a row error.
    const rows = [
      aFocusFileRow({ day: '2025-05-03', BilledCost: '4' }),
      aFocusFileRow({ ChargePeriodStart: '0000-12-31T00:00:00Z' }),
      aFocusFileRow({ day: '2025-05-03', ChargePeriodEnd: '9999-12-31T23:00:00-05:00' }),
      aFocusFileRow({ day: '2025-05-03', BilledCost: '3', ChargePeriodEnd: '9999-12-31T23:59:59Z' }),
    ];
    const csv = await upload(focusCsv(rows), CSV, '?source_system=far_csv&on_error=skip');
    const parquet = await upload(focusParquet(rows), PARQUET, '?source_system=far_parquet&on_error=skip');

    for (const [res, source] of [
      [csv, 'far_csv'],
      [parquet, 'far_parquet'],
    ] as const) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'completed_with_errors',
        rows_imported: 2,
        rows_rejected: 2,
      });
      const errors = res.json().errors as { row: number; column: string; message: string }[];
      expect(errors.map((e) => [e.row, e.column])).toEqual([
        [2, 'ChargePeriodStart'],
        [3, 'ChargePeriodEnd'],
      ]);
      for (const e of errors) expect(e.message).toContain('between 0001-01-01 and 9999-12-31');
      expect(await billed(source)).toEqual({ n: 2, billed: 7 });
    }
  });

  it('rejects Tags the warehouse’s JSON cannot hold, naming the row, instead of failing the import', async () => {
    // JSON.parse takes each; the JSON column does not: an unpaired surrogate escape, a number past
    // a double, nesting past BigQuery's 500 levels. One such row failed the whole swap with a 500.
    const rows = [
      aFocusFileRow({ day: '2025-05-04', BilledCost: '4' }),
      aFocusFileRow({ day: '2025-05-04', Tags: '{"env":"\\ud800"}' }),
      aFocusFileRow({ day: '2025-05-04', Tags: '{"budget":1e400}' }),
      aFocusFileRow({ day: '2025-05-04', Tags: `{"a":${'['.repeat(500)}${']'.repeat(500)}}` }),
      aFocusFileRow({
        day: '2025-05-04',
        BilledCost: '3',
        Tags: `{"a":${'['.repeat(499)}${']'.repeat(499)}}`,
      }),
    ];
    const csv = await upload(focusCsv(rows), CSV, '?source_system=odd_tags_csv&on_error=skip');
    const parquet = await upload(
      focusParquet(rows),
      PARQUET,
      '?source_system=odd_tags_parquet&on_error=skip',
    );

    for (const [res, source] of [
      [csv, 'odd_tags_csv'],
      [parquet, 'odd_tags_parquet'],
    ] as const) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'completed_with_errors',
        rows_imported: 2,
        rows_rejected: 3,
      });
      const errors = res.json().errors as { row: number; column: string; message: string }[];
      expect(errors.map((e) => [e.row, e.column])).toEqual([
        [2, 'Tags'],
        [3, 'Tags'],
        [4, 'Tags'],
      ]);
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringContaining('unpaired UTF-16 surrogate'),
        expect.stringContaining('too large for a double'),
        expect.stringContaining('deeper than 500 levels'),
      ]);
      expect(await billed(source)).toEqual({ n: 2, billed: 7 });
    }
  });

  it('refuses a file whose charges span more than 4,000 days, which BigQuery cannot swap in one statement', async () => {
    // The swap rewrites every daily partition from the first charge day to the last; BigQuery
    // refuses a statement modifying more than 4,000: the file failed there, as a storage error.
    const span = (last: string) =>
      focusCsv([
        aFocusFileRow({ day: '2014-01-01', BilledCost: '1' }),
        aFocusFileRow({ day: last, BilledCost: '2' }),
      ]);
    const refused = await upload(span('2024-12-14'), CSV, '?source_system=decade_src');
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'COST_IMPORT_ROWS_INVALID' });
    expect(refused.json().detail).toContain('span 4001 days');
    expect(await billed('decade_src')).toEqual({ n: 0, billed: 0 });

    const taken = await upload(span('2024-12-13'), CSV, '?source_system=decade_src');
    expect(taken.statusCode, taken.body).toBe(200);
    expect(await billed('decade_src')).toEqual({ n: 2, billed: 3 });
  });

  it('refuses a file that lacks mandatory FOCUS columns, naming them', async () => {
    const res = await upload(
      focusCsv([aFocusFileRow({ BilledCost: undefined, InvoiceIssuerName: undefined })]),
      CSV,
    );

    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_MISSING_COLUMNS',
      missing_columns: ['BilledCost', 'InvoiceIssuerName'],
    });
    // A FOCUS 1.2 export is told the names it uses.
    const { ProviderName: _dropped, ...withoutProvider } = asFocus12(aFocusFileRow());
    const old = await upload(focusCsv([withoutProvider]), CSV);
    expect(old.json()).toMatchObject({
      code: 'COST_IMPORT_MISSING_COLUMNS',
      focus_version: '1.2',
      missing_columns: ['ProviderName'],
      detail: 'The file lacks the mandatory FOCUS 1.2 column(s): ProviderName.',
    });
    // Neither version's provider columns: both names, and no version claimed.
    const { ServiceProviderName: _s, HostProviderName: _h, ...noProviders } = aFocusFileRow();
    const neither = await upload(focusCsv([noProviders]), CSV);
    expect(neither.json()).toMatchObject({
      code: 'COST_IMPORT_MISSING_COLUMNS',
      detail:
        'The file lacks the mandatory FOCUS column(s): HostProviderName (FOCUS 1.2: PublisherName), ' +
        'ServiceProviderName (FOCUS 1.2: ProviderName).',
    });
    expect(neither.json().focus_version).toBeUndefined();
    // A semicolon-separated export reads as one column: it is told why.
    const row = Object.entries(aFocusFileRow()).filter(([, v]) => v !== undefined && !/[",]/.test(v));
    const semicolons = await upload(
      `${row.map(([k]) => k).join(';')}\r\n${row.map(([, v]) => v).join(';')}\r\n`,
      CSV,
    );
    expect(semicolons.statusCode).toBe(422);
    expect(semicolons.json().detail).toMatch(
      /The header reads as one column holding ";": a FOCUS CSV is comma-separated\.$/,
    );
  });

  it('refuses a header without rows, an empty body and malformed CSV', async () => {
    const headerOnly = await upload(focusCsv([]), CSV);
    const empty = await upload('', CSV);
    const malformed = await upload(`${focusCsv([aFocusFileRow()])}"acct-2,unterminated\r\n`, CSV);

    expect(headerOnly.json()).toMatchObject({ status: 422, code: 'COST_IMPORT_EMPTY_FILE' });
    expect(empty.json()).toMatchObject({ status: 422 });
    expect(malformed.json()).toMatchObject({ status: 422, code: 'COST_IMPORT_FILE_UNREADABLE' });
  });

  it('stops reading a line longer than a record may be', async () => {
    // One line of 4 MB, gzipped (under the expanded limit): read whole, it was a header lacking columns.
    const res = await upload(
      gzipSync(Buffer.alloc(4_000_000, '0')),
      { 'content-type': 'application/gzip' },
      '?source_system=long_line',
    );
    expect(res.json()).toMatchObject({ status: 422, code: 'COST_IMPORT_FILE_UNREADABLE' });
    expect(res.json().detail).toMatch(/^A line of the CSV file is longer than 1,048,576 characters/);
  });
});
