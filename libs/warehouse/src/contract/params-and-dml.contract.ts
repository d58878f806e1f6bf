import { expect, it } from 'vitest';
import { param, tableRef } from '../sql.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { anAllTypesRow, type ContractContext } from './contract-context.js';

export function paramsAndDmlContract(ctx: ContractContext): void {
  it('binds typed parameters: NULLs, DATE, TIMESTAMP, NUMERIC, JSON and BYTES', async () => {
    const rows = await ctx
      .warehouse()
      .query(
        'SELECT @day AS day, @at AS at, @no_int AS no_int, @no_text AS no_text, @no_day AS no_day, @cost AS cost, @doc AS doc, @raw AS raw',
        {
          day: param.date('2026-01-31'),
          at: param.timestamp(new Date('2026-01-31T10:00:00.250Z')),
          no_int: param.int(null),
          no_text: param.string(null),
          no_day: param.date(null),
          cost: param.numeric('12.345678901'),
          doc: param.json({ a: [1, 'two'] }),
          raw: param.bytes(Buffer.from('hi')),
        },
      );

    expect(rows).toEqual([
      {
        day: '2026-01-31',
        at: new Date('2026-01-31T10:00:00.250Z'),
        no_int: null,
        no_text: null,
        no_day: null,
        cost: 12.345678901,
        doc: { a: [1, 'two'] },
        raw: Buffer.from('hi'),
      },
    ]);
  });

  it('infers the type of untyped parameters as BigQuery does', async () => {
    const rows = await ctx
      .warehouse()
      .query('SELECT @n AS n, @f AS f, @flag AS flag, @text AS text, @at AS at, @n / 2 AS half', {
        n: 42,
        f: 1.5,
        flag: true,
        text: 'hello',
        at: new Date('2026-01-31T00:00:00Z'),
      });

    expect(rows).toEqual([
      { n: 42, f: 1.5, flag: true, text: 'hello', at: new Date('2026-01-31T00:00:00Z'), half: 21 },
    ]);
  });

  it('coerces an untyped string parameter to DATE when compared with a DATE column', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({ id: 1, usage_date: '2026-01-30' }),
      anAllTypesRow({ id: 2, usage_date: '2026-01-31' }),
    ]);

    const rows = await wh.query(
      `SELECT id FROM ${tableRef(dataset, 'all_types')} WHERE usage_date BETWEEN @from AND @to`,
      { from: '2026-01-31', to: '2026-02-28' },
    );
    expect(rows).toEqual([{ id: 2 }]);
  });

  it('matches IN UNNEST of array parameters, empty typed arrays included', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({ id: 1, name: 'aws' }),
      anAllTypesRow({ id: 2, name: 'gcp' }),
      anAllTypesRow({ id: 3, name: 'azure' }),
    ]);
    const ids = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.id);

    expect(
      ids(await wh.query(`SELECT id FROM ${table} WHERE id IN UNNEST(@ids) ORDER BY id`, { ids: [1, 3] })),
    ).toEqual([1, 3]);
    expect(
      ids(await wh.query(`SELECT id FROM ${table} WHERE id IN UNNEST(@ids)`, { ids: param.intArray([]) })),
    ).toEqual([]);
    const names = { names: param.stringArray(['gcp', 'oracle']) };
    expect(ids(await wh.query(`SELECT id FROM ${table} WHERE name IN UNNEST(@names)`, names))).toEqual([2]);
    expect(
      ids(await wh.query(`SELECT id FROM ${table} WHERE name NOT IN UNNEST(@names) ORDER BY id`, names)),
    ).toEqual([1, 3]);
  });

  it('selects from UNNEST of an array parameter', async () => {
    const rows = await ctx.warehouse().query('SELECT x FROM UNNEST(@xs) AS x ORDER BY x DESC', {
      xs: ['a', 'c', 'b'],
    });

    expect(rows).toEqual([{ x: 'c' }, { x: 'b' }, { x: 'a' }]);
  });

  it('fails with WAREHOUSE_QUERY_FAILED when a referenced parameter is not given', async () => {
    await expect(ctx.warehouse().query('SELECT @missing AS m', {})).rejects.toMatchObject({
      code: WarehouseErrorCode.QueryFailed,
    });
  });

  it('counts the rows INSERT, UPDATE, DELETE and MERGE affect', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');

    expect(
      await wh.execute(
        `INSERT INTO ${table} (id, name, amount) VALUES (1, 'a', 1.0), (2, 'b', 2.0), (3, 'c', 3.0)`,
      ),
    ).toBe(3);
    expect(await wh.execute(`UPDATE ${table} SET amount = amount * 10 WHERE id >= @from`, { from: 2 })).toBe(
      2,
    );
    expect(await wh.execute(`DELETE FROM ${table} WHERE id = @id`, { id: 1 })).toBe(1);
    const merged = await wh.execute(
      `MERGE ${table} T
       USING (SELECT 2 AS id, 'B' AS name UNION ALL SELECT 4, 'D') S
       ON T.id = S.id
       WHEN MATCHED THEN UPDATE SET name = S.name
       WHEN NOT MATCHED THEN INSERT (id, name) VALUES (S.id, S.name)`,
    );
    expect(merged).toBe(2);

    expect(await wh.query(`SELECT id, name, amount FROM ${table} ORDER BY id`)).toEqual([
      { id: 2, name: 'B', amount: 20 },
      { id: 3, name: 'c', amount: 30 },
      { id: 4, name: 'D', amount: null },
    ]);
  });

  it('updates through the target alias and writes typed parameters', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');
    await wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow({ id: 1 })]);

    const changed = await wh.execute(
      `UPDATE ${table} AS t SET t.usage_date = @day, t.payload = @doc WHERE t.id = @id`,
      {
        day: param.date('2026-03-01'),
        doc: param.json({ ok: true }),
        id: 1,
      },
    );

    expect(changed).toBe(1);
    expect(await wh.query(`SELECT usage_date, payload FROM ${table}`)).toEqual([
      { usage_date: '2026-03-01', payload: { ok: true } },
    ]);
  });
}
