import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DOUBLE,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { isTypedParam } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { ParamScalarType, ParamValue, QueryParams } from '../warehouse.port.js';
import { duckParamType } from './type-names.js';

/** Parameters ready for DuckDB: values with explicit bind types. */
export interface BoundParams {
  readonly values: Record<string, DuckDBValue>;
  readonly types: Record<string, DuckDBType>;
}

function badParam(name: string, problem: string): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Query parameter @${name}: ${problem}`);
}

/**
 * DATE, TIMESTAMP, NUMERIC and JSON travel as text and are converted by the cast in the SQL, which
 * keeps the conversion rules DuckDB's own (and the same as for literals).
 */
const BIND_TYPES: Readonly<Record<ParamScalarType, DuckDBType>> = {
  STRING: VARCHAR,
  INT64: BIGINT,
  FLOAT64: DOUBLE,
  NUMERIC: VARCHAR,
  BOOL: BOOLEAN,
  TIMESTAMP: VARCHAR,
  DATE: VARCHAR,
  JSON: VARCHAR,
  BYTES: BLOB,
};

function scalar(name: string, type: ParamScalarType, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  const wrong = () => badParam(name, `${typeof value} is not a valid ${type}`);
  switch (type) {
    case 'STRING':
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'INT64':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      throw wrong();
    case 'FLOAT64':
      if (typeof value !== 'number') throw wrong();
      return value;
    case 'NUMERIC':
      if (typeof value !== 'number' && typeof value !== 'string') throw wrong();
      return String(value);
    case 'BOOL':
      if (typeof value !== 'boolean') throw wrong();
      return value;
    case 'TIMESTAMP':
      if (value instanceof Date) return value.toISOString();
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'DATE':
      if (value instanceof Date) return value.toISOString().slice(0, 10);
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'JSON':
      return JSON.stringify(value);
    case 'BYTES':
      if (!(value instanceof Uint8Array)) throw wrong();
      return blobValue(value);
  }
}

/** The BigQuery type BigQuery itself would infer for an untyped value. */
function inferType(name: string, value: ParamValue): { type: ParamScalarType; array: boolean } {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw badParam(name, 'an empty array needs a type (param.stringArray / param.intArray)');
    }
    const element = inferType(name, value[0]!);
    const integers = value.every((v) => typeof v === 'number' && Number.isInteger(v));
    return { type: element.type === 'INT64' && !integers ? 'FLOAT64' : element.type, array: true };
  }
  if (typeof value === 'string') return { type: 'STRING', array: false };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'INT64' : 'FLOAT64', array: false };
  if (typeof value === 'boolean') return { type: 'BOOL', array: false };
  if (value instanceof Date) return { type: 'TIMESTAMP', array: false };
  if (value instanceof Uint8Array) return { type: 'BYTES', array: false };
  throw badParam(name, 'unsupported value; use a typed param');
}

/** Converts the parameters a statement references (`used`) into DuckDB bindings. */
export function bindParams(params: QueryParams, used: readonly string[]): BoundParams {
  const bound: BoundParams = { values: {}, types: {} };
  for (const name of used) {
    if (!Object.hasOwn(params, name)) throw badParam(name, 'no value was given');
    const param = params[name]!;
    const { type, array } = isTypedParam(param) ? param : inferType(name, param);
    const value = isTypedParam(param) ? param.value : param;
    const bindType = BIND_TYPES[type];
    if (array) {
      // BigQuery has no NULL arrays in parameters: a NULL array is an empty one.
      const items = value === null || value === undefined ? [] : value;
      if (!Array.isArray(items)) throw badParam(name, `expected an array of ${type}`);
      bound.values[name] = listValue(items.map((item: unknown) => scalar(name, type, item)));
      bound.types[name] = LIST(bindType);
    } else {
      bound.values[name] = scalar(name, type, value);
      bound.types[name] = bindType;
    }
  }
  return bound;
}

/**
 * name → DuckDB type each placeholder is cast to, for the translator. An untyped string stays
 * uncast so that it coerces to DATE/TIMESTAMP in comparisons, as BigQuery's parameters do.
 */
export function paramCasts(params: QueryParams): Record<string, string> {
  const casts: Record<string, string> = {};
  for (const [name, param] of Object.entries(params)) {
    const typed = isTypedParam(param);
    // An empty untyped array is reported by bindParams, once the statement is known to use it.
    const empty = Array.isArray(param) && param.length === 0;
    if (!typed && (typeof param === 'string' || empty)) continue;
    const { type, array } = typed ? param : inferType(name, param);
    casts[name] = duckParamType(type, array);
  }
  return casts;
}
