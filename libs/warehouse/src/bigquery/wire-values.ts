import type { TableRow } from '@google-cloud/bigquery';
import type { Row } from '../warehouse.port.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import { standardTypeName } from '../schema/table-drift.js';

/** A column of a result or table schema as the REST API sends it. */
export interface WireField {
  name: string;
  type: string;
  mode?: string;
  fields?: WireField[];
  description?: string;
}

type Cell = { v?: unknown } | null | undefined;

/**
 * `row`: the port's row contract. `frame`: the same, except JSON and BYTES keep their wire text
 * (Polars takes neither parsed JSON nor Buffers from JS).
 */
export type DecodeTarget = 'row' | 'frame';

/**
 * TIMESTAMPs are requested as int64 microseconds (`formatOptions.useInt64Timestamp`), which are
 * exact; the float-seconds form ("1.6725744E9") is still understood in case a server ignores that.
 */
function timestamp(v: string): Date {
  return new Date(/^-?\d+$/.test(v) ? Math.floor(Number(v) / 1000) : Number(v) * 1000);
}

function decodeScalar(
  type: string,
  v: unknown,
  fields: WireField[] | undefined,
  target: DecodeTarget,
): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'INT64': {
      // Same rule as the DuckDB driver: an integer a JS number cannot hold exactly is an error, not a rounding.
      const n = Number(v);
      if (!Number.isSafeInteger(n))
        throw new WarehouseError(
          WarehouseErrorCode.QueryFailed,
          'An INT64 result is outside the exact range of a number.',
        );
      return n;
    }
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      // NUMERIC/BIGNUMERIC beyond a double's precision are rounded: the port promises numbers.
      return Number(v);
    case 'BOOL':
      return v === 'true';
    case 'TIMESTAMP':
      return timestamp(String(v));
    case 'JSON':
      return target === 'row' ? (JSON.parse(String(v)) as unknown) : v;
    case 'BYTES':
      return target === 'row' ? Buffer.from(String(v), 'base64') : v;
    case 'STRUCT': {
      const cells = (v as { f?: Cell[] }).f ?? [];
      const out: Row = {};
      (fields ?? []).forEach((f, i) => (out[f.name] = decodeCell(f, cells[i]?.v, target)));
      return out;
    }
    default:
      // STRING, DATE ('YYYY-MM-DD'), DATETIME, TIME, GEOGRAPHY: the wire text is the value.
      return v;
  }
}

/** One f/v cell; a REPEATED cell is `[{v}, ...]` and decodes to an array (never null). */
export function decodeCell(field: WireField, v: unknown, target: DecodeTarget): unknown {
  const type = standardTypeName(field.type);
  if (field.mode === 'REPEATED')
    return ((v ?? []) as Cell[]).map((item) => decodeScalar(type, item?.v, field.fields, target));
  return decodeScalar(type, v, field.fields, target);
}

/**
 * Rows in the port's normalised form, decoded from the REST f/v format directly. The client
 * library's parser (`mergeSchemaWithRows_` with `wrapIntegers: false, parseJSON: true`) would
 * build Big, BigQueryTimestamp and BigQueryDate objects only for them to be unwrapped again, and
 * its NUMERIC path breaks whenever `big.js` resolves to its ESM build (see bigquery-warehouse.ts).
 */
export function parseRows(fields: WireField[], rows: TableRow[]): Row[] {
  return rows.map((row) => {
    const cells = (row.f ?? []) as Cell[];
    const out: Row = {};
    fields.forEach((field, i) => (out[field.name] = decodeCell(field, cells[i]?.v, 'row')));
    return out;
  });
}
