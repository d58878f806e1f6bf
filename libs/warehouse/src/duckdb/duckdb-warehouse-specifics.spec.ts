import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import { ALL_TYPES } from '../contract/contract-context.js';
import { param, tableRef } from '../sql.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { DuckDbWarehouse } from './duckdb-warehouse.js';

/** Behaviour of the embedded driver beyond the shared contract. */
describe('DuckDbWarehouse specifics', () => {
  let warehouse: DuckDbWarehouse;
  const ref = { dataset: 'specifics', table: 'all_types' };
  const table = tableRef('specifics', 'all_types');

  beforeAll(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:', threads: 2, connections: 2 });
    await warehouse.ensureDataset('specifics');
    await warehouse.ensureTable('specifics', ALL_TYPES);
  });
  afterAll(async () => {
    await warehouse.close();
  });
  beforeEach(async () => {
    await warehouse.execute(`DELETE FROM ${table} WHERE true`);
  });

  it('serves more concurrent queries than it has connections', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => warehouse.query('SELECT @i * 2 AS doubled', { i })),
    );

    expect(answers.map(([row]) => row!.doubled)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('shapes DATETIME, TIME and REPEATED DATE/TIMESTAMP columns in frames like rows', async () => {
    const sql = `SELECT DATETIME '2026-01-31 10:00:00' AS dt, TIME '10:30:00' AS t,
                        [TIMESTAMP '2026-01-31 10:00:00+00'] AS tss, [DATE '2026-01-31'] AS ds`;

    const frame = await warehouse.queryFrame(sql);

    expect(frame.toRecords()).toEqual(await warehouse.query(sql));
    expect(String(frame.getColumn('tss').dtype)).toBe(String(pl.List(pl.Datetime('ms', 'UTC'))));
  });

  it("reads a frame's rows in Polars' thread pool, whole and in order, never on the event loop", async () => {
    // Polars' synchronous read held the event loop (every request of every tenant) while it
    // decoded the file: 250,000 listing rows took a quarter of a second.
    const scan = pl.scanParquet;
    const spy = vi.spyOn(pl, 'scanParquet').mockImplementation((...args: Parameters<typeof scan>) => {
      const lazy = scan(...args);
      lazy.collectSync = () => {
        throw new Error('collectSync holds the event loop');
      };
      return lazy;
    });
    try {
      const frame = await warehouse.queryFrame(
        "SELECT i, 'row ' || i AS label FROM UNNEST(GENERATE_ARRAY(1, 300000)) AS i ORDER BY i",
      );

      expect(frame.height).toBe(300_000);
      expect(frame.getColumn('i').sum()).toBe((300_000 * 300_001) / 2);
      expect(frame.row(299_999)).toEqual([300_000, 'row 300000']);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('times out a frame query like any other query', async () => {
    const xs = param.intArray(Array.from({ length: 3000 }, (_, i) => i));

    await expect(
      warehouse.queryFrame(
        'SELECT a * b * c AS p FROM UNNEST(@xs) a, UNNEST(@xs) b, UNNEST(@xs) c',
        { xs },
        { timeoutMs: 100 },
      ),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.Timeout });
  });

  it('refuses a frame for a statement that is not a SELECT', async () => {
    await expect(warehouse.queryFrame(`DELETE FROM ${table} WHERE true`)).rejects.toMatchObject({
      code: WarehouseErrorCode.QueryFailed,
      detail: 'queryFrame needs a SELECT statement',
    });
  });

  it('refuses a view with parameters', async () => {
    await expect(
      warehouse.createOrReplaceView('specifics', 'v', `SELECT id FROM ${table} WHERE id = @id`),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.QueryFailed });
  });

  it('names the row and column of a value that does not fit its column', async () => {
    await expect(
      warehouse.insertRows(ref, [{ id: 1 }, { id: 2, usage_date: 20260131 }]),
    ).rejects.toMatchObject({
      code: WarehouseErrorCode.QueryFailed,
      detail: "insertRows: row 1, column usage_date: expected a 'YYYY-MM-DD' string or Date, got number",
    });
    await expect(
      warehouse.insertRows(ref, [{ id: 1, labels: [{ key: 'a', colour: 'red' }] }]),
    ).rejects.toMatchObject({ detail: 'insertRows: row 0, column labels: unknown field colour' });
  });

  it('refuses an empty untyped array parameter, as BigQuery does', async () => {
    await expect(
      warehouse.query(`SELECT id FROM ${table} WHERE id IN UNNEST(@ids)`, { ids: [] }),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.QueryFailed });
  });

  it('maps a REPEATED column to a DuckDB list and back after addColumns', async () => {
    await warehouse.addColumns('specifics', 'all_types', [
      { name: 'scores', type: 'INT64', mode: 'REPEATED' },
    ]);
    await warehouse.insertRows(ref, [{ id: 1, scores: [3, 1] }]);

    expect(await warehouse.query(`SELECT scores, ARRAY_LENGTH(scores) AS n FROM ${table}`)).toEqual([
      { scores: [3, 1], n: 2 },
    ]);
  });

  it('fails every call after close with WAREHOUSE_UNAVAILABLE', async () => {
    const closing = await DuckDbWarehouse.open({ path: ':memory:' });
    await closing.close();

    await expect(closing.query('SELECT 1 AS one')).rejects.toMatchObject({
      code: WarehouseErrorCode.Unavailable,
    });
    await expect(closing.ping()).rejects.toMatchObject({ code: WarehouseErrorCode.Unavailable });
    await closing.close(); // closing twice is harmless
  });

  it('interrupts running queries when closed', async () => {
    const closing = await DuckDbWarehouse.open({ path: ':memory:', threads: 1 });
    const xs = param.intArray(Array.from({ length: 3000 }, (_, i) => i));
    const running = closing.query(
      'SELECT SUM(a * b * c) AS s FROM UNNEST(@xs) a, UNNEST(@xs) b, UNNEST(@xs) c',
      {
        xs,
      },
    );
    const outcome = running.then(
      () => 'finished',
      (error: { code?: string }) => error.code,
    );

    await new Promise((resolve) => setTimeout(resolve, 50));
    await closing.close();

    expect(await outcome).toBe(WarehouseErrorCode.Unavailable);
  });
});

