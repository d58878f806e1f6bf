import type { QueryParameter } from '@google-cloud/bigquery';
import { tableRef } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Row, TableRef } from '../warehouse.port.js';
import { jsonTextParameter, typedQueryParameter, type WireScalarType } from './query-params.js';
import { recordParameter } from './record-params.js';
import { type WireField } from './wire-values.js';
import { standardTypeName } from '../schema/table-drift.js';

/** Rows per INSERT statement, at most. */
export const MAX_ROWS_PER_INSERT = 500;
/** BigQuery's limit on query parameters per statement. */
export const MAX_PARAMS_PER_STATEMENT = 10_000;
/**
 * JSON bytes of one statement's SQL and parameters, at most. BigQuery refuses a jobs.query request
 * over 10 MB, query parameters included (quotas: "Maximum request size"); a row may be large (a
 * CSV record of up to 1 MiB), so 500 of them could not travel in one request. The rest of the
 * 10 MB is headroom for the request's other fields.
 */
export const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;

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
  'STRUCT',
]);

function rejectInsert(why: string): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, 'The rows could not be inserted.', {
    cause: new Error(`insertRows: ${why}`),
  });
}

/**
 * DML INSERT statements for `rows`, each `INSERT INTO t (cols) VALUES (@r0_c0, ...), ...`, with
 * every cell a named parameter typed from the table's schema (never inferred from the value, so a
 * whole-number FLOAT64 or a DATE string arrive as what the column holds). A string for a JSON
 * column is JSON text, sent as the parameter's value as it is, as the embedded warehouse takes it
 * (any other value is serialised). NULL cells are written
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
    if (!PARAM_TYPES.has(standardTypeName(c.type)))
      throw rejectInsert(`column ${c.name} has type ${c.type}, which insertRows cannot write`);

  const cellsOf = (row: Row) => new Map(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length)),
  );
  const columnList = columns.map((c) => `\`${c.name}\``).join(', ');
  const head = `INSERT INTO ${tableRef(ref.dataset, ref.table)} (${columnList})\nVALUES `;
  const statements: InsertStatement[] = [];
  let params: QueryParameter[] = [];
  let tuples: string[] = [];
  let bytes = head.length;
  const flush = () => {
    if (tuples.length === 0) return;
    statements.push({ sql: head + tuples.join(',\n  '), params, rowCount: tuples.length });
    params = [];
    tuples = [];
    bytes = head.length;
  };
  /** One row's tuple and parameters as row `r` of its statement, and their JSON bytes. */
  const encode = (row: Row, r: number) => {
    const given = cellsOf(row);
    const rowParams: QueryParameter[] = [];
    const cells = columns.map((column, c) => {
      const value = given.get(column.name.toLowerCase());
      const repeated = column.mode === 'REPEATED';
      // A REPEATED column holds an empty array, never NULL.
      if ((value === null || value === undefined) && !repeated) return 'NULL';
      const name = `r${r}_c${c}`;
      const type = standardTypeName(column.type) as WireScalarType;
      rowParams.push(
        standardTypeName(column.type) === 'STRUCT'
          ? recordParameter(name, column, value)
          : type === 'JSON' && !repeated && typeof value === 'string'
            ? jsonTextParameter(name, value)
            : typedQueryParameter(name, type, value ?? [], repeated),
      );
      return `@${name}`;
    });
    const tuple = `(${cells.join(', ')})`;
    return { tuple, rowParams, size: Buffer.byteLength(JSON.stringify(rowParams)) + tuple.length + 4 };
  };
  for (const row of rows) {
    let encoded = encode(row, tuples.length);
    // A row that would take the statement past the size limit starts the next one.
    if (tuples.length > 0 && bytes + encoded.size > MAX_STATEMENT_BYTES) {
      flush();
      encoded = encode(row, 0);
    }
    params.push(...encoded.rowParams);
    tuples.push(encoded.tuple);
    bytes += encoded.size;
    if (tuples.length >= perStatement) flush();
  }
  flush();
  return statements;
}
