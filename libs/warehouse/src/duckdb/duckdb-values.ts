import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  type DuckDBResultReader,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { Row } from '../warehouse.port.js';

function safeInteger(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new WarehouseError(
      WarehouseErrorCode.QueryFailed,
      `INT64 value ${value} is outside the range a JavaScript number holds exactly; cast it to STRING in the query`,
    );
  }
  return Number(value);
}

function isJson(type: DuckDBType): boolean {
  return type.typeId === DuckDBTypeId.VARCHAR && type.alias === 'JSON';
}

/** One DuckDB value in the port's normalised form (see `Row` in warehouse.port.ts). */
export function normaliseValue(value: DuckDBValue, type: DuckDBType): unknown {
  if (type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY) {
    // BigQuery has no NULL arrays: it returns an empty one, and so do we.
    if (value === null) return [];
    const element = type.valueType;
    if (!(value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)) return [];
    return value.items.map((item) => normaliseValue(item, element));
  }
  if (value === null) return null;
  if (typeof value === 'bigint') return safeInteger(value);
  if (typeof value === 'string') return isJson(type) ? (JSON.parse(value) as unknown) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBTimestampTZValue) {
    // Down to the millisecond, as the BigQuery driver does: bigint division would round a
    // timestamp before 1970 up, into the next millisecond.
    const micros = value.micros;
    return new Date(Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)));
  }
  // DATETIME (no zone): BigQuery's canonical text form, since a Date would invent a zone.
  if (value instanceof DuckDBTimestampValue) return value.toString().replace(' ', 'T');
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes);
  if (value instanceof DuckDBStructValue && type.typeId === DuckDBTypeId.STRUCT) {
    const record: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value.entries)) {
      record[name] = normaliseValue(item, type.typeForEntry(name));
    }
    return record;
  }
  return value.toString();
}

/** All rows of a finished reader as normalised objects. */
export function readRows<T extends Row>(reader: DuckDBResultReader): T[] {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  return reader.getRows().map((values) => {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = normaliseValue(values[c]!, types[c]!);
    return row as T;
  });
}