describe('DuckDbWarehouse table expiry (BigQuery expirationTime)', () => {
  const fields = [{ name: 'id', type: 'STRING' as const, mode: 'NULLABLE' as const }];

  it('drops a table past its expiry when the next expiring table is created, keeping the others', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    try {
      await warehouse.ensureDataset('exp');
      await warehouse.ensureTable('exp', { name: 'stage_live', fields, expiresAfterMs: 3_600_000 });
      await warehouse.ensureTable('exp', { name: 'stage_old', fields, expiresAfterMs: 1 });
      await warehouse.ensureTable('exp', { name: 'kept', fields });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await warehouse.listTables('exp')).toEqual(['kept', 'stage_live', 'stage_old']);

      await warehouse.ensureTable('exp', { name: 'stage_new', fields, expiresAfterMs: 3_600_000 });

      expect(await warehouse.listTables('exp')).toEqual(['kept', 'stage_live', 'stage_new']);
    } finally {
      await warehouse.close();
    }
  });

  it('drops tables that expired while the file was closed when it is opened again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duckdb-expiry-'));
    const file = path.join(dir, 'warehouse.duckdb');
    try {
      const first = await DuckDbWarehouse.open({ path: file });
      await first.ensureDataset('exp');
      await first.ensureTable('exp', { name: 'left_behind', fields, expiresAfterMs: 1 });
      await first.ensureTable('exp', { name: 'kept', fields });
      await first.close();
      await new Promise((resolve) => setTimeout(resolve, 5));

      const second = await DuckDbWarehouse.open({ path: file });
      expect(await second.listTables('exp')).toEqual(['kept']);
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
