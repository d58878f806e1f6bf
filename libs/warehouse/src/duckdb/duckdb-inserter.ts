import { randomUUID } from 'node:crypto';
import { type DuckDBConnection, DuckDBDataChunk, type DuckDBValue } from '@duckdb/node-api';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Row } from '../warehouse.port.js';
import type { ColumnBinder } from './duckdb-row-binding.js';
import { duckIdent } from './sql-tokenizer.js';

/** DuckDB's vector size: the appender takes data chunks of at most this many rows. */
const CHUNK_ROWS = 2048;

function badRow(index: number, column: string, problem: string): WarehouseError {
  return new WarehouseError(
    WarehouseErrorCode.QueryFailed,
    `insertRows: row ${index}, column ${column}: ${problem}`,
  );
}

/** Columns named by any row, in first-seen order; all columns when no row names one. */
function insertColumns(rows: readonly Row[], binders: ReadonlyMap<string, ColumnBinder>, table: string) {
  const names = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row)) names.add(name);
  if (names.size === 0) return [...binders.values()];
  return [...names].map((name) => {
    const binder = binders.get(name);
    if (!binder)
      throw new WarehouseError(WarehouseErrorCode.QueryFailed, `insertRows: ${table} has no column ${name}`);
    return binder;
  });
}

/** Column-major values, all converted up front so that a bad row fails before anything is written. */
function convertColumns(rows: readonly Row[], columns: readonly ColumnBinder[]): DuckDBValue[][] {
  return columns.map((column) =>
    rows.map((row, index) => {
      try {
        return column.toValue(row[column.name]);
      } catch (error) {
        throw badRow(index, column.name, error instanceof Error ? error.message : String(error));
      }
    }),
  );
}

/**
 * Inserts rows all or nothing. The appender loads them column-wise into a temp staging table typed
 * like the bound values (text for DATE, TIMESTAMP, NUMERIC and JSON), then one INSERT ... SELECT
 * casts them into the table: a single statement, so either every row lands or none does. This is
 * many times faster than multi-row VALUES statements, whose cost is parsing and binding.
 * Missing columns are NULL (an empty array for REPEATED).
 */
export async function insertRows(
  connection: DuckDBConnection,
  target: { quoted: string; label: string },
  binders: ReadonlyMap<string, ColumnBinder>,
  rows: readonly Row[],
): Promise<number> {
  const columns = insertColumns(rows, binders, target.label);
  const values = convertColumns(rows, columns);
  const stage = `__insert_${randomUUID().replaceAll('-', '')}`;
  const staged = columns.map((c, i) => `c${i} ${c.bindType.toString()}`);
  await connection.run(`CREATE TEMP TABLE ${duckIdent(stage)} (${staged.join(', ')})`);
  try {
    const appender = await connection.createAppender(stage, 'main', 'temp');
    try {
      const types = columns.map((c) => c.bindType);
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const size = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(types, size);
        chunk.setColumns(values.map((column) => column.slice(start, start + size)));
        appender.appendDataChunk(chunk);
      }
    } finally {
      appender.closeSync();
    }
    const names = columns.map((c) => duckIdent(c.name)).join(', ');
    const casts = columns.map((c, i) => `CAST(c${i} AS ${c.sqlType})`).join(', ');
    const result = await connection.run(
      `INSERT INTO ${target.quoted} (${names}) SELECT ${casts} FROM temp.${duckIdent(stage)}`,
    );
    return result.rowsChanged;
  } finally {
    // A failed drop must not hide the insert's own error; the temp table dies with the connection.
    await connection.run(`DROP TABLE IF EXISTS temp.${duckIdent(stage)}`).catch(() => undefined);
  }
}
