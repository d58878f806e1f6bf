import type { QueryParameter } from '@google-cloud/bigquery';
import { tableRef } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Row, TableRef } from '../warehouse.port.js';
import { typedQueryParameter, type WireScalarType } from './query-params.js';
import { standardType, type WireField } from './wire-values.js';

/** Rows per INSERT statement, at most. */
export const MAX_ROWS_PER_INSERT = 500;
/** BigQuery's limit on query parameters per statement. */
export const MAX_PARAMS_PER_STATEMENT = 10_000;

export interface InsertStatement {
  sql: string;
  params: QueryParameter[];
  rowCount: number;
}

const PARAM_TYPES = new Set<string>([
  'STRING',
  'INT64',
  'FLOAT64',
  'NUMERIC',
  'BIGNUMERIC',
  'BOOL',
  'TIMESTAMP',
  'DATE',
  'DATETIME',
  'TIME',
  'JSON',
  'BYTES',
  'GEOGRAPHY',
]);

function rejectInsert(why: string): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, 'The rows could not be inserted.', {
    cause: new Error(`insertRows: ${why}`),
  });
}

/**
 * DML INSERT statements for `rows`, each `INSERT INTO t (cols) VALUES (@r0_c0, ...), ...`, with
 * every cell a named parameter typed from the table's schema (never inferred from the value, so a
 * whole-number FLOAT64 or a DATE string arrive as what the column holds). NULL cells are written
 * as the literal NULL, which needs no type and no parameter. Rows go to DML, never to the
 * streaming insertAll API: streamed rows sit in a buffer that blocks UPDATE/DELETE for minutes.
 */
export function buildInsertStatements(
  ref: TableRef,
  tableFields: WireField[],
  rows: Row[],
): InsertStatement[] {
  const byName = new Map(tableFields.map((f) => [f.name.toLowerCase(), f]));
  const present = new Set<string>();
  for (const row of rows)
    for (const [key, value] of Object.entries(row)) {
      if (value === undefined) continue;
      if (!byName.has(key.toLowerCase()))
        throw rejectInsert(`column ${key} is not in ${ref.dataset}.${ref.table}`);
      present.add(key.toLowerCase());
    }
  if (present.size === 0) return [];
  const columns = tableFields.filter((f) => present.has(f.name.toLowerCase()));
  for (const c of columns)
    if (!PARAM_TYPES.has(standardType(c.type)))
      throw rejectInsert(`column ${c.name} has type ${c.type}, which insertRows cannot write`);

  const cellsOf = (row: Row) => new Map(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length)),
  );
  const columnList = columns.map((c) => `\`${c.name}\``).join(', ');
  const statements: InsertStatement[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: QueryParameter[] = [];
    const tuples = chunk.map((row, r) => {
      const given = cellsOf(row);
      const cells = columns.map((column, c) => {
        const value = given.get(column.name.toLowerCase());
        const repeated = column.mode === 'REPEATED';
        // A REPEATED column holds an empty array, never NULL.
        if ((value === null || value === undefined) && !repeated) return 'NULL';
        const name = `r${r}_c${c}`;
        const type = standardType(column.type) as WireScalarType;
        params.push(typedQueryParameter(name, type, value ?? [], repeated));
        return `@${name}`;
      });
      return `(${cells.join(', ')})`;
    });
    const sql = `INSERT INTO ${tableRef(ref.dataset, ref.table)} (${columnList})\nVALUES ${tuples.join(',\n  ')}`;
    statements.push({ sql, params, rowCount: chunk.length });
  }
  return statements;
}
