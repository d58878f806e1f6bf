import { BigQuery, type QueryParameter } from '@google-cloud/bigquery';
import { isTypedParam } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { ParamValue, QueryParams } from '../warehouse.port.js';

/**
 * Named query parameters in BigQuery's REST form, encoded by the client library's
 * `BigQuery.valueToQueryParameter_(value, type)` with the type always given:
 * - plain values get the type the library itself would infer (string → STRING, integer → INT64,
 *   other number → FLOAT64, boolean → BOOL, Date → TIMESTAMP, Buffer → BYTES, arrays → ARRAY<…>),
 *   except that a number array is FLOAT64 when any element is fractional (the library types it
 *   by its first element, so `[1, 2.5]` would be ARRAY<INT64>). Typing here also keeps clear of
 *   the library's inference, whose `instanceof Big` check throws when `big.js` resolves to its
 *   ESM build (as under the `import` resolve condition);
 * - values are first brought into the shape the library encodes correctly: it sends a
 *   DATE/TIMESTAMP/DATETIME/TIME given as a string as NULL (it reads `.value` of its wrapper
 *   classes), a Buffer as `{"type":"Buffer","data":[...]}`, a JSON string as is and a JSON array
 *   raw, and it crashes on a NULL array.
 */

/** Types the client library knows; wider than the port's `ParamScalarType` for insertRows. */
export type WireScalarType =
  | 'STRING'
  | 'INT64'
  | 'FLOAT64'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'BOOL'
  | 'TIMESTAMP'
  | 'DATE'
  | 'DATETIME'
  | 'TIME'
  | 'JSON'
  | 'BYTES'
  | 'GEOGRAPHY';

/** A date and time of day with no zone after it, e.g. `2026-01-31 10:00:00` or `2026-01-31T10:00:00.5`. */
const ZONELESS_TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?$/;

/**
 * BigQuery reads a TIMESTAMP without a time zone as UTC (and so does the DuckDB driver); the
 * library parses the string with JavaScript's Date first, which reads it in the host's zone.
 */
function utcWhenZoneless(v: string): string {
  return ZONELESS_TIMESTAMP.test(v.trim()) ? `${v.trim()}Z` : v;
}

function wireValue(type: WireScalarType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'TIMESTAMP': {
      const ts = BigQuery.timestamp(typeof v === 'string' ? utcWhenZoneless(v) : (v as Date));
      // The library turns an unparsable timestamp into NULL without a word.
      if (ts.value == null) throw new Error('Unparsable TIMESTAMP');
      return ts;
    }
    case 'DATE':
      return BigQuery.date(v instanceof Date ? v.toISOString().slice(0, 10) : String(v));
    case 'DATETIME':
      return BigQuery.datetime(v instanceof Date ? v.toISOString().replace('Z', '') : String(v));
    case 'TIME':
      return BigQuery.time(String(v));
    case 'GEOGRAPHY':
      return BigQuery.geography(String(v));
    case 'JSON':
      return JSON.stringify(v);
    case 'BYTES':
      return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
    case 'NUMERIC':
    case 'BIGNUMERIC':
      // A string keeps every digit; a JS number would be sent in float notation.
      return String(v);
    case 'INT64':
      // JSON prints a number past 2^53 rounded to 17 digits (2 ** 60 as 1152921504606847000),
      // which BigQuery reads as another integer; its decimal text is exact.
      return typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)
        ? BigInt(v).toString()
        : v;
    case 'FLOAT64':
      // JSON has no NaN/Infinity (they would arrive as NULL); BigQuery reads them from strings.
      return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
    default:
      return v;
  }
}

function invalid(name: string, why: string, cause?: unknown): WarehouseError {
  return new WarehouseError(WarehouseErrorCode.QueryFailed, `Query parameter @${name} ${why}.`, { cause });
}

/** One parameter with an explicit type; a NULL array is sent as an empty one (BigQuery treats them alike). */
export function typedQueryParameter(
  name: string,
  type: WireScalarType,
  value: unknown,
  array: boolean,
): QueryParameter {
  if (array && value !== null && value !== undefined && !Array.isArray(value))
    throw invalid(name, 'must be an array');
  try {
    if (!array) return { name, ...BigQuery.valueToQueryParameter_(wireValue(type, value), type) };
    const items = ((value ?? []) as unknown[]).map((item) => wireValue(type, item));
    return { name, ...BigQuery.valueToQueryParameter_(items, [type]) };
  } catch (e) {
    // The library's messages quote the offending value (e.g. an unparsable date); keep it out.
    throw invalid(name, `could not be encoded as ${type}`, new Error((e as Error).name));
  }
}

/**
 * A JSON parameter whose value is `text`, JSON already: BigQuery parses a JSON parameter's value
 * as JSON text, so `{"a":1}` is an object, where typedQueryParameter would serialise the string
 * again into the JSON string "{\"a\":1}".
 */
export function jsonTextParameter(name: string, text: string): QueryParameter {
  return { name, parameterType: { type: 'JSON' }, parameterValue: { value: text } };
}

function inferType(name: string, v: unknown): WireScalarType {
  if (typeof v === 'string') return 'STRING';
  if (typeof v === 'boolean') return 'BOOL';
  if (typeof v === 'number') return Number.isInteger(v) ? 'INT64' : 'FLOAT64';
  if (v instanceof Date) return 'TIMESTAMP';
  if (Buffer.isBuffer(v)) return 'BYTES';
  if (v === null || v === undefined)
    throw invalid(name, 'is null or undefined: give it a type with param.string(null), param.int(null), ...');
  throw invalid(name, 'has no BigQuery type of its own: use param.json(...) or another param.* helper');
}

function plainQueryParameter(name: string, value: ParamValue): QueryParameter {
  if (!Array.isArray(value)) return typedQueryParameter(name, inferType(name, value), value, false);
  const items: unknown[] = value;
  if (items.length === 0)
    throw invalid(name, 'is an empty array: give it a type with param.stringArray([]) or param.intArray([])');
  const types = new Set(items.map((item) => inferType(name, item)));
  if (types.size === 2 && types.has('INT64') && types.has('FLOAT64')) types.delete('INT64');
  if (types.size > 1) throw invalid(name, 'mixes element types');
  return typedQueryParameter(name, [...types][0], items, true);
}

export function toQueryParameters(params: QueryParams = {}): QueryParameter[] {
  return Object.entries(params).map(([name, value]) =>
    isTypedParam(value)
      ? typedQueryParameter(name, value.type, value.value, value.array)
      : plainQueryParameter(name, value),
  );
}

/**
 * String values of parameters (or of rows to insert), to be scrubbed from error text that
 * BigQuery may echo back. Best effort: short strings and numbers are left alone.
 */
export function secretsOf(params: Record<string, unknown> = {}): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(add);
    else if (isTypedParam(v)) add(v.value);
    else if (typeof v === 'string' && v.length >= 3) out.push(v);
    else if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v))
      out.push(JSON.stringify(v));
  };
  Object.values(params).forEach(add);
  return out;
}
