import type { TableDescription } from '../warehouse.port.js';
import type { FieldSchema, TableSchema } from './table-schema.js';

/** BigQuery's legacy schema type names (INTEGER, FLOAT, BOOLEAN, RECORD, …) → their standard SQL names. */
const STANDARD_NAMES: Readonly<Record<string, string>> = {
  INTEGER: 'INT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  RECORD: 'STRUCT',
  DECIMAL: 'NUMERIC',
  BIGDECIMAL: 'BIGNUMERIC',
};

/** A type name as standard SQL spells it: the configs and BigQuery's REST API use the legacy names. */
export function standardTypeName(type: string): string {
  const upper = type.toUpperCase();
  return STANDARD_NAMES[upper] ?? upper;
}

/** A column whose type differs from the registry's, both spelt in standard SQL (`ARRAY<T>` when REPEATED). */
export interface ColumnTypeMismatch {
  column: string;
  expected: string;
  actual: string;
}

export interface TableDrift {
  missing_columns: string[];
  extra_columns: string[];
  /** Columns present under both but with another type; no sync changes a column's type. */
  type_mismatches: ColumnTypeMismatch[];
}

const typeOf = (column: { type: string; mode?: string }) => {
  const type = standardTypeName(column.type);
  return column.mode === 'REPEATED' ? `ARRAY<${type}>` : type;
};

/**
 * How a table in the warehouse differs from its registry schema: columns missing, columns extra,
 * and columns whose type differs (or that are REQUIRED where the registry has them NULLABLE: the
 * API's writes leave such a column NULL). REQUIRED in the registry against NULLABLE is not a difference here: a sync adds
 * a missing REQUIRED column as NULLABLE (rows already there have no value), and the embedded
 * warehouse does not enforce REQUIRED; the callers count NULLs in REQUIRED columns instead. A
 * RECORD's sub-fields are not compared (the port describes only the top level).
 */
export function tableDrift(table: TableSchema, description: TableDescription | null): TableDrift {
  const have = new Map((description?.columns ?? []).map((c) => [c.name, c]));
  const want = new Map<string, FieldSchema>(table.fields.map((f) => [f.name, f]));
  const type_mismatches: ColumnTypeMismatch[] = [];
  for (const [name, field] of want) {
    const column = have.get(name);
    // A column the warehouse holds NOT NULL where the registry allows NULL refuses every write that
    // leaves it out (those leave it NULL), as a column of another type does.
    const tighter = column?.mode === 'REQUIRED' && field.mode !== 'REQUIRED';
    if (column && (typeOf(column) !== typeOf(field) || tighter))
      type_mismatches.push({
        column: name,
        expected: typeOf(field),
        actual: tighter ? `${typeOf(column)} NOT NULL` : typeOf(column),
      });
  }
  return {
    missing_columns: [...want.keys()].filter((c) => !have.has(c)),
    extra_columns: [...have.keys()].filter((c) => !want.has(c)),
    type_mismatches,
  };
}

/** Whether a drift needs an admin: a missing column (a sync adds it) or a changed type (none does). */
export const driftIsOutOfSync = (drift: { missing_columns: string[]; type_mismatches?: unknown[] }) =>
  drift.missing_columns.length > 0 || (drift.type_mismatches?.length ?? 0) > 0;
