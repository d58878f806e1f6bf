import { importCalls, LIMIT, startImportApp } from '#test/cost-import-calls';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DuckDBConnection } from '@duckdb/node-api';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { tableRef, WAREHOUSE, type Warehouse, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import {
  aFocusFileRow,
  asFocus12,
  focusCsv,
  focusParquet,
  focusParquetTyped,
  PNG_BYTES,
} from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

let t: TestApp;
let warehouse: Warehouse;
let org: string;
let key: string;

/** The import report an upload's answer links to. */
function reportOf(res: { json: () => { status_url: string } }) {
  return t.app.inject({ method: 'GET', url: res.json().status_url, headers: { 'x-api-key': key } });
}

const { upload, billed } = importCalls(() => ({ t, warehouse, org, key }));

beforeAll(async () => {
  ({ t, warehouse, org, key } = await startImportApp('impf', 'Failing Co'));
});
afterAll(() => t?.close());

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
    const again = await t.app.inject({
      method: 'GET',
      url: report.status_url,
      headers: { 'x-api-key': key },
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
    const summary = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org}/summary?start_date=${day}&end_date=${day}`,
      headers: { 'x-api-key': key },
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

describe('cost import: wrong file type and size', () => {
  it('answers a caller without credentials 401, with or without a body or a media type', async () => {
    const url = `/api/v1/admin/organizations/${org}/costs/import?source_system=cloud_aws_billing`;
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'image/png' }]) {
      const res = await t.app.inject({ method: 'POST', url, headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
    }
  });

  it('answers 415 for a media type it does not accept', async () => {
    const png = await upload(PNG_BYTES, { 'content-type': 'image/png' });
    const json = await upload(JSON.stringify({ rows: [] }), { 'content-type': 'application/json' });

    expect(png.json()).toMatchObject({ status: 415, code: 'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE' });
    expect(json.json()).toMatchObject({ status: 415, code: 'COST_IMPORT_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers 422 when the content is not what the Content-Type declares', async () => {
    const pngAsCsv = await upload(PNG_BYTES, CSV);
    const csvAsParquet = await upload(focusCsv([aFocusFileRow()]), {
      'content-type': 'application/vnd.apache.parquet',
    });
    const parquetAsCsv = await upload(focusParquet([aFocusFileRow()]), CSV);

    for (const res of [pngAsCsv, csvAsParquet, parquetAsCsv])
      expect(res.json()).toMatchObject({ status: 422, code: 'COST_IMPORT_FILE_UNREADABLE' });
  });

  it('refuses a file over the size limit with 413 from its Content-Length, before reading it', async () => {
    const rows = Array.from({ length: 1500 }, () => aFocusFileRow());
    const res = await upload(focusCsv(rows), CSV, '?source_system=too_big');

    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
    expect(await billed('too_big')).toEqual({ n: 0, billed: 0 });
  });

  it('refuses a streamed body (no Content-Length) once it passes the limit', async () => {
    const text = focusCsv(Array.from({ length: 1500 }, () => aFocusFileRow()));
    const res = await upload(
      Readable.from([text.slice(0, 100_000), text.slice(100_000)]),
      CSV,
      '?source_system=big_stream',
    );

    expect(res.statusCode).toBe(413);
    expect(await billed('big_stream')).toEqual({ n: 0, billed: 0 });
  });

  it('refuses a small Parquet file whose values decode past the limit, before queuing anything', async () => {
    // One long text in every row: dictionary-encoded, the file stays far under the upload limit.
    const long = 'x'.repeat(10_000);
    const rows = Array.from({ length: 1_000 }, () => aFocusFileRow({ ServiceName: long }));
    const file = focusParquet(rows);
    expect(file.length).toBeLessThan(LIMIT);

    const res = await upload(file, PARQUET, '?source_system=bomb_src');

    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
    expect(res.json().detail).toContain('decoded');
    expect(res.json().import_id).toBeUndefined();
    expect(await billed('bomb_src')).toEqual({ n: 0, billed: 0 });
  });

  it('refuses such a file with a MAP column before rewriting it (the rewrite decodes every row)', async () => {
    const long = 'x'.repeat(10_000);
    const rows = Array.from({ length: 1_000 }, () => aFocusFileRow({ ServiceName: long }));
    const file = await focusParquetTyped(rows, { Tags: 'MAP(VARCHAR, VARCHAR)' });
    // The size is measured in one streaming pass (DuckDB's queries); the rewrite is its COPY.
    const statements = vi.spyOn(DuckDBConnection.prototype, 'run');
    try {
      const res = await upload(file, PARQUET, '?source_system=bomb_map');
      expect(res.statusCode).toBe(413);
      expect(statements.mock.calls.filter(([sql]) => /^\s*COPY[\s\S]*\.maps\.parquet/i.test(sql))).toEqual(
        [],
      );
    } finally {
      statements.mockRestore();
    }
  });

  it('counts the text of MAP columns against the limit, before writing their copy', async () => {
    // Small everywhere but in the maps: 1,000 rows of a 10 KB tag, 10 MB once decoded.
    const tags = JSON.stringify({ note: 'y'.repeat(10_000) });
    const rows = Array.from({ length: 1_000 }, () => aFocusFileRow({ Tags: tags }));
    const file = await focusParquetTyped(rows, { Tags: 'MAP(VARCHAR, VARCHAR)' });
    expect(file.length).toBeLessThan(LIMIT);
    const res = await upload(file, PARQUET, '?source_system=bomb_tags');
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
    expect(await billed('bomb_tags')).toEqual({ n: 0, billed: 0 });
  });

  it('keeps refusing CSV bodies on other routes', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations/onboard',
      headers: { ...rootHeaders, ...CSV },
      payload: 'org_slug\nabc',
    });

    expect(res.statusCode).toBe(415);
  });
});

/**
 * Makes the swap (MERGE) fail, after it ran (`applied`: a timed-out job that committed) or instead of
 * it, and optionally the check of its outcome too. `unseen`: it fails as a BigQuery write cancelled
 * at its deadline and not seen to end (it may commit later). Returns the undo.
 */
function failSwap(options: { applied: boolean; checkFails?: boolean; unseen?: boolean }): () => void {
  const execute = warehouse.execute.bind(warehouse);
  const query = warehouse.query.bind(warehouse);
  const merge = vi.spyOn(warehouse, 'execute').mockImplementation(async (sql, params, opts) => {
    if (!/^\s*MERGE/.test(sql)) return execute(sql, params, opts);
    if (options.applied) await execute(sql, params, opts);
    if (options.unseen)
      throw new WarehouseError(WarehouseErrorCode.Timeout, 'simulated timeout', {
        extra: { timeout_ms: 1_800_000, write_outcome: 'unknown' },
      });
    throw new Error('simulated warehouse outage');
  });
  const check = vi.spyOn(warehouse, 'query').mockImplementation(async (sql, params, opts) => {
    if (options.checkFails && /WHERE x_run_id = @run_id/.test(sql)) throw new Error('simulated outage');
    return query(sql, params, opts);
  });
  return () => {
    merge.mockRestore();
    check.mockRestore();
  };
}

/** Uploads one row while the swap fails (see failSwap). */
async function uploadWhileSwapFails(options: Parameters<typeof failSwap>[0], source: string, billed: string) {
  const restore = failSwap(options);
  try {
    return await upload(focusCsv([aFocusFileRow({ BilledCost: billed })]), CSV, `?source_system=${source}`);
  } finally {
    restore();
  }
}

describe('cost import: warehouse failure', () => {
  it('leaves the previous data intact and drops its staging table when the swap fails', async () => {
    await upload(focusCsv([aFocusFileRow({ BilledCost: '5' })]), CSV, '?source_system=swap_fail');
    const res = await uploadWhileSwapFails({ applied: false }, 'swap_fail', '99');

    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FAILED', import_id: expect.any(String) });
    expect(res.body).not.toContain('simulated');
    expect(await billed('swap_fail')).toEqual({ n: 1, billed: 5 });
    expect((await warehouse.listTables(`${org}_local`)).filter((n) => n.startsWith('_cost_import_'))).toEqual(
      [],
    );
  });
});

describe('cost import: a swap that reports an error', () => {
  it('reports the import completed when its rows landed despite the error', async () => {
    await upload(focusCsv([aFocusFileRow({ BilledCost: '5' })]), CSV, '?source_system=swap_landed');
    const res = await uploadWhileSwapFails({ applied: true }, 'swap_landed', '9');
    expect(res.json()).toMatchObject({ status: 'completed', rows_imported: 1 });
    expect(await billed('swap_landed')).toEqual({ n: 1, billed: 9 });
  });

  it('says the outcome is unknown, not that nothing changed, when it cannot tell', async () => {
    const summary = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/costs/${org}/summary?start_date=2025-03-01&end_date=2025-03-31`,
          headers: rootHeaders,
        })
      ).json() as { cache_hit: boolean };
    await summary();
    expect((await summary()).cache_hit).toBe(true);
    const res = await uploadWhileSwapFails({ applied: true, checkFails: true }, 'swap_unknown', '4');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_OUTCOME_UNKNOWN',
      import_id: expect.any(String),
    });
    const report = await reportOf(res);
    expect(report.json()).toMatchObject({
      status: 'failed',
      failure: {
        code: 'COST_IMPORT_OUTCOME_UNKNOWN',
        message: expect.stringContaining('Import the file again'),
      },
    });
    // The rows may have landed: what was cached of the org's costs is not served any more.
    expect((await summary()).cache_hit).toBe(false);
  });
});

