import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pl from 'nodejs-polars';
import { afterAll, describe, expect, it } from 'vitest';
import { duckString } from '#warehouse';
import { FIXED_VALUE_BYTES, measuredParquet, onRewriteDuckDb } from './parquet-maps.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-measure-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A Parquet file written by DuckDB from `select` (a SELECT over range(n), say). */
async function written(select: string): Promise<string> {
  const file = path.join(dir, `${randomUUID()}.parquet`);
  await onRewriteDuckDb((c) => c.run(`COPY (${select}) TO ${duckString(file)} (FORMAT parquet)`));
  return file;
}

describe('measuredParquet', () => {
  it('counts text by its bytes, maps by their JSON text and a fixed size besides, other values fixed', async () => {
    const file = await written(
      `SELECT 'abc' AS t, CAST(NULL AS VARCHAR) AS empty, 'é' AS accented, 1.5::DOUBLE AS d,
              MAP {'k': 'v'} AS m FROM range(1000)`,
    );
    const told: number[] = [];

    const measured = await measuredParquet(file, (bytes) => told.push(bytes));

    // Text: 3 + 0 + 2 (é is two bytes); maps: {"k":"v"} is 9; fixed: the double and the map.
    const expected = 1000 * (3 + 0 + 2) + 1000 * 9 + 1000 * 2 * FIXED_VALUE_BYTES;
    expect(told).toEqual([expected]);
    expect(measured.decodedBytes).toBe(expected);
    expect(measured.path).toBe(file.replace(/\.parquet$/, '.maps.parquet'));
    expect(pl.readParquet(measured.path).getColumn('m').toArray()).toEqual(Array(1000).fill('{"k":"v"}'));
  });

  it('returns a file without maps as it is', async () => {
    const file = await written(`SELECT 'x' AS t, 2::BIGINT AS n FROM range(10)`);

    expect(await measuredParquet(file, () => undefined)).toEqual({
      path: file,
      decodedBytes: 10 + 10 * FIXED_VALUE_BYTES,
    });
  });

  it('measures a file of few KB holding millions of rows, and writes nothing when admit refuses', async () => {
    const file = await written(
      `SELECT 'Amazon Elastic Compute Cloud' AS ServiceName, MAP {'env': 'prod'} AS Tags FROM range(3000000)`,
    );
    expect(fs.statSync(file).size).toBeLessThan(64 * 1024);

    const refused = measuredParquet(file, (bytes) => {
      throw new Error(`too large: ${bytes}`);
    });

    await expect(refused).rejects.toThrow(`too large: ${3_000_000 * (28 + 14 + FIXED_VALUE_BYTES)}`);
    expect(fs.existsSync(file.replace(/\.parquet$/, '.maps.parquet'))).toBe(false);
  });
});
