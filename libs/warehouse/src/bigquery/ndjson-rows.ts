import type { Row } from '../warehouse.port.js';
import type { WireField } from './wire-values.js';
import { standardTypeName } from '../schema/table-drift.js';

/**
 * insertRows of at least this many rows goes to BigQuery as one load job of newline-delimited
 * JSON instead of DML INSERTs, which carry at most 500 rows each (insert-statements.ts): a cost
 * import's 25,000-row batch was some 60 sequential billed jobs of a second or more each, hours for
 * a year of rows, where one free load job takes it whole. Fewer rows stay DML: a load job has its
 * own start-up time, and a table takes at most 1,500 of them a day.
 */
export const LOAD_MIN_ROWS = 1000;

/** A value as BigQuery's JSON loader reads it for a column of `type`; undefined: not expressible. */
type Encode = (value: unknown) => string | undefined;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * `YYYY-MM-DD HH:MM:SS.mmm+00:00`: the canonical TIMESTAMP form the loader documents (dashes in
 * the date, colons in the time: https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json#limitations),
 * for a year of four digits.
 */
function timestampText(at: Date): string | undefined {
  const year = at.getUTCFullYear();
  if (!Number.isFinite(at.getTime()) || year < 1 || year > 9999) return undefined;
  const date = `${String(year).padStart(4, '0')}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}`;
  const time = `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`;
  return JSON.stringify(`${date} ${time}.${String(at.getUTCMilliseconds()).padStart(3, '0')}+00:00`);
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

const ENCODERS: Partial<Record<string, Encode>> = {
  STRING: (v) => JSON.stringify(typeof v === 'string' ? v : String(v)),
  // As text: a JSON number past 2^53 would lose digits (the loader reads quoted integers).
  INT64: (v) =>
    (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint' ? `"${v}"` : undefined,
  // NaN and the infinities have no JSON form: such rows stay DML.
  FLOAT64: (v) => (typeof v === 'number' && Number.isFinite(v) ? JSON.stringify(v) : undefined),
  NUMERIC: (v) => JSON.stringify(String(v)),
  BIGNUMERIC: (v) => JSON.stringify(String(v)),
  BOOL: (v) => (typeof v === 'boolean' ? String(v) : undefined),
  TIMESTAMP: (v) => (v instanceof Date ? timestampText(v) : undefined),
  DATE: (v) =>
    v instanceof Date
      ? JSON.stringify(v.toISOString().slice(0, 10))
      : typeof v === 'string' && ISO_DAY.test(v)
        ? JSON.stringify(v)
        : undefined,
  // A JSON column takes the raw JSON value; a string is JSON text (as insertRows' DML reads it).
  JSON: (v) => {
    if (typeof v !== 'string') return JSON.stringify(v);
    try {
      JSON.parse(v);
      // In valid JSON text a raw line break can only be whitespace between tokens (inside a
      // string it is escaped): a space keeps the line whole and every digit of the value.
      return v.replace(/[\r\n]/g, ' ');
    } catch {
      return undefined;
    }
  },
};

/**
 * The rows as newline-delimited JSON for a load job into a table of `fields` (matched by name,
 * any case), or null when a value has no form the loader reads as the DML would write it (a
 * REPEATED or RECORD column, a non-finite float, a timestamp given as text...): those rows stay DML.
 */
export function ndjsonOf(fields: readonly WireField[], rows: readonly Row[]): Buffer | null {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const lines: string[] = [];
  let cellsInAll = 0;
  for (const row of rows) {
    const cells: string[] = [];
    for (const [key, value] of Object.entries(row)) {
      if (value === null || value === undefined) continue;
      const field = byName.get(key.toLowerCase());
      if (!field || field.mode === 'REPEATED') return null;
      const encoded = ENCODERS[standardTypeName(field.type)]?.(value);
      if (encoded === undefined) return null;
      cells.push(`${JSON.stringify(field.name)}:${encoded}`);
    }
    cellsInAll += cells.length;
    lines.push(`{${cells.join(',')}}`);
  }
  // Nothing but NULLs: the DML path writes no row of them either.
  if (cellsInAll === 0) return null;
  return Buffer.from(`${lines.join('\n')}\n`);
}
