import pl from 'nodejs-polars';
import { expect, it } from 'vitest';
import { tableRef } from '../sql.js';
import { anAllTypesRow, type ContractContext } from './contract-context.js';

/** Columns whose frame values equal query() values (DATE is 'YYYY-MM-DD' text in both). */
const FRAME_COLUMNS = 'id, name, amount, cost, active, created_at, usage_date, tags';

/** Each column's dtype by its printed form: DataType instances do not compare structurally. */
const dtypesOf = (frame: pl.DataFrame): Record<string, string> =>
  Object.fromEntries(frame.columns.map((c) => [c, String(frame.getColumn(c).dtype)]));

export function framesAndViewsContract(ctx: ContractContext): void {
  it('loads the same values into a Polars frame as query() returns', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({ id: 1 }),
      { id: 2 },
      anAllTypesRow({ id: 3, name: 'gcp', cost: 0.5, tags: [] }),
    ]);
    const sql = `SELECT ${FRAME_COLUMNS} FROM ${tableRef(dataset, 'all_types')} WHERE id >= @min ORDER BY id`;

    const frame = await wh.queryFrame(sql, { min: 1 });
    const rows = await wh.query(sql, { min: 1 });

    expect(frame.height).toBe(3);
    expect(frame.toRecords()).toEqual(rows);
    expect(dtypesOf(frame)).toEqual({
      id: String(pl.Int64),
      name: String(pl.String),
      amount: String(pl.Float64),
      cost: String(pl.Float64),
      active: String(pl.Bool),
      created_at: String(pl.Datetime('ms', 'UTC')),
      usage_date: String(pl.String),
      tags: String(pl.List(pl.String)),
    });
  });

  it('refuses a frame of more rows than maxRows, naming its count, and loads one of as many', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    const sql = `SELECT id, name FROM ${tableRef(dataset, 'all_types')} WHERE id >= @min`;

    const refused = await wh.queryFrame(sql, { min: 1 }, { maxRows: 2 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'WAREHOUSE_RESULT_TOO_LARGE', extra: { max_rows: 2 } });
    expect((await wh.queryFrame(sql, { min: 1 }, { maxRows: 3 })).height).toBe(3);
  });

  it('loads an aggregation (aggregates) as query() returns it, Categorical too, its groups bounded by maxRows', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const names = ['gcp', 'aws', 'gcp', null, 'aws', 'gcp'];
    await wh.insertRows(
      { dataset, table: 'all_types' },
      names.map((name, i) => anAllTypesRow({ id: i + 1, name, amount: i + 1, tags: [] })),
    );
    const sql = `SELECT name, SUM(amount) AS total, COUNT(*) AS n
      FROM ${tableRef(dataset, 'all_types')} WHERE id >= @min GROUP BY name ORDER BY total`;

    const frame = await wh.queryFrame(
      sql,
      { min: 1 },
      { aggregates: true, categorical: ['name'], maxRows: 3 },
    );

    expect(String(frame.getColumn('name').dtype)).toBe(String(pl.Categorical));
    expect(frame.toRecords()).toEqual([
      { name: null, total: 4, n: 1 },
      { name: 'aws', total: 7, n: 2 },
      { name: 'gcp', total: 10, n: 3 },
    ]);
    expect(frame.toRecords()).toEqual(await wh.query(sql, { min: 1 }));
    const refused = await wh
      .queryFrame(sql, { min: 1 }, { aggregates: true, maxRows: 2 })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'WAREHOUSE_RESULT_TOO_LARGE', extra: { max_rows: 2 } });
  });

  it('carries JSON, BYTES and RECORD values in frames as text', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow({ id: 1 }), { id: 2 }]);

    const frame = await wh.queryFrame(
      `SELECT payload, blob, labels FROM ${tableRef(dataset, 'all_types')} ORDER BY id`,
    );

    expect(frame.toRecords()).toEqual([
      {
        payload: '{"a":[1,2],"b":"x"}',
        blob: Buffer.from([0, 1, 2, 255]).toString('base64'),
        labels: '[{"key":"team","value":"core"}]',
      },
      { payload: null, blob: null, labels: '[]' },
    ]);
  });

  it('returns the text columns asked for as Categorical, other text as Utf8, values and order kept', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const names = ['gcp', "o'brien", '', null, 'aws', 'gcp', 'aws'];
    await wh.insertRows(
      { dataset, table: 'all_types' },
      names.map((name, i) => anAllTypesRow({ id: i + 1, name, tags: [] })),
    );
    const sql = `SELECT id, name, name AS label, CAST(NULL AS STRING) AS nothing
      FROM ${tableRef(dataset, 'all_types')} ORDER BY id DESC`;

    const frame = await wh.queryFrame(sql, {}, { categorical: ['name', 'nothing'] });

    expect(dtypesOf(frame)).toEqual({
      id: String(pl.Int64),
      name: String(pl.Categorical),
      label: String(pl.String),
      nothing: String(pl.Categorical),
    });
    const expected = names.map((name, i) => ({ id: i + 1, name, label: name, nothing: null })).reverse();
    expect(frame.toRecords()).toEqual(expected);
    expect(frame.toRecords()).toEqual(await wh.query(sql));
  });

  it('loads an empty result as an empty frame with the query columns', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    const frame = await wh.queryFrame(`SELECT id, name FROM ${tableRef(dataset, 'all_types')} WHERE id < 0`);

    expect(frame.height).toBe(0);
    expect(frame.columns).toEqual(['id', 'name']);
  });

  it('aggregates in SQL before loading the frame', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({ id: 1, name: 'aws', amount: 1.5 }),
      anAllTypesRow({ id: 2, name: 'aws', amount: 2.5 }),
      anAllTypesRow({ id: 3, name: 'gcp', amount: 4 }),
    ]);

    const frame = await wh.queryFrame(
      `SELECT name, COUNT(*) AS n, SUM(amount) AS total FROM ${tableRef(dataset, 'all_types')} GROUP BY name ORDER BY name`,
    );

    expect(frame.toRecords()).toEqual([
      { name: 'aws', n: 2, total: 4 },
      { name: 'gcp', n: 1, total: 4 },
    ]);
  });

  it('creates and replaces a view from BigQuery SQL', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const table = tableRef(dataset, 'all_types');
    const view = tableRef(dataset, 'active_costs');
    await wh.insertRows({ dataset, table: 'all_types' }, [
      anAllTypesRow({ id: 1, active: true }),
      anAllTypesRow({ id: 2, active: false }),
    ]);

    await wh.createOrReplaceView(dataset, 'active_costs', `SELECT id, cost FROM ${table} WHERE active`);
    expect(await wh.query(`SELECT id FROM ${view}`)).toEqual([{ id: 1 }]);
    const described = await wh.describeTable(dataset, 'active_costs');
    expect(described?.kind).toBe('VIEW');
    expect(described?.columns).toEqual([
      { name: 'id', type: 'INT64', mode: 'NULLABLE' },
      { name: 'cost', type: 'NUMERIC', mode: 'NULLABLE' },
    ]);

    await wh.createOrReplaceView(dataset, 'active_costs', `SELECT id FROM ${table} WHERE NOT active`);
    expect(await wh.query(`SELECT id FROM ${view}`)).toEqual([{ id: 2 }]);
    expect(await wh.listTables(dataset)).toEqual(['active_costs', 'all_types']);
  });
}
