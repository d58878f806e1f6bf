import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DOUBLE,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  LIST,
  listValue,
  STRUCT,
  structValue,
  VARCHAR,
} from '@duckdb/node-api';

/** How one table column receives a JavaScript value in insertRows. */
export interface ColumnBinder {
  readonly name: string;
  /** The column's own type, which the placeholder is cast to. */
  readonly sqlType: string;
  /** The type the value is bound as (text for DATE/TIMESTAMP/NUMERIC/JSON). */
  readonly bindType: DuckDBType;
  /** Throws a plain Error naming the expected type when the value does not fit. */
  toValue(value: unknown): DuckDBValue;
}

type Converter = { bindType: DuckDBType; convert: (value: unknown) => DuckDBValue };

function expected(what: string, value: unknown): Error {
  const got = value instanceof Date ? 'Date' : Array.isArray(value) ? 'array' : typeof value;
  return new Error(`expected ${what}, got ${got}`);
}

function integer(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw expected('an integer', value);
}

function text(what: string, value: unknown, fromDate?: (d: Date) => string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date && fromDate) return fromDate(value);
  throw expected(what, value);
}

function converterFor(type: DuckDBType): Converter {
  const orNull =
    (convert: (value: unknown) => DuckDBValue) =>
    (value: unknown): DuckDBValue =>
      value === null || value === undefined ? null : convert(value);
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      if (type.alias === 'JSON') {
        // A string is taken as JSON text already; anything else is serialised.
        return { bindType: VARCHAR, convert: orNull((v) => (typeof v === 'string' ? v : JSON.stringify(v))) };
      }
      return { bindType: VARCHAR, convert: orNull((v) => text('a string', v)) };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
      return { bindType: BIGINT, convert: orNull(integer) };
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return {
        bindType: DOUBLE,
        convert: orNull((v) => {
          if (typeof v !== 'number') throw expected('a number', v);
          return v;
        }),
      };
    case DuckDBTypeId.DECIMAL:
      return {
        bindType: VARCHAR,
        convert: orNull((v) => {
          if (typeof v !== 'number' && typeof v !== 'string') throw expected('a number or numeric string', v);
          return String(v);
        }),
      };
    case DuckDBTypeId.BOOLEAN:
      return {
        bindType: BOOLEAN,
        convert: orNull((v) => {
          if (typeof v !== 'boolean') throw expected('a boolean', v);
          return v;
        }),
      };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return {
        bindType: VARCHAR,
        convert: orNull((v) => text('a Date or timestamp string', v, (d) => d.toISOString())),
      };
    case DuckDBTypeId.TIMESTAMP:
      return {
        bindType: VARCHAR,
        convert: orNull((v) => text('a Date or datetime string', v, (d) => d.toISOString().slice(0, -1))),
      };
    case DuckDBTypeId.DATE:
      return {
        bindType: VARCHAR,
        convert: orNull((v) => text("a 'YYYY-MM-DD' string or Date", v, (d) => d.toISOString().slice(0, 10))),
      };
    case DuckDBTypeId.TIME:
      return { bindType: VARCHAR, convert: orNull((v) => text('a time string', v)) };
    case DuckDBTypeId.BLOB:
      return {
        bindType: BLOB,
        convert: orNull((v) => {
          if (!(v instanceof Uint8Array)) throw expected('a Buffer', v);
          return blobValue(v);
        }),
      };
    case DuckDBTypeId.LIST: {
      const element = converterFor(type.valueType);
      return {
        bindType: LIST(element.bindType),
        // BigQuery stores a missing REPEATED value as an empty array.
        convert: (v) => {
          if (v === null || v === undefined) return listValue([]);
          if (!Array.isArray(v)) throw expected('an array', v);
          return listValue(v.map((item: unknown) => element.convert(item)));
        },
      };
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.entryNames.map((name, i) => ({ name, ...converterFor(type.entryTypes[i]!) }));
      return {
        bindType: STRUCT(Object.fromEntries(fields.map((f) => [f.name, f.bindType]))),
        convert: orNull((v) => {
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw expected('an object', v);
          const record = v as Record<string, unknown>;
          const unknown = Object.keys(record).find((k) => !fields.some((f) => f.name === k));
          if (unknown) throw new Error(`unknown field ${unknown}`);
          return structValue(Object.fromEntries(fields.map((f) => [f.name, f.convert(record[f.name])])));
        }),
      };
    }
    default:
      throw new Error(`columns of type ${type.toString()} cannot be written by insertRows`);
  }
}

/** A binder for a column of the given DuckDB type. */
export function columnBinder(name: string, type: DuckDBType): ColumnBinder {
  const { bindType, convert } = converterFor(type);
  const sqlType = type.alias === 'JSON' ? 'JSON' : type.toString();
  return { name, sqlType, bindType, toValue: convert };
}
