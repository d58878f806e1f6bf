import { importTargetForAll, startImportApp } from '#test/cost-import-calls';
import { tableRef } from '#warehouse';
import { aFocusFileRow, asFocus12, focusCsv, focusParquet, focusParquetTyped, gzip } from '#test/focus-files';

const CSV = { 'content-type': 'text/csv' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

const target = importTargetForAll(() => startImportApp('imp', 'Import Co', {}, { smallLimits: false }));
const { upload, billed: totals } = target;

describe('POST /api/v1/admin/organizations/:org/costs/import', () => {
  it('imports a FOCUS 1.3 CSV before answering and stamps the lineage of the import', async () => {
    const rows = [
      aFocusFileRow({ BilledCost: '10.25', day: '2025-03-01' }),
      aFocusFileRow({ BilledCost: '4.75', day: '2025-03-02', ServiceName: 'Amazon S3' }),
    ];
    const res = await upload(focusCsv(rows), CSV, '?source_system=csv_src&credential_id=aws-payer-1');

    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      status: 'completed',
      format: 'csv',
      gzip: false,
      focus_version: '1.3',
      rows_read: 2,
      rows_imported: 2,
      rows_rejected: 0,
      rows_replaced: 0,
      charge_period: { start: '2025-03-01', end: '2025-03-03' },
      errors: [],
    });
    expect(await totals('csv_src')).toEqual({ n: 2, billed: 15 });
    const [stamped] = await target.warehouse.query(
      `SELECT x_run_id, x_pipeline_id, x_credential_id, x_org_slug, x_org_name, x_pipeline_run_date,
              x_ingestion_date, ServiceProviderName, Tags
       FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')}
       WHERE x_source_system = 'csv_src' ORDER BY ChargePeriodStart LIMIT 1`,
    );
    expect(stamped).toMatchObject({
      x_run_id: report.import_id,
      x_pipeline_id: 'focus_import',
      x_credential_id: 'aws-payer-1',
      x_org_slug: target.org,
      x_org_name: 'Import Co',
      x_pipeline_run_date: '2025-03-01',
      x_ingestion_date: new Date().toISOString().slice(0, 10),
      ServiceProviderName: 'AWS',
      Tags: { env: 'prod' },
    });
  });

  it('imports a Parquet file with native types', async () => {
    const rows = [
      aFocusFileRow({ BilledCost: '3.5' }),
      aFocusFileRow({ BilledCost: '1.5', day: '2025-03-05' }),
    ];
    const res = await upload(focusParquet(rows), PARQUET, '?source_system=parquet_src');

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', format: 'parquet', rows_imported: 2 });
    expect(await totals('parquet_src')).toEqual({ n: 2, billed: 5 });
  });

  it('bulk-loads a natively typed Parquet file, landing exactly the rows its CSV lands', async () => {
    const rows = [
      aFocusFileRow({ BilledCost: '3.123456789', day: '2025-04-01', Tags: '{"team":"a"}' }),
      aFocusFileRow({ BilledCost: '-0.0000005', day: '2025-04-02', RegionId: undefined }),
      aFocusFileRow({ BilledCost: '1234.5', day: '2025-04-03', ServiceName: 'Amazon S3' }),
    ];
    const loadFile = vi.spyOn(target.warehouse, 'loadFile');
    try {
      const parquet = await upload(focusParquet(rows), PARQUET, '?source_system=bulk_parquet');
      expect(parquet.json()).toMatchObject({ status: 'completed', rows_imported: 3, rows_rejected: 0 });
      expect(loadFile).toHaveBeenCalledTimes(1);
    } finally {
      loadFile.mockRestore();
    }
    const csv = await upload(focusCsv(rows), CSV, '?source_system=bulk_csv');
    expect(csv.json()).toMatchObject({ status: 'completed', rows_imported: 3 });

    const columns = `CAST(BilledCost AS STRING) AS billed, CAST(EffectiveCost AS STRING) AS effective,
      ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, ServiceName, RegionId, TO_JSON_STRING(Tags) AS tags,
      x_pipeline_run_date`;
    const landed = (source: string) =>
      target.warehouse.query(
        `SELECT ${columns} FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')}
         WHERE x_source_system = @source ORDER BY ChargePeriodStart`,
        { source },
      );
    const viaParquet = await landed('bulk_parquet');
    expect(viaParquet).toHaveLength(3);
    expect(viaParquet).toEqual(await landed('bulk_csv'));
  });

  it('validates a typed Parquet file with an invalid row row by row, reporting the row', async () => {
    const rows = [aFocusFileRow(), aFocusFileRow({ day: '2025-04-09', BillingCurrency: 'usd' })];
    const loadFile = vi.spyOn(target.warehouse, 'loadFile');
    try {
      const res = await upload(focusParquet(rows), PARQUET, '?source_system=bad_parquet');
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ rows_rejected: 1 });
      expect(JSON.stringify(res.json())).toContain('BillingCurrency');
      expect(loadFile).not.toHaveBeenCalled();
    } finally {
      loadFile.mockRestore();
    }
  });

  it('reports Tags that are not JSON in a typed Parquet file row by row: the stage holds them as text', async () => {
    const rows = [aFocusFileRow(), aFocusFileRow({ day: '2025-04-09', Tags: '{env: prod}' })];
    const loadFile = vi.spyOn(target.warehouse, 'loadFile');
    try {
      const res = await upload(focusParquet(rows), PARQUET, '?source_system=bad_tags');
      expect(res.statusCode).toBe(422);
      expect(res.json().row_errors).toEqual([{ row: 2, column: 'Tags', message: 'expected JSON text' }]);
      expect(loadFile).not.toHaveBeenCalled();
    } finally {
      loadFile.mockRestore();
    }
  });

  it('imports gzip-compressed CSV and Parquet files', async () => {
    const csv = await upload(
      gzip(focusCsv([aFocusFileRow({ BilledCost: '2' })])),
      { 'content-type': 'application/gzip' },
      '?source_system=gz_csv',
    );
    const parquet = await upload(
      gzip(focusParquet([aFocusFileRow({ BilledCost: '7' })])),
      { 'content-type': 'application/gzip' },
      '?source_system=gz_parquet',
    );

    expect(csv.statusCode).toBe(200);
    expect(csv.json()).toMatchObject({ format: 'csv', gzip: true, rows_imported: 1 });
    expect(parquet.statusCode).toBe(200);
    expect(parquet.json()).toMatchObject({ format: 'parquet', gzip: true, rows_imported: 1 });
    expect(await totals('gz_csv')).toEqual({ n: 1, billed: 2 });
    expect(await totals('gz_parquet')).toEqual({ n: 1, billed: 7 });
  });

  it('takes a CSV sent with Content-Encoding: gzip, and refuses a coding it does not read (415)', async () => {
    const file = gzip(focusCsv([aFocusFileRow({ BilledCost: '3' })]));
    const csv = await upload(
      file,
      { 'content-type': 'text/csv', 'content-encoding': 'gzip' },
      '?source_system=ce_gz',
    );
    expect(csv.statusCode).toBe(200);
    expect(csv.json()).toMatchObject({ format: 'csv', gzip: true, rows_imported: 1 });
    expect(await totals('ce_gz')).toEqual({ n: 1, billed: 3 });
    const br = await upload(
      file,
      { 'content-type': 'text/csv', 'content-encoding': 'br' },
      '?source_system=ce_br',
    );
    expect(br.statusCode).toBe(415);
    expect(br.headers['accept-encoding']).toBe('gzip, x-gzip, identity');
    expect(await totals('ce_br')).toEqual({ n: 0, billed: 0 });
  });

  it('imports Parquet with DECIMAL costs and a MAP Tags column (BigQuery and Spark exports), exactly', async () => {
    const rows = [
      aFocusFileRow({
        // Every digit of NUMERIC's scale (under a million, where a double holds 9 decimals).
        BilledCost: '123456.123456789',
        EffectiveCost: '0.000000001',
        Tags: '{"env":"prod","team":"a\\"b"}',
      }),
      aFocusFileRow({ BilledCost: '-0.005', day: '2025-03-02', Tags: '{}' }),
    ];
    const file = await focusParquetTyped(rows, {
      BilledCost: 'DECIMAL(38,9)',
      EffectiveCost: 'DECIMAL(38,9)',
      ListCost: 'DECIMAL(18,6)',
      ContractedCost: 'DECIMAL(12,2)',
      Tags: 'MAP(VARCHAR, VARCHAR)',
    });
    for (const [source, payload] of [
      ['pq_decimal', file],
      ['pq_decimal_gz', gzip(file)],
    ] as const) {
      const res = await upload(payload, PARQUET, `?source_system=${source}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ format: 'parquet', rows_imported: 2, rows_rejected: 0 });
      const stored = await target.warehouse.query<{ billed: string; effective: string; tags: string }>(
        `SELECT CAST(BilledCost AS STRING) AS billed, CAST(EffectiveCost AS STRING) AS effective,
                CAST(Tags AS STRING) AS tags
         FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')}
         WHERE x_source_system = @source ORDER BY ChargePeriodStart`,
        { source },
      );
      const decimal = (text: string) => text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
      expect(stored.map((r) => [decimal(r.billed), decimal(r.effective)])).toEqual([
        ['123456.123456789', '0.000000001'],
        ['-0.005', decimal(rows[1].EffectiveCost)],
      ]);
      expect(JSON.parse(stored[0].tags)).toEqual({ env: 'prod', team: 'a"b' });
      expect(JSON.parse(stored[1].tags)).toEqual({});
    }
  });

  it('keeps costs of a million and more as the decimals the file gives, so their cents add up', async () => {
    // Past a million a double cannot hold 9 decimals: cast back as such, 1000000000.005 became
    // 1000000000.004999936, and the day below summed to 0.00 instead of 0.005 → 0.01.
    const rows = [
      aFocusFileRow({ BilledCost: '1000000000.005', day: '2025-05-01' }),
      aFocusFileRow({ BilledCost: '-1000000000', day: '2025-05-01', ServiceName: 'Refund' }),
      aFocusFileRow({ BilledCost: '2345678.12345678', day: '2025-05-02' }),
      aFocusFileRow({ BilledCost: '-98765432109.875', day: '2025-05-03' }),
      aFocusFileRow({ BilledCost: '999999.999999999', day: '2025-05-04' }),
    ];
    const expected = [
      '1000000000.005',
      '-1000000000',
      '2345678.12345678',
      '-98765432109.875',
      '999999.999999999',
    ];
    const decimal = (text: string) => text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    for (const [source, payload, type] of [
      ['big_csv', focusCsv(rows), CSV],
      // Natively typed doubles take the bulk load, and the same way back to NUMERIC.
      ['big_pq', await focusParquetTyped(rows, { BilledCost: 'DOUBLE' }), PARQUET],
    ] as const) {
      const res = await upload(payload, type, `?source_system=${source}`);
      expect(res.statusCode, res.body).toBe(200);
      const stored = await target.warehouse.query<{ billed: string }>(
        `SELECT CAST(BilledCost AS STRING) AS billed FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')}
         WHERE x_source_system = @source ORDER BY ChargePeriodStart, ServiceName`,
        { source },
      );
      expect(stored.map((r) => decimal(r.billed))).toEqual(expected);
    }
    const trend = await target.t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${target.org}/trend?granularity=daily&start_date=2025-05-01&end_date=2025-05-01`,
      headers: { 'x-api-key': target.key },
    });
    expect(trend.statusCode).toBe(200);
    // Two imports of the day: 2 × 0.005 = 0.01.
    expect(trend.json().data).toEqual([expect.objectContaining({ date: '2025-05-01', total_cost: 0.01 })]);
  });

  it('refuses a Parquet file with a column type it cannot read with 422, the previous data kept', async () => {
    const kept = await upload(
      focusParquet([aFocusFileRow({ BilledCost: '5' })]),
      PARQUET,
      '?source_system=pq_odd',
    );
    expect(kept.statusCode).toBe(200);
    // A BLOB column (FOCUS columns only, so the columnar check reads it first): Polars cannot read it.
    const file = await focusParquetTyped([aFocusFileRow({ BilledCost: '7' })], { ChargeDescription: 'BLOB' });
    const res = await upload(file, PARQUET, '?source_system=pq_odd');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe('COST_IMPORT_FILE_UNREADABLE');
    expect(await totals('pq_odd')).toEqual({ n: 1, billed: 5 });
    // A nested struct: named by its kind, not by Polars' dump of its whole shape.
    const nested = await focusParquetTyped([aFocusFileRow({ Tags: '{"a":{"b":[1]}}' })], {
      Tags: 'STRUCT(a STRUCT(b INTEGER[]))',
    });
    const struct = await upload(nested, PARQUET, '?source_system=pq_odd');
    expect(struct.statusCode, struct.body).toBe(422);
    expect(struct.json().detail).toBe('Column Tags has a type the import cannot read (Struct).');
  });

  it('maps FOCUS 1.2 ProviderName and PublisherName to their 1.3 successors', async () => {
    const row = asFocus12(aFocusFileRow({ ServiceProviderName: 'Google Cloud', HostProviderName: 'Google' }));
    const res = await upload(focusCsv([row]), CSV, '?source_system=focus12');

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      focus_version: '1.2',
      column_mappings: [
        { from: 'ProviderName', to: 'ServiceProviderName' },
        { from: 'PublisherName', to: 'HostProviderName' },
      ],
    });
    const stored = await target.warehouse.query(
      `SELECT ServiceProviderName, HostProviderName, ProviderName, PublisherName
       FROM ${tableRef(`${target.org}_local`, 'cost_data_standard_1_3')} WHERE x_source_system = 'focus12'`,
    );
    expect(stored).toEqual([
      {
        ServiceProviderName: 'Google Cloud',
        HostProviderName: 'Google',
        ProviderName: 'Google Cloud',
        PublisherName: 'Google',
      },
    ]);
  });

  it('names the FOCUS 1.2 column of a 1.2 file in its row errors, not its 1.3 successor', async () => {
    const rows = [
      asFocus12(aFocusFileRow({ ServiceProviderName: '' })),
      asFocus12(aFocusFileRow({ HostProviderName: ' ' })),
    ];
    const res = await upload(focusCsv(rows), CSV, '?source_system=focus12_blank');

    expect(res.statusCode).toBe(422);
    expect(res.json().row_errors).toEqual([
      { row: 1, column: 'ProviderName', message: 'is required' },
      { row: 2, column: 'PublisherName', message: 'is required' },
    ]);
  });
});
