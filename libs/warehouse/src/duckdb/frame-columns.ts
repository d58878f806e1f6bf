import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { duckIdent } from './sql-tokenizer.js';

const INTEGERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);
const TEXT = new Set<DuckDBTypeId>([
  DuckDBTypeId.DATE,
  DuckDBTypeId.TIME,
  DuckDBTypeId.TIME_TZ,
  DuckDBTypeId.UUID,
  DuckDBTypeId.ENUM,
  DuckDBTypeId.INTERVAL,
  DuckDBTypeId.BIT,
  DuckDBTypeId.BLOB,
]);
const NAIVE_TIMESTAMPS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
]);
const isList = (type: DuckDBType) => type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY;
const isRecord = (type: DuckDBType) =>
  type.typeId === DuckDBTypeId.STRUCT || type.typeId === DuckDBTypeId.MAP;

/** The type whose JSON form matches the row contract's numbers (DECIMAL would print 1.500000000). */
function jsonType(type: DuckDBType): string {
  if (INTEGERS.has(type.typeId)) return 'BIGINT';
  if (type.typeId === DuckDBTypeId.DECIMAL || type.typeId === DuckDBTypeId.FLOAT) return 'DOUBLE';
  if (type.typeId === DuckDBTypeId.LIST) return `${jsonType(type.valueType)}[]`;
  if (type.typeId === DuckDBTypeId.STRUCT) {
    return `STRUCT(${type.entryNames.map((n, i) => `${duckIdent(n)} ${jsonType(type.entryTypes[i]!)}`).join(', ')})`;
  }
  return type.alias === 'JSON' ? 'JSON' : type.toString();
}

/** The scalar type a value is cast to in the frame (null: unchanged). */
function scalarType(type: DuckDBType): string | null {
  if (INTEGERS.has(type.typeId)) return type.typeId === DuckDBTypeId.BIGINT ? null : 'BIGINT';
  if (type.typeId === DuckDBTypeId.FLOAT || type.typeId === DuckDBTypeId.DECIMAL) return 'DOUBLE';
  if (TEXT.has(type.typeId) || NAIVE_TIMESTAMPS.has(type.typeId) || type.alias === 'JSON') return 'VARCHAR';
  return null;
}

/**
 * The SELECT expression giving one result column the frame shape both drivers share: INT64 →
 * Int64, FLOAT64/NUMERIC → Float64, BOOL, STRING → Utf8, TIMESTAMP → Datetime(ms, UTC) (see
 * `frameCasts`), and as text: DATE 'YYYY-MM-DD' (as in rows), DATETIME with a 'T', JSON its
 * JSON text, BYTES base64 (BigQuery's wire form), RECORD and REPEATED RECORD their JSON text
 * (nodejs-polars 0.24 cannot hand struct lists or NULL structs to JavaScript). REPEATED → List,
 * never NULL (an empty list, as in rows).
 */
export function frameColumn(name: string, type: DuckDBType): string {
  const column = duckIdent(name);
  const json = `CAST(to_json(CAST(${column} AS ${jsonType(type)})) AS VARCHAR)`;
  if (isRecord(type)) return `${json} AS ${column}`;
  if (isList(type) && 'valueType' in type) {
    if (isRecord(type.valueType)) return `coalesce(${json}, '[]') AS ${column}`;
    const element = scalarType(type.valueType);
    const list = element ? `CAST(${column} AS ${element}[])` : column;
    return `coalesce(${list}, []) AS ${column}`;
  }
  if (type.typeId === DuckDBTypeId.BLOB) return `to_base64(${column}) AS ${column}`;
  if (NAIVE_TIMESTAMPS.has(type.typeId)) return `replace(CAST(${column} AS VARCHAR), ' ', 'T') AS ${column}`;
  const target = scalarType(type);
  return target ? `CAST(${column} AS ${target}) AS ${column}` : column;
}

/** Polars casts applied after loading: Parquet carries TIMESTAMPTZ in microseconds. */
export function frameCasts(names: readonly string[], types: readonly DuckDBType[]): pl.Expr[] {
  const datetime = pl.Datetime('ms', 'UTC');
  return names.flatMap((name, i) => {
    const type = types[i]!;
    if (type.typeId === DuckDBTypeId.TIMESTAMP_TZ) return [pl.col(name).cast(datetime)];
    if (isList(type) && 'valueType' in type && type.valueType.typeId === DuckDBTypeId.TIMESTAMP_TZ) {
      return [pl.col(name).cast(pl.List(datetime))];
    }
    return [];
  });
}
