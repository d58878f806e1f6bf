import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { aFocusFileRow, focusParquet, focusParquetTyped } from '#test/focus-files';
import { CostImportError } from './cost-import.errors.js';
import { joinParquetParts, MAX_PARQUET_PARTS, parquetParts } from './parquet-parts.js';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-parts-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, ...files: Buffer[]) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat(files));
  return file;
};

/** Column names and types of a Parquet file as DuckDB reads them, and its rows. */
async function described(file: string) {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const source = `read_parquet('${file}')`;
    const types = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
      .getRowObjects()
      .map((c) => `${String(c.column_name)} ${String(c.column_type)}`);
    const rows = (await connection.runAndReadAll(`SELECT CAST(BilledCost AS VARCHAR) AS b FROM ${source}`))
      .getRowObjects()
      .map((r) => r.b);
    connection.closeSync();
    return { types, rows };
  } finally {
    instance.closeSync();
  }
}

describe('Parquet parts written back to back', () => {
  const costs = (...billed: string[]) => billed.map((b) => aFocusFileRow({ BilledCost: b }));

  it('finds each part of files Polars wrote, and merges them in order', async () => {
    const parts = [focusParquet(costs('1', '2')), focusParquet(costs('4')), focusParquet(costs('8', '16'))];
    const file = write('all.parquet', ...parts);

    let at = 0;
    expect(await parquetParts(file)).toEqual(parts.map((p) => ({ start: at, end: (at += p.length) })));
    const merged = await joinParquetParts(file);
    expect(merged).not.toBe(file);
    expect(pl.readParquet(merged).getColumn('BilledCost').toArray()).toEqual([1, 2, 4, 8, 16]);
  });

  it('keeps the types of parts DuckDB wrote (DECIMAL, MAP) as they are', async () => {
    const types = { BilledCost: 'DECIMAL(38, 9)', Tags: 'MAP(VARCHAR, VARCHAR)' };
    const rows = (b: string) => [aFocusFileRow({ BilledCost: b, Tags: '{"env":"prod"}' })];
    const file = write(
      'typed.parquet',
      await focusParquetTyped(rows('0.000000001'), types),
      await focusParquetTyped(rows('12.5'), types),
    );

    expect(await parquetParts(file)).toHaveLength(2);
    const merged = await described(await joinParquetParts(file));
    expect(merged.types).toEqual(
      expect.arrayContaining(['BilledCost DECIMAL(38,9)', 'Tags MAP(VARCHAR, VARCHAR)']),
    );
    expect(merged.rows).toEqual(['0.000000001', '12.500000000']);
  });

  it('leaves a plain Parquet file as it is', async () => {
    const one = focusParquet(costs('1'));
    const file = write('one.parquet', one);
    expect(await parquetParts(file)).toEqual([{ start: 0, end: one.length }]);
    expect(await joinParquetParts(file)).toBe(file);
  });

  it('does not split bytes that are not whole parts (Polars then reports the file)', async () => {
    const file = write('junk.parquet', Buffer.from('PAR1 not a part at all '), focusParquet(costs('1')));
    expect(await parquetParts(file)).toBeNull();
    expect(await joinParquetParts(file)).toBe(file);
  });

  it('refuses parts whose columns differ (two exports), naming the part', async () => {
    const other = pl
      .readParquet(focusParquet(costs('2')))
      .drop('ListCost')
      .writeParquet();
    const file = write('mixed.parquet', focusParquet(costs('1')), other);
    const refusal = await joinParquetParts(file).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(CostImportError);
    expect((refusal as CostImportError).detail).toMatch(
      /2 Parquet parts, and part 2 does not have the columns of part 1/,
    );
  });

  it('finds up to 1000 parts, and refuses a 1001st before writing any part file', async () => {
    const empty = pl.DataFrame({ a: [] }).writeParquet();
    expect(MAX_PARQUET_PARTS).toBe(1000);
    const most = write('most.parquet', ...Array.from({ length: 1000 }, () => empty));
    expect(await parquetParts(most)).toHaveLength(1000);
    fs.rmSync(most);

    const file = write('many.parquet', ...Array.from({ length: 1001 }, () => empty));
    const refusal = await joinParquetParts(file).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(CostImportError);
    expect(refusal).toMatchObject({ code: 'COST_IMPORT_TOO_MANY_PARTS', extra: { max_parts: 1000 } });
    expect((refusal as CostImportError).detail).toMatch(/more than 1000 Parquet files back to back/);
    expect(fs.readdirSync(dir)).toEqual(['many.parquet']);
  });
});
