import os from 'node:os';
import {
  C,
  costRows,
  costTotals,
  prepareCostFrameSync,
  rawCostColumns,
  type RawColumnKind,
} from '#analytics';
import { loadAppConfig } from '#platform';
import type { FakeField, FakeQueryRequest } from '#test/bigquery-server';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';
import { CostsRepository } from './costs.repository.js';

const config = loadAppConfig({
  ENVIRONMENT: 'development',
  CA_ROOT_API_KEY: 'k'.repeat(40),
  DATA_DIR: os.tmpdir(),
  LOG_LEVEL: 'silent',
});

/** What BigQuery answers each column of a page of rows as (the charge days come as their timestamps). */
const WIRE_TYPE: Record<RawColumnKind, string> = {
  text: 'STRING',
  micros: 'INT64',
  nano_rest: 'INT64',
  float: 'FLOAT64',
  date: 'TIMESTAMP',
  timestamp: 'TIMESTAMP',
  count: 'INT64',
};
const FIELDS: FakeField[] = rawCostColumns('rows').map(([name, kind]) => ({ name, type: WIRE_TYPE[kind] }));

/** A page row as BigQuery sends it: the columns of `values`, the others NULL. */
const wireRow = (values: Record<string, unknown>) => FIELDS.map((f) => values[f.name] ?? null);

describe('CostsRepository.listRows on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('asks for one page in listing order with typed parameters, and its rows list sorted', async () => {
    let sent: FakeQueryRequest | undefined;
    const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
    bq.fake.onQuery((req) => {
      sent = req;
      // In no particular order: a page may come from parallel streams.
      return bq.fake.result(FIELDS, [
        wireRow({
          [C.date]: day('2025-03-01'),
          [C.provider]: 'AWS',
          [C.billed]: 2_000_000,
          [C.billedRest]: -500,
        }),
        wireRow({
          [C.date]: day('2025-03-02'),
          [C.provider]: 'AWS',
          [C.billed]: 1_000_000,
          [C.billedRest]: 0,
        }),
      ]);
    });
    const repo = new CostsRepository(bq.wh, config);
    const raw = await repo.listRows(
      'acme',
      '2025-03-01',
      '2025-03-03',
      { providers: ['AWS'], serviceCategories: [], entities: [{ id: 'DEPT-1', paths: [] }] },
      [{ provider: 'AWS', serviceCategory: null, sourceSystem: 'cloud_aws_billing' }],
      { offset: 10, limit: 5 },
    );
    const sql = sent!.sql.replace(/\s+/g, ' ');
    // Each cost rounded in NUMERIC as it is, never through NUMERIC(18, 9): BigQuery allows a
    // parameterized type only for columns and script variables, not in a query's CAST.
    expect(sql).toContain('CAST(ROUND(BilledCost * 1000000) AS INT64) AS billed_micros');
    expect(sql).toContain(
      'CAST((BilledCost * 1000000 - ROUND(BilledCost * 1000000)) * 1000 AS INT64) AS billed_nano_rest',
    );
    expect(sql).not.toMatch(/NUMERIC\s*\(|EMBEDDED_/);
    // The listing order (LISTING_KEYS) to what a frame of rows holds: UTC days, exact costs, the
    // quantity as the FLOAT64 listed, billing periods to the millisecond; nulls first as in Polars.
    expect(sql.slice(sql.indexOf(' ORDER BY '))).toBe(
      ' ORDER BY TIMESTAMP_TRUNC(ChargePeriodStart, DAY) DESC NULLS FIRST, ' +
        [
          'ServiceProviderName',
          'ServiceName',
          'SubAccountId',
          'ResourceName',
          'RegionName',
          'ChargeCategory',
          'ChargeClass',
          'ServiceCategory',
          'BilledCost',
          'EffectiveCost',
          'ListCost',
          'CAST(ConsumedQuantity AS FLOAT64)',
          'ConsumedUnit',
          'BillingCurrency',
          'TIMESTAMP_TRUNC(ChargePeriodEnd, DAY)',
          'TIMESTAMP_TRUNC(BillingPeriodStart, MILLISECOND)',
          'TIMESTAMP_TRUNC(BillingPeriodEnd, MILLISECOND)',
          'x_source_system',
          'x_hierarchy_entity_id',
          'x_hierarchy_entity_name',
          'x_hierarchy_level_code',
          'x_hierarchy_path',
          'x_hierarchy_path_names',
        ]
          .map((key) => `${key} NULLS FIRST`)
          .join(', ') +
        ' LIMIT 5 OFFSET 10',
    );
    expect(sql).toContain(
      'WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts' +
        ' AND ServiceProviderName IN UNNEST(@providers) AND ServiceCategory IN UNNEST(@service_categories)' +
        ' AND (x_hierarchy_entity_id = @entity_0 OR x_hierarchy_path IN UNNEST(@through_0))' +
        ' AND ((ServiceProviderName = @cp_0 AND ServiceCategory IS NULL AND x_source_system = @cx_0))' +
        ' ORDER BY',
    );
    // Every parameter typed, an empty list as an empty ARRAY<STRING> (it matches no row), a NULL of
    // a category's triple as IS NULL rather than a parameter.
    expect(sent!.params).toEqual({
      providers: { type: 'ARRAY<STRING>', value: ['AWS'] },
      service_categories: { type: 'ARRAY<STRING>', value: [] },
      entity_0: { type: 'STRING', value: 'DEPT-1' },
      through_0: { type: 'ARRAY<STRING>', value: [] },
      cp_0: { type: 'STRING', value: 'AWS' },
      cx_0: { type: 'STRING', value: 'cloud_aws_billing' },
      from_ts: { type: 'TIMESTAMP', value: '2025-03-01T00:00:00.000Z' },
      to_ts: { type: 'TIMESTAMP', value: '2025-03-04T00:00:00.000Z' },
    });
    expect(
      (await costRows(prepareCostFrameSync(raw, 'rows'))).map((r) => [r.ChargePeriodStart, r.BilledCost]),
    ).toEqual([
      ['2025-03-02', 1],
      ['2025-03-01', 1.9999995],
    ]);
  });
});

