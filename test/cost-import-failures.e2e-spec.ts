import { importTargetForAll, LIMIT, startImportApp } from '#test/cost-import-calls';
import { Readable } from 'node:stream';
import { DuckDBConnection } from '@duckdb/node-api';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { tableRef, WAREHOUSE, type Warehouse, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp } from '#test/test-app';
import { aFocusFileRow, focusCsv, focusParquet, focusParquetTyped, PNG_BYTES } from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

const target = importTargetForAll(() => startImportApp('impf', 'Failing Co'));
const { upload, billed, report: reportOf } = target;

describe('cost import: wrong file type and size', () => {
  it('answers a caller without credentials 401, with or without a body or a media type', async () => {
    const url = `/api/v1/admin/organizations/${target.org}/costs/import?source_system=cloud_aws_billing`;
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'image/png' }]) {
      const res = await target.t.app.inject({ method: 'POST', url, headers });
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
    const res = await target.t.app.inject({
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
  const execute = target.warehouse.execute.bind(target.warehouse);
  const query = target.warehouse.query.bind(target.warehouse);
  const merge = vi.spyOn(target.warehouse, 'execute').mockImplementation(async (sql, params, opts) => {
    if (!/^\s*MERGE/.test(sql)) return execute(sql, params, opts);
    if (options.applied) await execute(sql, params, opts);
    if (options.unseen)
      throw new WarehouseError(WarehouseErrorCode.Timeout, 'simulated timeout', {
        extra: { timeout_ms: 1_800_000, write_outcome: 'unknown' },
      });
    throw new Error('simulated warehouse outage');
  });
  const check = vi.spyOn(target.warehouse, 'query').mockImplementation(async (sql, params, opts) => {
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
    expect(
      (await target.warehouse.listTables(`${target.org}_local`)).filter((n) => n.startsWith('_cost_import_')),
    ).toEqual([]);
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
        await target.t.app.inject({
          method: 'GET',
          url: `/api/v1/costs/${target.org}/summary?start_date=2025-03-01&end_date=2025-03-31`,
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
    const loadFile = target.warehouse.loadFile.bind(target.warehouse);
    const spy = vi.spyOn(target.warehouse, 'loadFile').mockImplementation(async (...args) => {
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
    expect(
      (await target.warehouse.listTables(`${target.org}_local`)).filter((n) => n.startsWith('_cost_import_')),
    ).toEqual([]);
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
