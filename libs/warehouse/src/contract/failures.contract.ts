import { expect, it } from 'vitest';
import { param, tableRef } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { ContractContext } from './contract-context.js';

/** A cross join of three 3,000-element arrays: 27 billion rows, seconds of work on any engine. */
const DEFAULT_SLOW_QUERY = {
  sql: 'SELECT SUM(a * b * c) AS s FROM UNNEST(@xs) AS a CROSS JOIN UNNEST(@xs) AS b CROSS JOIN UNNEST(@xs) AS c',
  params: { xs: param.intArray(Array.from({ length: 3000 }, (_, i) => i)) },
};

export function failuresContract(ctx: ContractContext): void {
  it('fails with WAREHOUSE_NOT_FOUND when a query names a missing table', async () => {
    const dataset = await ctx.dataset();

    await expect(
      ctx.warehouse().query(`SELECT * FROM ${tableRef(dataset, 'missing')}`),
    ).rejects.toMatchObject({
      code: WarehouseErrorCode.NotFound,
    });
  });

  it('fails with WAREHOUSE_QUERY_FAILED for a column that does not exist', async () => {
    const dataset = await ctx.allTypesDataset();

    const failure = ctx.warehouse().query(`SELECT no_such_column FROM ${tableRef(dataset, 'all_types')}`);

    await expect(failure).rejects.toBeInstanceOf(WarehouseError);
    await expect(failure).rejects.toMatchObject({ code: WarehouseErrorCode.QueryFailed });
  });

  it.runIf(ctx.options.rejectsUnsupportedSql === true)(
    'rejects BigQuery SQL outside the embedded subset, naming the construct',
    async () => {
      await expect(ctx.warehouse().query('SELECT ST_GEOGPOINT(1, 2) AS p')).rejects.toMatchObject({
        code: WarehouseErrorCode.UnsupportedSql,
        detail: 'BigQuery construct not supported by the embedded warehouse: function ST_GEOGPOINT',
      });
    },
  );

  it('interrupts a query that outlives its timeout and keeps serving', async () => {
    const wh = ctx.warehouse();
    const slow = ctx.options.slowQuery ?? DEFAULT_SLOW_QUERY;
    const timeoutMs = ctx.options.timeoutMs ?? 150;
    const started = Date.now();

    await expect(wh.query(slow.sql, slow.params, { timeoutMs })).rejects.toMatchObject({
      code: WarehouseErrorCode.Timeout,
    });

    expect(Date.now() - started).toBeLessThan(timeoutMs + 5000);
    await wh.ping(5000);
    expect(await wh.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
}