describe('CostsRepository.loadFrame on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('sums a group’s micro-units as NUMERIC (an INT64 SUM overflows past 9.2e18) and reads one past Int64 as Float64', async () => {
    let sql = '';
    const fields: FakeField[] = rawCostColumns('costs').map(([name, kind]) => ({
      name,
      // A group's micro-units come as FLOAT64 (see groupMicros).
      type: kind === 'micros' ? 'FLOAT64' : WIRE_TYPE[kind],
    }));
    const group: Record<string, unknown> = {
      [C.date]: new Date('2025-06-01T00:00:00Z'),
      [C.provider]: 'AWS',
      [C.billed]: 9_999_999_999_995e6,
      [C.effective]: 1_000_000,
      [C.list]: 1_000_000,
      [C.billedRest]: 0,
      [C.effectiveRest]: 0,
      [C.listRest]: 0,
      [C.rowCount]: 10,
    };
    bq.fake.onQuery((req) => {
      sql = req.sql.replace(/\s+/g, ' ');
      return bq.fake.result(
        fields,
        [group].map((g) => fields.map((f) => g[f.name] ?? null)),
      );
    });
    const raw = await new CostsRepository(bq.wh, config).loadFrame(
      'acme',
      '2025-06-01',
      '2025-06-30',
      'costs',
    );
    expect(sql).toContain(
      'CAST(SUM(CAST(CAST(ROUND(BilledCost * 1000000) AS INT64) AS NUMERIC)) AS FLOAT64) AS billed_micros',
    );
    // Never a SUM of the INT64 micro-units themselves (the rests, −500..500 nano-units a row, are).
    expect(sql).not.toContain('SUM(CAST(ROUND(BilledCost * 1000000) AS INT64))');
    expect(sql).toContain(
      'CAST(SUM(CAST((BilledCost * 1000000 - ROUND(BilledCost * 1000000)) * 1000 AS INT64)) + CASE',
    );
    // BigQuery allows a parameterized type (NUMERIC(18, 9)) only for columns and script variables.
    expect(sql).not.toMatch(/NUMERIC\s*\(|EMBEDDED_/);
    const totals = costTotals(prepareCostFrameSync(raw, 'costs'));
    expect(totals).toMatchObject({ billed: 9_999_999_999_995e6, effective: 1_000_000, recordCount: 10 });
  });
});

describe('CostsRepository rows of large costs on BigQuery', () => {
  const bq = fakeBigQueryEach();

  it('lists a row of over 9 billion currency units (its micro-units past 2^53) as the embedded warehouse does', async () => {
    // 999,999,999,999.5 (under the import's cap of 1e12): 999999999999500000 micro-units, an INT64
    // beyond a double's exact integers, as BigQuery sends it (text); the wire form keeps every digit.
    bq.fake.onQuery(() =>
      bq.fake.result(FIELDS, [
        wireRow({
          [C.date]: new Date('2025-06-01T00:00:00Z'),
          [C.provider]: 'AWS',
          [C.billed]: 999_999_999_999_500_000n,
          [C.effective]: 1_000_000,
          [C.list]: 999_999_999_999_500_000n,
          [C.billedRest]: 0,
        }),
      ]),
    );
    const raw = await new CostsRepository(bq.wh, config).loadFrame(
      'acme',
      '2025-06-01',
      '2025-06-30',
      'rows',
    );
    const [row] = await costRows(prepareCostFrameSync(raw, 'rows'));
    expect([row!.BilledCost, row!.EffectiveCost, row!.ListCost]).toEqual([
      999_999_999_999.5, 1, 999_999_999_999.5,
    ]);
  });
});