describe('cost import: a swap cancelled at its deadline', () => {
  it('does not say the previous data is unchanged while the cancelled write may still land', async () => {
    await upload(focusCsv([aFocusFileRow({ BilledCost: '5' })]), CSV, '?source_system=swap_unseen');
    const res = await uploadWhileSwapFails({ applied: false, unseen: true }, 'swap_unseen', '6');

    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_OUTCOME_UNKNOWN' });
    expect((await reportOf(res)).json()).toMatchObject({
      status: 'failed',
      failure: { code: 'COST_IMPORT_OUTCOME_UNKNOWN', message: expect.not.stringContaining('unchanged') },
    });
  });
});

describe('cost import: a bulk load that fails after writing', () => {
  it('stages the rows once, never twice, when the row path takes over', async () => {
    // BigQuery can commit a load job and still fail the call that waited for it (a transport error
    // while polling): the rows are in the stage, and the import then validates row by row.
    const loadFile = warehouse.loadFile.bind(warehouse);
    const spy = vi.spyOn(warehouse, 'loadFile').mockImplementation(async (...args) => {
      await loadFile(...args);
      throw new Error('simulated error after the load committed');
    });
    try {
      const res = await upload(
        focusParquet([aFocusFileRow({ BilledCost: '7' }), aFocusFileRow({ BilledCost: '8' })]),
        PARQUET,
        '?source_system=load_fail',
      );

      expect(spy).toHaveBeenCalledTimes(1);
      expect(res.json()).toMatchObject({ status: 'completed', rows_imported: 2 });
    } finally {
      spy.mockRestore();
    }
    expect(await billed('load_fail')).toEqual({ n: 2, billed: 15 });
    expect((await warehouse.listTables(`${org}_local`)).filter((n) => n.startsWith('_cost_import_'))).toEqual(
      [],
    );
  });
});

describe('cost import when the tenancy DB is gone', () => {
  it('answers 503 and imports nothing: an import nobody could follow is not started', async () => {
    const own = await startTestApp();
    try {
      const { org: slug } = await onboardOrg(own, 'impdb', 'No DB Co');
      await own.app.get<TenancyDb>(TENANCY_DB).close();

      const res = await own.app.inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${slug}/costs/import?source_system=no_db`,
        headers: { ...rootHeaders, ...CSV },
        payload: focusCsv([aFocusFileRow({ BilledCost: '7' })]),
      });

      expect({ status: res.statusCode, code: res.json().code }).toEqual({
        status: 503,
        code: 'TENANCY_DB_UNAVAILABLE',
      });
      const [row] = await own.app
        .get<Warehouse>(WAREHOUSE)
        .query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${tableRef(`${slug}_local`, 'cost_data_standard_1_3')}`,
        );
      expect(row).toEqual({ n: 0 });
    } finally {
      await own.close();
    }
  });
});
