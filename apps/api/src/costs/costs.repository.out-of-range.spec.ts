import os from 'node:os';
import pl from 'nodejs-polars';
import { C } from '#analytics';
import { loadAppConfig } from '#platform';
import { aFocusRow } from '#test/focus-rows';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';
import { DuckDbWarehouse, SchemaRegistry } from '#warehouse';
import { CostRowOutOfRangeError } from './cost-row-out-of-range.error.js';
import { COST_TABLE, CostsRepository } from './costs.repository.js';

const config = loadAppConfig({
  ENVIRONMENT: 'development',
  CA_ROOT_API_KEY: 'k'.repeat(40),
  DATA_DIR: os.tmpdir(),
  LOG_LEVEL: 'silent',
});
const ORG = 'range_org';
const NO_FILTERS = { entities: [] };

/**
 * A cost a read cannot round to INT64 micro-units (2^63 − 0.5 micro-units or more: 9.2 trillion),
 * as the pipeline service may write one (an import caps a cost at a trillion).
 */
describe('CostsRepository and costs past the range of INT64 micro-units, on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let repo: CostsRepository;

  beforeAll(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.ensureDataset(config.orgDataset(ORG));
    await warehouse.ensureTable(config.orgDataset(ORG), SchemaRegistry.load().orgTable(COST_TABLE));
    repo = new CostsRepository(warehouse, config);
    await warehouse.insertRows({ dataset: config.orgDataset(ORG), table: COST_TABLE }, [
      // The largest cost in range, and the smallest: their micro-units are INT64's bounds.
      aFocusRow({ org: ORG, date: '2025-03-01', BilledCost: '9223372036854.775807499' }),
      aFocusRow({ org: ORG, date: '2025-03-01', BilledCost: '-9223372036854.775808499', listCost: 1 }),
      aFocusRow({ org: ORG, date: '2025-03-02', billedCost: 0.25 }),
      // Out of range by half a micro-unit each way, and far out; in another column.
      aFocusRow({ org: ORG, date: '2025-04-01', BilledCost: '9223372036854.7758075' }),
      aFocusRow({ org: ORG, date: '2025-04-02', billedCost: 1, EffectiveCost: '-9223372036854.7758085' }),
      aFocusRow({ org: ORG, date: '2025-04-03', billedCost: 1, ListCost: '-9300000000000' }),
      aFocusRow({ org: ORG, date: '2025-04-04', billedCost: 2.5 }),
    ]);
  });

  afterAll(async () => {
    await warehouse.close();
  });

  it('reads the costs at the edges of the range to the micro-unit', async () => {
    const raw = await repo.loadFrame(ORG, '2025-03-01', '2025-03-02');
    const micros = raw.sort(C.billed).getColumn(C.billed).cast(pl.Utf8).toArray();
    expect(micros).toEqual(['-9223372036854775808', '250000', '9223372036854775807']);
  });

  it.each(['rows', 'costs', 'hierarchy'] as const)(
    'refuses a %s frame of a period holding costs past it, counting their rows, never summing without them',
    async (columns) => {
      const refused = await repo.loadFrame(ORG, '2025-03-15', '2025-04-30', columns).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CostRowOutOfRangeError);
      expect(refused).toMatchObject({ start: '2025-03-15', end: '2025-04-30', rows: 3 });
      expect((refused as Error).message).toMatch(
        /^the period 2025-03-15 to 2025-04-30 holds 3 cost rows whose BilledCost, EffectiveCost or ListCost is 9,223,372,036,854\.775808 or more/,
      );
      // A period without them reads as ever.
      expect((await repo.loadFrame(ORG, '2025-04-04', '2025-04-04', columns)).height).toBe(1);
    },
  );

  it('refuses a page of rows of such days, counting those of its days', async () => {
    const page = repo.listRows(ORG, '2025-04-02', '2025-04-04', NO_FILTERS, null, { offset: 0, limit: 10 });
    await expect(page).rejects.toMatchObject({ start: '2025-04-02', end: '2025-04-04', rows: 2 });
  });
});

describe('CostsRepository and costs past the range of INT64 micro-units, on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('counts the rows past the range after a failed read, in the same period, with exact NUMERIC bounds', async () => {
    const sent: string[] = [];
    bq.fake.onQuery((req) => {
      sent.push(req.sql.replace(/\s+/g, ' '));
      if (sent.length === 1)
        return {
          error: { code: 400, reason: 'invalidQuery', message: 'Bad int64 value: 9300000000000000000' },
        };
      expect(req.params).toMatchObject({ from_ts: expect.anything(), to_ts: expect.anything() });
      return bq.fake.result([{ name: 'out_of_range', type: 'INT64' }], [[2]]);
    });
    const repo = new CostsRepository(bq.wh, config);
    const refused = await repo.loadFrame('acme', '2025-04-01', '2025-04-30').catch((e: unknown) => e);
    expect(refused).toMatchObject({ start: '2025-04-01', end: '2025-04-30', rows: 2 });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('SELECT COUNT(*) AS out_of_range FROM `');
    expect(sent[1]).toContain(
      'WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts AND (' +
        ['BilledCost', 'EffectiveCost', 'ListCost']
          .map(
            (cost) =>
              `${cost} >= NUMERIC '9223372036854.7758075' OR ${cost} <= NUMERIC '-9223372036854.7758085'`,
          )
          .join(' OR ') +
        ')',
    );
  });

  it('keeps a failure that is not of such costs as it was', async () => {
    let queries = 0;
    bq.fake.onQuery(() => {
      queries += 1;
      if (queries === 1) return { error: { code: 400, reason: 'invalidQuery', message: 'Something else' } };
      return bq.fake.result([{ name: 'out_of_range', type: 'INT64' }], [[0]]);
    });
    const repo = new CostsRepository(bq.wh, config);
    const failed = await repo.loadFrame('acme', '2025-04-01', '2025-04-30').catch((e: unknown) => e);
    expect(failed).not.toBeInstanceOf(CostRowOutOfRangeError);
    expect(failed).toMatchObject({ code: 'WAREHOUSE_QUERY_FAILED' });
    expect(queries).toBe(2);
  });
});
