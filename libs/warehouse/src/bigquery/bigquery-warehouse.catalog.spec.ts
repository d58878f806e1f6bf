import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TableSchema } from '../schema/table-schema.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { fakeBigQueryEach, testWarehouse } from '#test/bigquery-test-warehouse';

const BASE = '/bigquery/v2/projects/finops-test';
const COSTS: TableSchema = {
  name: 'cost_data_standard_1_3',
  description: 'FOCUS 1.3 rows',
  fields: [
    { name: 'ChargePeriodStart', type: 'TIMESTAMP', mode: 'REQUIRED' },
    { name: 'ProviderName', type: 'STRING' },
    { name: 'BilledCost', type: 'NUMERIC' },
    { name: 'Tags', type: 'JSON' },
    { name: 'Owner', type: 'RECORD', fields: [{ name: 'team', type: 'STRING' }] },
  ],
  timePartitioning: { type: 'DAY', field: 'ChargePeriodStart' },
  clustering: ['ProviderName'],
};

describe('BigQueryWarehouse datasets and tables', () => {
  const bq = fakeBigQueryEach({ pageSize: 2 });
  const calls = (method: string, path: string) =>
    bq.fake.requests.filter((r) => r.method === method && r.path === `${BASE}${path}`);

  it('creates a dataset in the configured location once, then reports it existed', async () => {
    expect(await bq.wh.ensureDataset('acme_prod', { description: 'acme' })).toBe(true);
    expect(await bq.wh.ensureDataset('acme_prod')).toBe(false);
    expect(await bq.wh.ensureDataset('acme_us', { location: 'US' })).toBe(true);

    const [first, , third] = calls('POST', '/datasets').map((r) => r.body);
    expect(first).toEqual({
      location: 'EU',
      description: 'acme',
      datasetReference: { datasetId: 'acme_prod' },
    });
    expect(third).toMatchObject({ location: 'US' });
  });

  it('tells whether a dataset exists', async () => {
    await bq.wh.ensureDataset('acme_prod');
    expect(await bq.wh.datasetExists('acme_prod')).toBe(true);
    expect(await bq.wh.datasetExists('nobody_prod')).toBe(false);
  });

  it('tells where a dataset is, and null for one that does not exist', async () => {
    await bq.wh.ensureDataset('acme_prod');
    await bq.wh.ensureDataset('acme_us', { location: 'US' });
    expect(await bq.wh.datasetLocation('acme_prod')).toBe('EU');
    expect(await bq.wh.datasetLocation('acme_us')).toBe('US');
    expect(await bq.wh.datasetLocation('nobody_prod')).toBeNull();
  });

  it('drops a dataset with its contents, and reports false when it was not there', async () => {
    bq.fake.seedTable('acme_prod', 't1', [{ name: 'x', type: 'STRING' }]);
    expect(await bq.wh.dropDataset('acme_prod')).toBe(true);
    expect(await bq.wh.dropDataset('acme_prod')).toBe(false);
    expect(calls('DELETE', '/datasets/acme_prod')[0].query).toMatchObject({ deleteContents: 'true' });
    expect(await bq.wh.datasetExists('acme_prod')).toBe(false);
  });

  it('lists every table across result pages', async () => {
    for (const t of ['a', 'b', 'c']) bq.fake.seedTable('acme_prod', t, []);
    expect(await bq.wh.listTables('acme_prod')).toEqual(['a', 'b', 'c']);
    expect(calls('GET', '/datasets/acme_prod/tables').map((r) => r.query.pageToken)).toEqual([
      undefined,
      'page-2',
    ]);
  });

  it('creates a table with its schema, DAY partitioning and clustering, once', async () => {
    await bq.wh.ensureDataset('acme_prod');
    expect(await bq.wh.ensureTable('acme_prod', COSTS)).toBe(true);
    expect(await bq.wh.ensureTable('acme_prod', COSTS)).toBe(false);

    expect(calls('POST', '/datasets/acme_prod/tables')[0].body).toEqual({
      tableReference: { datasetId: 'acme_prod', projectId: 'finops-test', tableId: 'cost_data_standard_1_3' },
      description: 'FOCUS 1.3 rows',
      schema: {
        fields: [
          { name: 'ChargePeriodStart', type: 'TIMESTAMP', mode: 'REQUIRED' },
          { name: 'ProviderName', type: 'STRING', mode: 'NULLABLE' },
          { name: 'BilledCost', type: 'NUMERIC', mode: 'NULLABLE' },
          { name: 'Tags', type: 'JSON', mode: 'NULLABLE' },
          {
            name: 'Owner',
            type: 'RECORD',
            mode: 'NULLABLE',
            fields: [{ name: 'team', type: 'STRING', mode: 'NULLABLE' }],
          },
        ],
      },
      timePartitioning: { type: 'DAY', field: 'ChargePeriodStart' },
      clustering: { fields: ['ProviderName'] },
    });
  });

  it('creates a scratch table with an expiration time, and a lasting one without', async () => {
    await bq.wh.ensureDataset('acme_prod');
    const before = Date.now();
    await bq.wh.ensureTable('acme_prod', { name: 'stage', fields: COSTS.fields, expiresAfterMs: 3_600_000 });
    await bq.wh.ensureTable('acme_prod', COSTS);
    const [scratch, lasting] = calls('POST', '/datasets/acme_prod/tables').map(
      (r) => r.body as Record<string, unknown>,
    );
    const expires = Number(scratch.expirationTime);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(lasting).not.toHaveProperty('expirationTime');
  });

  it('patches only the missing columns, as NULLABLE, guarded by the etag', async () => {
    bq.fake.seedTable('acme_prod', 'costs', [{ name: 'ProviderName', type: 'STRING', mode: 'REQUIRED' }]);
    const etag = bq.fake.table('acme_prod', 'costs')?.etag;

    await bq.wh.addColumns('acme_prod', 'costs', [
      { name: 'providername', type: 'STRING' },
      { name: 'Region', type: 'STRING', mode: 'REQUIRED' },
      { name: 'Labels', type: 'STRING', mode: 'REPEATED' },
    ]);

    const [patch] = calls('PATCH', '/datasets/acme_prod/tables/costs');
    expect(patch.headers['if-match']).toBe(etag);
    expect((patch.body as { schema: unknown }).schema).toEqual({
      fields: [
        { name: 'ProviderName', type: 'STRING', mode: 'REQUIRED' },
        { name: 'Region', type: 'STRING', mode: 'NULLABLE' },
        { name: 'Labels', type: 'STRING', mode: 'REPEATED' },
      ],
    });
    expect((await bq.wh.describeTable('acme_prod', 'costs'))?.columns.map((c) => c.name)).toEqual([
      'ProviderName',
      'Region',
      'Labels',
    ]);
  });

  it('sends no patch when every column is already there', async () => {
    bq.fake.seedTable('acme_prod', 'costs', [{ name: 'ProviderName', type: 'STRING' }]);
    await bq.wh.addColumns('acme_prod', 'costs', [{ name: 'ProviderName', type: 'STRING' }]);
    expect(bq.fake.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('re-reads and patches again when a concurrent change moved the etag', async () => {
    bq.fake.seedTable('acme_prod', 'costs', [{ name: 'a', type: 'STRING' }]);
    let raced = false;
    bq.fake.intercept((req) => {
      if (req.method !== 'PATCH' || raced) return undefined;
      raced = true;
      return { code: 412, reason: 'conditionNotMet', message: 'Precondition check failed.' };
    });
    await bq.wh.addColumns('acme_prod', 'costs', [{ name: 'b', type: 'INT64' }]);
    expect(bq.fake.requests.map((r) => r.method)).toEqual(['GET', 'PATCH', 'GET', 'PATCH']);
    expect(bq.fake.table('acme_prod', 'costs')?.schema).toEqual({
      fields: [
        { name: 'a', type: 'STRING', mode: 'NULLABLE' },
        { name: 'b', type: 'INTEGER', mode: 'NULLABLE' },
      ],
    });
  });

  it('drops a table, and reports false when it was not there', async () => {
    bq.fake.seedTable('acme_prod', 'old', []);
    expect(await bq.wh.dropTable('acme_prod', 'old')).toBe(true);
    expect(await bq.wh.dropTable('acme_prod', 'old')).toBe(false);
    expect(bq.fake.table('acme_prod', 'old')).toBeUndefined();
  });

  it('creates or replaces a view with DDL through jobs.query', async () => {
    await bq.wh.ensureDataset('acme_prod');
    await bq.wh.createOrReplaceView('acme_prod', 'v_costs', 'SELECT 1 AS one');

    expect(calls('POST', '/queries')[0].body).toMatchObject({
      query: 'CREATE OR REPLACE VIEW `acme_prod.v_costs` AS\nSELECT 1 AS one',
      useLegacySql: false,
    });
    expect((await bq.wh.describeTable('acme_prod', 'v_costs'))?.kind).toBe('VIEW');
  });

  it('describes a table with standard type names and modes, or null when missing', async () => {
    bq.fake.seedTable('acme_prod', 'costs', [
      { name: 'n', type: 'INTEGER', mode: 'REQUIRED' },
      { name: 'cost', type: 'FLOAT' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'price', type: 'NUMERIC' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'day', type: 'DATE' },
      { name: 'tags', type: 'JSON' },
      { name: 'raw', type: 'BYTES' },
      { name: 'labels', type: 'STRING', mode: 'REPEATED' },
      { name: 'owner', type: 'RECORD', fields: [{ name: 'team', type: 'STRING' }] },
    ]);

    expect(await bq.wh.describeTable('acme_prod', 'costs')).toEqual({
      dataset: 'acme_prod',
      table: 'costs',
      kind: 'TABLE',
      columns: [
        { name: 'n', type: 'INT64', mode: 'REQUIRED' },
        { name: 'cost', type: 'FLOAT64', mode: 'NULLABLE' },
        { name: 'ok', type: 'BOOL', mode: 'NULLABLE' },
        { name: 'price', type: 'NUMERIC', mode: 'NULLABLE' },
        { name: 'at', type: 'TIMESTAMP', mode: 'NULLABLE' },
        { name: 'day', type: 'DATE', mode: 'NULLABLE' },
        { name: 'tags', type: 'JSON', mode: 'NULLABLE' },
        { name: 'raw', type: 'BYTES', mode: 'NULLABLE' },
        { name: 'labels', type: 'STRING', mode: 'REPEATED' },
        { name: 'owner', type: 'STRUCT', mode: 'NULLABLE' },
      ],
    });
    expect(await bq.wh.describeTable('acme_prod', 'missing')).toBeNull();
    expect(await bq.wh.describeTable('nobody_prod', 'costs')).toBeNull();
  });
});

describe('BigQueryWarehouse metadata calls to an endpoint that stops answering', () => {
  it('give up at the query timeout, naming a change as one that may still apply', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const wh = testWarehouse(`http://127.0.0.1:${port}`, { defaultTimeoutMs: 300 });
    try {
      const started = Date.now();
      const reads = await Promise.all(
        [
          wh.listTables('acme_prod'),
          wh.describeTable('acme_prod', 'costs'),
          wh.datasetExists('acme_prod'),
        ].map((call) => call.catch((e: unknown) => e)),
      );
      const change = await wh.ensureTable('acme_prod', COSTS).catch((e: unknown) => e);

      expect(Date.now() - started).toBeLessThan(3_000);
      for (const err of reads)
        expect(err).toMatchObject({ code: WarehouseErrorCode.Timeout, extra: { timeout_ms: 300 } });
      expect(change).toMatchObject({
        code: WarehouseErrorCode.Timeout,
        extra: { timeout_ms: 300, write_outcome: 'unknown' },
      });
    } finally {
      await wh.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 15_000);
});
