import type { FieldType } from '#warehouse';

/** A value that does not fit its column; the message is shown to the user with the row number. */
export class ValueProblem extends Error {}

/**
 * A decimal number: the digits after a point belong to the point's group, so a run of digits can
 * be matched one way only, and a cell that is no number fails in time linear in its length
 * (`\d+\.?\d*` split a run between its two `\d` every way: quadratic, 20 s for 100,000 digits).
 */
const ANY_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A cell is absent when null, undefined or blank text (CSV has no other way to say NULL). */
export function isAbsent(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value instanceof Date) return 'a date';
  return typeof value;
}

/**
 * NUMERIC as a number rounded to 9 decimals (BigQuery NUMERIC's scale), half away from zero. A
 * double keeps 15 significant digits, so amounts under a million keep all 9 decimals exactly; the
 * staging table holds them as FLOAT64 because DuckDB parses decimal text into NUMERIC ~100 times
 * slower than it converts a double, and the swap turns them back into the decimals they were read
 * as (numericOfStaged: 15 significant digits from 2^21 up).
 */
export function toNumeric(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && ANY_NUMBER.test(value.trim())) n = Number(value);
  else throw new ValueProblem(`expected a decimal number, got ${describe(value)}`);
  if (!Number.isFinite(n) || Math.abs(n) >= 1e29)
    throw new ValueProblem(`expected a decimal number, got ${describe(value)}`);
  return Math.abs(n) < 9e6 ? (Math.sign(n) * Math.round(Math.abs(n) * 1e9)) / 1e9 : n;
}

/**
 * The largest cost (absolute value, exclusive) one FOCUS row may carry in a cost column. Cost
 * reads load each cost as INT64 micro-units, whose range ends at about 9.22e12 currency units: one
 * row past it made every read of its days fail. A trillion keeps a ninefold margin below that
 * edge, and no real charge line comes near it (1e12 VND, the smallest major unit, is about
 * 40 million USD on one line).
 */
export const MAX_ROW_COST = 1e12;

/** A FOCUS cost column's value: NUMERIC (see `toNumeric`) within ±MAX_ROW_COST. */
export function toCost(value: unknown): number {
  const n = toNumeric(value);
  if (Math.abs(n) >= MAX_ROW_COST)
    throw new ValueProblem(
      `is ${typeof value === 'string' ? describe(value) : String(n)}; a cost must be less than ` +
        `${MAX_ROW_COST.toLocaleString('en-US')} (1e12) in absolute value`,
    );
  return n;
}

export function toFloat(value: unknown): number {
  // A Parquet UINT64 column reaches here as bigints (Polars hands over no other 64-bit type so).
  const n =
    typeof value === 'number' || typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'string'
        ? Number(value.trim())
        : NaN;
  if (typeof value === 'string' && !ANY_NUMBER.test(value.trim()))
    throw new ValueProblem(`expected a number, got ${describe(value)}`);
  if (!Number.isFinite(n)) throw new ValueProblem(`expected a number, got ${describe(value)}`);
  return n;
}

export function toInteger(value: unknown): number {
  const n = toFloat(value);
  if (!Number.isSafeInteger(n)) throw new ValueProblem(`expected an integer, got ${describe(value)}`);
  return n;
}

export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
  }
  throw new ValueProblem(`expected true or false, got ${describe(value)}`);
}

/**
 * ISO 8601 date or date-time; FOCUS exports write UTC, so a value without an offset is UTC
 * (never the server's zone, which is what Date.parse would assume). An offset may give hours only
 * (`+05`, which ISO 8601 allows): the same instant as `+05:00`.
 */
