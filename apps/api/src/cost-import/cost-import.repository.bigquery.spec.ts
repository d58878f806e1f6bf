import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pl from 'nodejs-polars';
import { SchemaRegistry } from '#warehouse';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';
import { CostImportRepository } from './cost-import.repository.js';
import { COST_TABLE } from './focus-columns.js';

const registry = SchemaRegistry.load();
const DATASET = 'acme_prod';
const STAGE = '_cost_import_1';
const COLUMNS = ['BilledCost', 'ChargePeriodStart', 'Tags'];

describe('CostImportRepository on BigQuery', () => {
  const bq = fakeBigQueryEach();
  let file: string;

  beforeEach(() => {
    bq.fake.seedTable(DATASET, COST_TABLE, registry.orgTable(COST_TABLE).fields);
    file = path.join(os.tmpdir(), `stage-${randomUUID()}.parquet`);
  });
  afterEach(() => fs.rmSync(file, { force: true }));

  it('bulk-loads a Parquet file with Tags: the stage holds JSON columns as text, parsed in the swap', async () => {
    const repo = new CostImportRepository(bq.wh, registry);
    await repo.createStage(DATASET, STAGE, COLUMNS);
    const staged = bq.fake.table(DATASET, STAGE)?.schema as { fields: { name: string; type: string }[] };
    expect(staged.fields.map((f) => `${f.name} ${f.type}`)).toEqual([
      'BilledCost FLOAT',
      'ChargePeriodStart TIMESTAMP',
      'Tags STRING',
    ]);

    pl.DataFrame({
      BilledCost: [1.5],
      ChargePeriodStart: [new Date('2025-03-01T00:00:00Z')],
      Tags: ['{"env":"prod"}'],
    }).writeParquet(file);
    // BigQuery refuses a Parquet load into a JSON column (as the fake does): the import then
    // staged every such file row by row.
    expect(await repo.loadStage(DATASET, STAGE, file)).toBe(1);
    expect(bq.fake.loads.map((l) => l.configuration.sourceFormat)).toEqual(['PARQUET']);

    let merge = '';
    bq.fake.onQuery((req) => ((merge = req.sql), { dmlAffectedRows: 1 }));
    const slice = {
      sourceSystem: 'aws',
      credentialId: null,
      from: new Date('2025-03-01T00:00:00Z'),
      to: new Date('2025-03-02T00:00:00Z'),
      billingPeriods: [new Date('2025-03-01T00:00:00Z')],
    };
    await repo.replaceSlice(
      DATASET,
      STAGE,
      { columns: COLUMNS, rows: 1 },
      { runId: 'r1', values: {} },
      slice,
    );
    // A tag number past a FLOAT64's precision is rounded, not a failed swap (BigQuery's default
    // wide_number_mode is 'exact').
    expect(merge).toContain("S.ChargePeriodStart, PARSE_JSON(S.Tags, wide_number_mode => 'round'), DATE(");
    // The slice's bounds are named @from and @to, reserved keywords BigQuery refuses unquoted
    // (a syntax error failed every import's swap there): the driver sends them quoted.
    expect(merge).toContain('T.ChargePeriodStart >= @from_kw AND T.ChargePeriodStart < @to_kw');
  });

  it("deletes a credential's rows of other runs with typed array parameters (a demo seeding's earlier year)", async () => {
    const repo = new CostImportRepository(bq.wh, registry);
    let sent: { sql: string; params: Record<string, { type: string; value: unknown }> } | undefined;
    bq.fake.onQuery((req) => ((sent = req), { dmlAffectedRows: 7 }));

    const deleted = await repo.deleteOtherRuns(DATASET, 'acme', {
      credentialId: 'demo',
      sourceSystems: ['cloud_aws_billing', 'saas'],
      keepRuns: ['r1', 'r2'],
      ingestedBefore: new Date('2026-01-02T03:04:05Z'),
    });

    expect(deleted).toBe(7);
    expect(sent?.sql).toContain('x_source_system IN UNNEST(@sources)');
    expect(sent?.sql).toContain('x_run_id NOT IN UNNEST(@runs)');
    expect(sent?.params).toMatchObject({
      org: { type: 'STRING', value: 'acme' },
      credential: { type: 'STRING', value: 'demo' },
      sources: { type: 'ARRAY<STRING>', value: ['cloud_aws_billing', 'saas'] },
      runs: { type: 'ARRAY<STRING>', value: ['r1', 'r2'] },
      ingested_before: { type: 'TIMESTAMP' },
    });
  });
});
