import { expect, it } from 'vitest';
import { tableRef } from '../sql.js';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { ALL_TYPES, anAllTypesRow, type ContractContext } from './contract-context.js';

export function datasetsAndTablesContract(ctx: ContractContext): void {
  it('creates a dataset once, lists its tables and drops it', async () => {
    const wh = ctx.warehouse();
    const dataset = ctx.datasetName();

    expect(await wh.datasetExists(dataset)).toBe(false);
    expect(await wh.ensureDataset(dataset)).toBe(true);
    expect(await wh.ensureDataset(dataset)).toBe(false);
    expect(await wh.datasetExists(dataset)).toBe(true);
    expect(await wh.listTables(dataset)).toEqual([]);
    expect(await wh.dropDataset(dataset)).toBe(true);
    expect(await wh.datasetExists(dataset)).toBe(false);
    expect(await wh.dropDataset(dataset)).toBe(false);
  });

  it('drops a dataset together with its tables', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow()]);

    expect(await wh.dropDataset(dataset)).toBe(true);
    expect(await wh.describeTable(dataset, 'all_types')).toBeNull();
  });

  it('creates a table once and lists it', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.dataset();

    expect(await wh.ensureTable(dataset, ALL_TYPES)).toBe(true);
    expect(await wh.ensureTable(dataset, ALL_TYPES)).toBe(false);
    expect(await wh.listTables(dataset)).toEqual(['all_types']);
  });

  it('describes column types and modes with BigQuery names', async () => {
    const dataset = await ctx.allTypesDataset();

    expect(await ctx.warehouse().describeTable(dataset, 'all_types')).toEqual({
      dataset,
      table: 'all_types',
      kind: 'TABLE',
      columns: [
        { name: 'id', type: 'INT64', mode: 'REQUIRED' },
        { name: 'name', type: 'STRING', mode: 'NULLABLE' },
        { name: 'amount', type: 'FLOAT64', mode: 'NULLABLE' },
        { name: 'cost', type: 'NUMERIC', mode: 'NULLABLE' },
        { name: 'active', type: 'BOOL', mode: 'NULLABLE' },
        { name: 'created_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
        { name: 'usage_date', type: 'DATE', mode: 'NULLABLE' },
        { name: 'payload', type: 'JSON', mode: 'NULLABLE' },
        { name: 'blob', type: 'BYTES', mode: 'NULLABLE' },
        { name: 'tags', type: 'STRING', mode: 'REPEATED' },
        { name: 'labels', type: 'STRUCT', mode: 'REPEATED' },
      ],
    });
  });

  it('describes legacy schema type names with their standard names', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.dataset();
    await wh.ensureTable(dataset, {
      name: 'legacy',
      fields: [
        { name: 'n', type: 'INTEGER' },
        { name: 'f', type: 'FLOAT' },
        { name: 'b', type: 'BOOLEAN' },
      ],
    });

    const described = await wh.describeTable(dataset, 'legacy');
    expect(described?.columns.map((c) => c.type)).toEqual(['INT64', 'FLOAT64', 'BOOL']);
  });

  it('describes a missing table as null', async () => {
    const dataset = await ctx.dataset();

    expect(await ctx.warehouse().describeTable(dataset, 'nope')).toBeNull();
  });

  it('drops a table, and reports false when there is none', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();

    expect(await wh.dropTable(dataset, 'all_types')).toBe(true);
    expect(await wh.dropTable(dataset, 'all_types')).toBe(false);
    expect(await wh.listTables(dataset)).toEqual([]);
  });

  it('fails to list the tables of a missing dataset with WAREHOUSE_NOT_FOUND', async () => {
    await expect(ctx.warehouse().listTables(ctx.datasetName())).rejects.toMatchObject({
      code: WarehouseErrorCode.NotFound,
    });
  });

  it('adds nullable columns and keeps existing rows', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    await wh.insertRows({ dataset, table: 'all_types' }, [anAllTypesRow({ id: 7 })]);
    const added = [
      { name: 'region', type: 'STRING' as const },
      { name: 'zones', type: 'STRING' as const, mode: 'REPEATED' as const },
    ];

    await wh.addColumns(dataset, 'all_types', added);
    await wh.addColumns(dataset, 'all_types', added); // additive: adding again changes nothing

    const columns = (await wh.describeTable(dataset, 'all_types'))?.columns ?? [];
    expect(columns.slice(-2)).toEqual([
      { name: 'region', type: 'STRING', mode: 'NULLABLE' },
      { name: 'zones', type: 'STRING', mode: 'REPEATED' },
    ]);
    expect(columns).toHaveLength(ALL_TYPES.fields.length + 2);
    const rows = await wh.query(`SELECT id, name, region, zones FROM ${tableRef(dataset, 'all_types')}`);
    expect(rows).toEqual([{ id: 7, name: 'aws', region: null, zones: [] }]);
  });

  it('writes to a column added after earlier inserts', async () => {
    const wh = ctx.warehouse();
    const dataset = await ctx.allTypesDataset();
    const ref = { dataset, table: 'all_types' };
    await wh.insertRows(ref, [{ id: 1 }]);

    await wh.addColumns(dataset, 'all_types', [{ name: 'region', type: 'STRING' }]);
    await wh.insertRows(ref, [{ id: 2, region: 'eu' }]);

    const rows = await wh.query(`SELECT id, region FROM ${tableRef(dataset, 'all_types')} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, region: null },
      { id: 2, region: 'eu' },
    ]);
  });
}
