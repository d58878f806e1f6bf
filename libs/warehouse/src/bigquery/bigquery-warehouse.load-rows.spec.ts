import { startFakeBigQuery, type FakeBigQuery } from '#test/bigquery-server';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Row } from '../warehouse.port.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { LOAD_MIN_ROWS } from './ndjson-rows.js';

const STAGE = { dataset: 'acme_prod', table: 'stage' };

/** A cost import's staged rows: every scalar type the stage holds, NULLs among them. */
const rowsOf = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    ServiceName: i === 0 ? 'Say "hi",\nthen' : `svc ${i % 7}`,
    BilledCost: i % 5 === 0 ? null : i / 8,
    Units: 9_007_199_254_740_991 - i,
    Cost: '12345678901234567890.123456789',
    Billable: i % 2 === 0,
    ChargePeriodStart: new Date(Date.UTC(2025, 2, 1, 13, 5, 9, i % 1000)),
    BillingDay: '2025-03-01',
    Tags: i === 0 ? '{\n "env": "prod", "n": 12345678901234567890}' : '{"env":"dev"}',
  }));

/**
 * A DML INSERT carries at most 500 rows on BigQuery, so a cost import's 25,000-row batch was some
 * 60 sequential billed jobs (hours for a year of rows); so many rows now go as one load job.
 */
describe('BigQueryWarehouse insertRows of many rows', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;
  const dml = () => fake.requests.filter((r) => r.path.endsWith('/queries'));

  beforeEach(async () => {
    fake = await startFakeBigQuery();
    fake.seedTable('acme_prod', 'stage', [
      { name: 'ServiceName', type: 'STRING' },
      { name: 'BilledCost', type: 'FLOAT' },
      { name: 'Units', type: 'INTEGER' },
      { name: 'Cost', type: 'NUMERIC' },
      { name: 'Billable', type: 'BOOLEAN' },
      { name: 'ChargePeriodStart', type: 'TIMESTAMP' },
      { name: 'BillingDay', type: 'DATE' },
      { name: 'Tags', type: 'JSON' },
      { name: 'Labels', type: 'STRING', mode: 'REPEATED' },
    ]);
    fake.onQuery((req) => ({ dmlAffectedRows: req.sql.split('\n').length - 1 }));
    wh = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await wh.close();
    await fake.close();
  });

  it('loads them as one append job of newline-delimited JSON, each value as the loader reads it', async () => {
    const rows = rowsOf(LOAD_MIN_ROWS + 500);

    expect(await wh.insertRows(STAGE, rows)).toBe(rows.length);

    expect(dml()).toEqual([]);
    expect(fake.loads).toHaveLength(1);
    const [load] = fake.loads;
    expect(load.configuration).toMatchObject({
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      writeDisposition: 'WRITE_APPEND',
      createDisposition: 'CREATE_NEVER',
      destinationTable: { projectId: 'finops-test', datasetId: 'acme_prod', tableId: 'stage' },
    });
    const lines = load.data.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(rows.length);
    expect(JSON.parse(lines[0])).toEqual({
      ServiceName: 'Say "hi",\nthen',
      Units: '9007199254740991',
      Cost: '12345678901234567890.123456789',
      Billable: true,
      ChargePeriodStart: '2025-03-01 13:05:09.000+00:00',
      BillingDay: '2025-03-01',
      // The raw JSON value, its big number's digits kept: the loader parses it as the column's JSON.
      Tags: { env: 'prod', n: expect.any(Number) },
    });
    expect(lines[0]).toContain('"Tags":{  "env": "prod", "n": 12345678901234567890}');
    expect(JSON.parse(lines[1])).toMatchObject({
      BilledCost: 0.125,
      ChargePeriodStart: '2025-03-01 13:05:09.001+00:00',
    });
  });

  it('keeps DML for fewer rows, and for values the loader cannot take as DML writes them', async () => {
    await wh.insertRows(STAGE, rowsOf(LOAD_MIN_ROWS - 1));
    const withList = rowsOf(LOAD_MIN_ROWS).map((row, i) => (i === 3 ? { ...row, Labels: ['a'] } : row));
    await wh.insertRows(STAGE, withList);
    const withNaN = rowsOf(LOAD_MIN_ROWS).map((row, i) =>
      i === 3 ? { ...row, BilledCost: Number.NaN } : row,
    );
    await wh.insertRows(STAGE, withNaN);

    expect(fake.loads).toEqual([]);
    expect(dml().length).toBeGreaterThan(3);
  });

  it('answers a refused load as a failed write, with nothing sent again as DML', async () => {
    fake.onLoad(() => ({ error: { code: 400, reason: 'invalid', message: 'Error while reading data' } }));

    const error = await wh.insertRows(STAGE, rowsOf(LOAD_MIN_ROWS)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as WarehouseError).code).toBe(WarehouseErrorCode.QueryFailed);
    expect(fake.loads).toHaveLength(1);
    expect(dml()).toEqual([]);
  });
});
