import { expect, it } from 'vitest';
import { tableRef } from '../sql.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { anAllTypesRow, type ContractContext } from './contract-context.js';

export function rowsAndTypesContract(ctx: ContractContext): void {
  it('round-trips a value of every type in its normalised form', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    expect(await wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow()])).toBe(1);

    const rows = await wh.query(`SELECT * FROM ${tableRef(dataset, 'all_types')}`);
    expect(rows).toEqual([anAllTypesRow()]);
    expect(rows[0]!.blob).toBeInstanceOf(Buffer);
    expect(rows[0]!.created_at).toBeInstanceOf(Date);
  });

  it('reads columns left out of a row as NULL, and REPEATED ones as empty arrays', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    await wh.insertRows({ dataset, table: 'all_types' }, [{ id: 2 }]);

    expect(await wh.query(`SELECT * FROM ${tableRef(dataset, 'all_types')}`)).toEqual([
      {
        id: 2,
        name: null,
        amount: null,
        cost: null,
        active: null,
        created_at: null,
        usage_date: null,
        payload: null,
        blob: null,
        tags: [],
        labels: [],
      },
    ]);
  });

  it('accepts a Date for a DATE column and a timestamp string for a TIMESTAMP column', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    await wh.insertRows({ dataset, table: 'all_types' }, [
      {
        id: 3,
        usage_date: new Date('2026-02-28T00:00:00Z'),
        created_at: '2026-02-28T23:59:59.5Z',
        cost: '0.000000001',
      },
    ]);

    const rows = await wh.query(`SELECT usage_date, created_at, cost FROM ${tableRef(dataset, 'all_types')}`);
    expect(rows).toEqual([
      { usage_date: '2026-02-28', created_at: new Date('2026-02-28T23:59:59.500Z'), cost: 0.000000001 },
    ]);
  });

  it('writes every row or none when one row breaks a REQUIRED column', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');

    await expect(
      wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow({ id: 1 }), anAllTypesRow({ id: null })]),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.QueryFailed });

    expect(await wh.query(`SELECT COUNT(*) AS n FROM ${table}`)).toEqual([{ n: 0 }]);
  });

  it('rejects a row naming a column the table does not have, writing nothing', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    await expect(
      wh.insertRows({ dataset, table: 'all_types' }, [{ id: 1 }, { id: 2, colour: 'red' }]),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.QueryFailed });

    expect(await wh.query(`SELECT COUNT(*) AS n FROM ${tableRef(dataset, 'all_types')}`)).toEqual([{ n: 0 }]);
  });

  it('inserts thousands of rows in one call', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const rows = Array.from({ length: 2500 }, (_, i) => anAllTypesRow({ id: i + 1, amount: i / 4 }));

    expect(await wh.insertRows({ dataset, table: 'all_types' }, rows)).toBe(2500);

    expect(
      await wh.query(
        `SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(amount) AS amount FROM ${tableRef(dataset, 'all_types')}`,
      ),
    ).toEqual([{ n: 2500, ids: (2500 * 2501) / 2, amount: (2499 * 2500) / 8 }]);
  });

  it('returns INT64 results as numbers and refuses ones a number cannot hold exactly', async () => {
    const wh = ctx.warehouse();

    expect(await wh.query('SELECT 9007199254740991 AS max_safe, -42 AS negative')).toEqual([
      { max_safe: Number.MAX_SAFE_INTEGER, negative: -42 },
    ]);
    await expect(wh.query('SELECT 9007199254740993 AS too_big')).rejects.toMatchObject({
      code: WarehouseErrorCode.QueryFailed,
    });
  });

  it('keeps DATE as text and TIMESTAMP as an instant, in UTC', async () => {
    const rows = await ctx.warehouse().query(
      `SELECT DATE '2026-01-31' AS d,
              TIMESTAMP '2026-01-31 23:30:00+00' AS ts,
              DATE(TIMESTAMP '2026-01-31 23:30:00-05') AS utc_day,
              CAST(NULL AS DATE) AS no_day`,
    );

    expect(rows).toEqual([
      { d: '2026-01-31', ts: new Date('2026-01-31T23:30:00Z'), utc_day: '2026-02-01', no_day: null },
    ]);
  });

  it('sorts NULLs first ascending and last descending', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');
    await wh.insertRows({ dataset, table: 'all_types' }, [
      { id: 1, name: 'b' },
      { id: 2, name: null },
      { id: 3, name: 'a' },
    ]);

    const ascending = await wh.query(`SELECT id FROM ${table} ORDER BY name`);
    const descending = await wh.query(`SELECT id FROM ${table} ORDER BY name DESC`);
    expect(ascending.map((r) => r.id)).toEqual([2, 3, 1]);
    expect(descending.map((r) => r.id)).toEqual([1, 3, 2]);
  });

  it('keeps rows with an empty REPEATED value in LEFT JOIN UNNEST', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [{ id: 1, tags: ['y', 'x'] }, { id: 2 }]);

    const rows = await wh.query(
      `SELECT t.id, tag FROM ${tableRef(dataset, 'all_types')} AS t LEFT JOIN UNNEST(t.tags) AS tag ORDER BY t.id, tag`,
    );
    expect(rows).toEqual([
      { id: 1, tag: 'x' },
      { id: 1, tag: 'y' },
      { id: 2, tag: null },
    ]);
  });

  it('reads REPEATED RECORD fields through UNNEST', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({
        labels: [
          { key: 'team', value: 'core' },
          { key: 'env', value: 'prod' },
        ],
      }),
    ]);

    const rows = await wh.query(
      `SELECT l.key, l.value FROM ${tableRef(dataset, 'all_types')} AS t, UNNEST(t.labels) AS l ORDER BY l.key`,
    );
    expect(rows).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'core' },
    ]);
  });
}
