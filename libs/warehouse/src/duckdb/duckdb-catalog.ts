import type { DuckDBConnection } from '@duckdb/node-api';
import { assertIdentifier } from '../sql.js';
import type { FieldSchema, TableSchema } from '../schema/table-schema.js';
import type { TableDescription } from '../warehouse.port.js';
import { duckIdent } from './sql-tokenizer.js';
import { bigQueryColumnType, duckColumnDefinition } from './type-names.js';

/** `"dataset"."table"`, after checking both are plain BigQuery identifiers. */
export function qualifiedName(dataset: string, table: string): string {
  return `${duckIdent(assertIdentifier(dataset, 'dataset'))}.${duckIdent(assertIdentifier(table, 'table'))}`;
}

export function schemaName(dataset: string): string {
  return duckIdent(assertIdentifier(dataset, 'dataset'));
}

async function strings(connection: DuckDBConnection, sql: string, values: Record<string, string>) {
  const reader = await connection.runAndReadAll(sql, values);
  return reader.getRows().map((row) => row.map((v) => (v === null ? null : String(v))));
}

export async function schemaExists(connection: DuckDBConnection, dataset: string): Promise<boolean> {
  const rows = await strings(
    connection,
    `SELECT schema_name FROM information_schema.schemata
     WHERE catalog_name = current_database() AND schema_name = $dataset`,
    { dataset },
  );
  return rows.length > 0;
}

export async function tableNames(connection: DuckDBConnection, dataset: string): Promise<string[]> {
  const rows = await strings(
    connection,
    `SELECT table_name FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = $dataset ORDER BY table_name`,
    { dataset },
  );
  return rows.map(([name]) => name!);
}

export async function describe(
  connection: DuckDBConnection,
  dataset: string,
  table: string,
): Promise<TableDescription | null> {
  const found = await strings(
    connection,
    `SELECT table_type FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = $dataset AND table_name = $table`,
    { dataset, table },
  );
  if (found.length === 0) return null;
  const columns = await strings(
    connection,
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_catalog = current_database() AND table_schema = $dataset AND table_name = $table
     ORDER BY ordinal_position`,
    { dataset, table },
  );
  return {
    dataset,
    table,
    kind: found[0]![0] === 'VIEW' ? 'VIEW' : 'TABLE',
    columns: columns.map(([name, dataType, nullable]) => ({
      name: name!,
      ...bigQueryColumnType(dataType!, nullable === 'YES'),
    })),
  };
}

/**
 * DuckDB has no table expiry (BigQuery's `expirationTime`): the instant goes into the table's
 * comment, and `expiredTables` lists the tables past it for the driver to drop.
 */
const EXPIRY_COMMENT = 'expires_at=';

export function tableExpirySql(dataset: string, table: string, expiresAt: Date): string {
  return `COMMENT ON TABLE ${qualifiedName(dataset, table)} IS '${EXPIRY_COMMENT}${expiresAt.toISOString()}'`;
}

export async function expiredTables(
  connection: DuckDBConnection,
  now: Date,
): Promise<{ dataset: string; table: string }[]> {
  const rows = await strings(
    connection,
    `SELECT schema_name, table_name, comment FROM duckdb_tables()
     WHERE database_name = current_database() AND starts_with(comment, $prefix)`,
    { prefix: EXPIRY_COMMENT },
  );
  return rows
    .filter(([, , comment]) => Date.parse(comment!.slice(EXPIRY_COMMENT.length)) <= now.getTime())
    .map(([dataset, table]) => ({ dataset: dataset!, table: table! }));
}

function checkFields(fields: readonly FieldSchema[]): void {
  for (const field of fields) {
    assertIdentifier(field.name, 'column');
    if (field.fields) checkFields(field.fields);
  }
}

/**
 * CREATE TABLE for a BigQuery schema. Partitioning and clustering are BigQuery storage options
 * with no DuckDB counterpart that changes results, so they are left out here.
 */
export function createTableSql(dataset: string, schema: TableSchema): string {
  checkFields(schema.fields);
  const columns = schema.fields.map((f) => duckColumnDefinition(f, true));
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(dataset, schema.name)} (${columns.join(', ')})`;
}

/** ADD COLUMN statements; added columns are always nullable, as BigQuery requires. */
export function addColumnsSql(dataset: string, table: string, fields: readonly FieldSchema[]): string[] {
  checkFields(fields);
  const target = qualifiedName(dataset, table);
  return fields.map(
    (f) => `ALTER TABLE ${target} ADD COLUMN IF NOT EXISTS ${duckColumnDefinition(f, false)}`,
  );
}
