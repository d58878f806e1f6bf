import type { ParamScalarType, TypedParam } from './warehouse.port.js';

const IDENTIFIER = /^[A-Za-z0-9_]{1,1024}$/;

/** The central dataset, shared by every tenant (same name in every environment). */
export const CENTRAL_DATASET = 'organizations';

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Invalid ${what}: ${JSON.stringify(name)}`);
  return name;
}

/** `dataset.table` quoted for BigQuery Standard SQL. The only way repositories name a table. */
export function tableRef(dataset: string, table: string): string {
  return `\`${assertIdentifier(dataset, 'dataset')}.${assertIdentifier(table, 'table')}\``;
}

/** A table of the central `organizations` dataset. */
export function central(table: string): string {
  return tableRef(CENTRAL_DATASET, table);
}

function typed(type: ParamScalarType, value: unknown, array = false): TypedParam {
  return { kind: 'typed', type, array, value };
}

/** Explicitly typed parameters (NULLs, dates, JSON, empty arrays). */
export const param = {
  string: (v: string | null) => typed('STRING', v),
  int: (v: number | null) => typed('INT64', v),
  float: (v: number | null) => typed('FLOAT64', v),
  numeric: (v: number | string | null) => typed('NUMERIC', v),
  bool: (v: boolean | null) => typed('BOOL', v),
  timestamp: (v: Date | string | null) => typed('TIMESTAMP', v),
  date: (v: string | null) => typed('DATE', v),
  json: (v: unknown) => typed('JSON', v === undefined ? null : v),
  bytes: (v: Buffer | null) => typed('BYTES', v),
  stringArray: (v: string[]) => typed('STRING', v, true),
  intArray: (v: number[]) => typed('INT64', v, true),
};

export function isTypedParam(v: unknown): v is TypedParam {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'typed';
}