export function toTimestamp(value: unknown): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValueProblem('expected a valid date-time');
    return withinTimestampRange(value, JSON.stringify(value.toISOString()));
  }
  const m = typeof value === 'string' ? TIMESTAMP.exec(value.trim()) : null;
  if (!m) throw new ValueProblem(`expected an ISO 8601 date-time, got ${describe(value)}`);
  // A numeric offset belongs to a time: `2025-01-01-05` is no date-time, not 05:00 UTC that day.
  if (m[4] === undefined && m[8] !== undefined && /^[+-]/.test(m[8]))
    throw new ValueProblem(`expected an ISO 8601 date-time, got ${describe(value)}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Number(`0.${frac || '0'}`) * 1000;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0 to 99 as 1900 to 1999 (0026 became 1926).
  const at = new Date(0);
  at.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  const digits = zone && /^[+-]/.test(zone) ? zone.slice(1).replace(':', '') : '';
  const [offsetHours, offsetMinutes] = [Number(digits.slice(0, 2) || 0), Number(digits.slice(2) || 0)];
  if (
    at.getUTCMonth() !== Number(mo) - 1 ||
    at.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59 ||
    // RFC 3339's offsets stop at ±23:59 (+25 moved the charge day).
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    throw new ValueProblem(`expected a valid date-time, got ${describe(value)}`);
  at.setUTCHours(Number(h), Number(mi), Number(s), Math.floor(ms));
  const sign = zone?.startsWith('-') ? -1 : 1;
  const instant = new Date(at.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
  return withinTimestampRange(instant, describe(value));
}

/** The instants a TIMESTAMP holds (BigQuery's range, UTC), in epoch ms. */
export const TIMESTAMP_RANGE_MS = {
  min: Date.parse('0001-01-01T00:00:00Z'),
  max: Date.parse('9999-12-31T23:59:59.999Z'),
} as const;

/**
 * A TIMESTAMP column holds years 0001 to 9999 (UTC) only: an instant outside them (year 0000, or
 * an offset moving 9999-12-31 past midnight) failed the whole import, as the warehouse refused it
 * after every row was staged, instead of rejecting its row.
 */
function withinTimestampRange(at: Date, shown: string): Date {
  const ms = at.getTime();
  if (ms < TIMESTAMP_RANGE_MS.min || ms > TIMESTAMP_RANGE_MS.max)
    throw new ValueProblem(`is ${shown}; a date-time must lie between 0001-01-01 and 9999-12-31 (UTC)`);
  return at;
}

export function toDate(value: unknown): string {
  return toTimestamp(value).toISOString().slice(0, 10);
}

/** A UTF-16 surrogate without its pair (String.prototype.isWellFormed is ES2024). */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The deepest nesting of arrays and objects a JSON value of the warehouse may have (BigQuery's). */
export const MAX_JSON_DEPTH = 500;

/**
 * A problem with a parsed JSON value that the warehouse's JSON type refuses though JSON.parse
 * takes it, or null: text with an unpaired surrogate (`"\ud800"`: JSON escapes UTF-16 units,
 * the column holds UTF-8), a number no double holds (`1e400`), nesting past MAX_JSON_DEPTH. Either
 * warehouse then failed the whole import's swap, with a 500 and no row named, instead of this row.
 */
function jsonProblem(root: unknown): string | null {
  const pending: [unknown, number][] = [[root, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value === 'string') {
      if (UNPAIRED_SURROGATE.test(value)) return 'has an unpaired UTF-16 surrogate (\\ud800 to \\udfff)';
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return 'has a number too large for a double';
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH) return `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`;
      for (const [key, item] of Object.entries(value)) {
        if (UNPAIRED_SURROGATE.test(key)) return 'has an unpaired UTF-16 surrogate (\\ud800 to \\udfff)';
        pending.push([item, depth + 1]);
      }
    }
  }
  return null;
}

/** JSON text is checked and kept as written; structured values (Parquet maps, structs) are serialised. */
export function toJson(value: unknown): string {
  let parsed: unknown;
  let text: string;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ValueProblem('expected JSON text');
    }
    text = value;
  } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    // A Parquet struct's INT64 fields arrive as bigints, which JSON.stringify throws on.
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      if (!Number.isSafeInteger(Number(v)))
        throw new ValueProblem(`expected JSON, got the integer ${v}, past what JSON numbers hold exactly`);
      return Number(v);
    });
    parsed = JSON.parse(text);
  } else throw new ValueProblem(`expected JSON, got ${describe(value)}`);
  const problem = jsonProblem(parsed);
  if (problem) throw new ValueProblem(`expected JSON text the warehouse can hold: it ${problem}`);
  return text;
}

export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  throw new ValueProblem(`expected text, got ${describe(value)}`);
}

export type Converter = (value: unknown) => unknown;

/** How a value of the file becomes a value of a column of the given BigQuery type. */
export function converterFor(type: FieldType): Converter {
  switch (type) {
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return toNumeric;
    case 'FLOAT':
    case 'FLOAT64':
      return toFloat;
    case 'INTEGER':
    case 'INT64':
      return toInteger;
    case 'BOOL':
    case 'BOOLEAN':
      return toBool;
    case 'TIMESTAMP':
      return toTimestamp;
    case 'DATE':
      return toDate;
    case 'JSON':
      return toJson;
    case 'STRING':
      return toText;
    default:
      throw new Error(`The cost table has a column of type ${type}, which the import cannot write`);
  }
}
