import type { FieldSchema, FieldType } from '../schema/table-schema.js';
import type { ColumnDescription, ParamScalarType } from '../warehouse.port.js';
import { duckIdent } from './sql-tokenizer.js';

/** BigQuery NUMERIC and BIGNUMERIC both land here; BIGNUMERIC's extra range is not needed by the app. */
export const DUCK_NUMERIC = 'DECIMAL(38,9)';

/** BigQuery scalar type names (as written in SQL and in JSON schemas) → DuckDB type names. */
const SCALAR_TYPES: Readonly<Record<string, string>> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  INTEGER: 'BIGINT',
  INT: 'BIGINT',
  SMALLINT: 'BIGINT',
  BIGINT: 'BIGINT',
  TINYINT: 'BIGINT',
  BYTEINT: 'BIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  NUMERIC: DUCK_NUMERIC,
  DECIMAL: DUCK_NUMERIC,
  BIGNUMERIC: DUCK_NUMERIC,
  BIGDECIMAL: DUCK_NUMERIC,
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  // BigQuery TIMESTAMP is an absolute instant; DATETIME is the zone-less civil time.
  TIMESTAMP: 'TIMESTAMPTZ',
  DATETIME: 'TIMESTAMP',
  DATE: 'DATE',
  TIME: 'TIME',
  JSON: 'JSON',
  BYTES: 'BLOB',
};

export function duckScalarType(bigQueryType: string): string | undefined {
  return SCALAR_TYPES[bigQueryType.toUpperCase()];
}

/** The DuckDB type a parameter of this declared BigQuery type is cast to. */
export function duckParamType(type: ParamScalarType, array: boolean): string {
  const scalar = SCALAR_TYPES[type]!;
  return array ? `${scalar}[]` : scalar;
}

/** Column type for a BigQuery schema field (RECORD → STRUCT, REPEATED → LIST). */
export function duckFieldType(field: FieldSchema): string {
  const base =
    field.type === 'RECORD' || field.type === 'STRUCT' ? structType(field) : scalarFieldType(field.type);
  return field.mode === 'REPEATED' ? `${base}[]` : base;
}

function scalarFieldType(type: FieldType): string {
  const duck = SCALAR_TYPES[type];
  if (!duck) throw new Error(`Unknown BigQuery field type ${type}`);
  return duck;
}

function structType(field: FieldSchema): string {
  if (!field.fields?.length) throw new Error(`RECORD field ${field.name} has no sub-fields`);
  return `STRUCT(${field.fields.map((f) => `${duckIdent(f.name)} ${duckFieldType(f)}`).join(', ')})`;
}

/** Column definition for CREATE TABLE / ADD COLUMN; REQUIRED maps to NOT NULL only when asked. */
export function duckColumnDefinition(field: FieldSchema, withRequired: boolean): string {
  const notNull = withRequired && field.mode === 'REQUIRED' ? ' NOT NULL' : '';
  return `${duckIdent(field.name)} ${duckFieldType(field)}${notNull}`;
}

/** DuckDB information_schema data types → normalised BigQuery type names. */
const BIGQUERY_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/^VARCHAR$/, 'STRING'],
  [/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|UHUGEINT)$/, 'INT64'],
  [/^(DOUBLE|FLOAT)$/, 'FLOAT64'],
  [/^DECIMAL(\(.*\))?$/, 'NUMERIC'],
  [/^BOOLEAN$/, 'BOOL'],
  [/^TIMESTAMP WITH TIME ZONE$/, 'TIMESTAMP'],
  [/^TIMESTAMP(_S|_MS|_NS)?$/, 'DATETIME'],
  [/^DATE$/, 'DATE'],
  [/^TIME$/, 'TIME'],
  [/^JSON$/, 'JSON'],
  [/^BLOB$/, 'BYTES'],
  [/^STRUCT\(/, 'STRUCT'],
  [/^UUID$/, 'STRING'],
  [/^INTERVAL$/, 'INTERVAL'],
];

/** Describes a DuckDB column type the way BigQuery's schema would. */
export function bigQueryColumnType(
  dataType: string,
  nullable: boolean,
): Pick<ColumnDescription, 'type' | 'mode'> {
  if (dataType.endsWith('[]')) {
    return { type: bigQueryColumnType(dataType.slice(0, -2), true).type, mode: 'REPEATED' };
  }
  const found = BIGQUERY_NAMES.find(([pattern]) => pattern.test(dataType));
  return { type: found ? found[1] : dataType, mode: nullable ? 'NULLABLE' : 'REQUIRED' };
}
