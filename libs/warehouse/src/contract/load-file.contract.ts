import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tableRef } from '../sql.js';
import { WarehouseError } from '../warehouse.errors.js';
import type { ContractContext } from './contract-context.js';

const CSV = [
  'id,name,cost,active,created_at,usage_date,payload',
  '1,aws,12.345678901,true,2026-01-31T10:11:12.345Z,2026-01-31,"{""a"":[1,2]}"',
  '2,,0.5,false,2026-02-01T00:00:00Z,2026-02-01,',
].join('\n');
const SELECT = 'SELECT id, name, amount, cost, active, created_at, usage_date, payload, tags';

export function loadFileContract(ctx: ContractContext): void {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warehouse-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a CSV file by header name: values typed like the table, empty fields and absent columns NULL', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const path = join(dir, 'rows.csv');
    await writeFile(path, CSV);

    const loaded = await wh.loadFile({ dataset, table: 'all_types' }, { path, format: 'csv' });

    expect(loaded).toBe(2);
    const rows = await wh.query(`${SELECT} FROM ${tableRef(dataset, 'all_types')} ORDER BY id`);
    expect(rows).toEqual([
      {
        id: 1,
        name: 'aws',
        amount: null,
        cost: 12.345678901,
        active: true,
        created_at: new Date('2026-01-31T10:11:12.345Z'),
        usage_date: '2026-01-31',
        payload: { a: [1, 2] },
        tags: [],
      },
      {
        id: 2,
        name: null,
        amount: null,
        cost: 0.5,
        active: false,
        created_at: new Date('2026-02-01T00:00:00Z'),
        usage_date: '2026-02-01',
        payload: null,
        tags: [],
      },
    ]);
  });

  it('loads a gzip-compressed CSV file', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const path = join(dir, 'rows.csv.gz');
    await writeFile(path, gzipSync(CSV));

    const loaded = await wh.loadFile({ dataset, table: 'all_types' }, { path, format: 'csv', gzip: true });

    expect(loaded).toBe(2);
    const [count] = await wh.query(
      `SELECT COUNT(*) AS n, SUM(cost) AS total FROM ${tableRef(dataset, 'all_types')}`,
    );
    expect(count).toEqual({ n: 2, total: 12.845678901 });
  });

  it('loads a Parquet file, casting its columns to the table types', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const path = join(dir, 'rows.parquet');
    pl.DataFrame([
      pl.Series('id', [7, 8], pl.Int64),
      pl.Series('name', ['gcp', null], pl.Utf8),
      pl.Series('cost', [0.1, 2.25], pl.Float64),
      pl
        .Series('created_at', [Date.UTC(2026, 2, 1, 12), Date.UTC(2026, 2, 2)], pl.Int64)
        .cast(pl.Datetime('ms', 'UTC')),
    ]).writeParquet(path);

    const loaded = await wh.loadFile({ dataset, table: 'all_types' }, { path, format: 'parquet' });

    expect(loaded).toBe(2);
    const rows = await wh.query(
      `SELECT id, name, cost, created_at, usage_date FROM ${tableRef(dataset, 'all_types')} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 7, name: 'gcp', cost: 0.1, created_at: new Date('2026-03-01T12:00:00Z'), usage_date: null },
      { id: 8, name: null, cost: 2.25, created_at: new Date('2026-03-02T00:00:00Z'), usage_date: null },
    ]);
  });

  it('loads nothing when one value does not fit its column', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'id,cost\n1,2.5\n2,not-a-number\n');

    await expect(
      wh.loadFile({ dataset, table: 'all_types' }, { path, format: 'csv' }),
    ).rejects.toBeInstanceOf(WarehouseError);
    expect(await wh.query(`SELECT id FROM ${tableRef(dataset, 'all_types')}`)).toEqual([]);
  });

  it('refuses a file with a column the table does not have', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const path = join(dir, 'extra.csv');
    await writeFile(path, 'id,colour\n1,red\n');

    await expect(wh.loadFile({ dataset, table: 'all_types' }, { path, format: 'csv' })).rejects.toThrow(
      /has no column colour/,
    );
  });
}
