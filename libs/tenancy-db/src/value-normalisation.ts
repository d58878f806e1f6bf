/**
 * One result shape for every driver, chosen to be what PostgREST (and so supabase-js) already
 * returns, since that driver cannot re-type its JSON without knowing column types:
 * - timestamptz → ISO 8601 string as Postgres renders it in JSON with TimeZone UTC,
 *   `2024-05-01T10:00:00.123456+00:00` (microseconds kept, trailing zeros trimmed);
 * - timestamp → `2024-05-01T10:00:00`; date → `2024-05-01` (never a JS Date);
 * - numeric, int8 and float → number (precision beyond 2^53 is lost, as with JSON.parse), but
 *   `NaN`, `Infinity` and `-Infinity`, which JSON has no number for: the text, as Postgres renders them;
 * - interval → its text, `1 day 02:03:04.5` (pg's default is an object);
 * - json/jsonb → parsed values; arrays of these types element-wise.
 * The pg and PGlite drivers install these parsers per connection and run their sessions in UTC.
 */

export const PgOid = {
  INT8: 20,
  FLOAT4: 700,
  FLOAT8: 701,
  NUMERIC: 1700,
  INTERVAL: 1186,
  DATE: 1082,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  VOID: 2278,
  INT8_ARRAY: 1016,
  FLOAT4_ARRAY: 1021,
  FLOAT8_ARRAY: 1022,
  NUMERIC_ARRAY: 1231,
  INTERVAL_ARRAY: 1187,
  DATE_ARRAY: 1182,
  TIMESTAMP_ARRAY: 1115,
  TIMESTAMPTZ_ARRAY: 1185,
} as const;

/** Only finite dates are rewritten: `infinity` reads the same in text and JSON output. */
const DATE_TIME_TEXT = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(.*)$/;

/** `2024-05-01 10:00:00.5+00` (text output, DateStyle ISO) → `2024-05-01T10:00:00.5+00:00` (JSON output). */
export function timestamptzTextToIso(text: string): string {
  const m = DATE_TIME_TEXT.exec(text);
  if (!m) return text;
  const [, date, time, rest] = m;
  // Text output drops zero minutes from the offset (`+00`); JSON output always has them.
  const offset = /^[+-]\d\d$/.test(rest) ? `${rest}:00` : rest;
  return `${date}T${time}${offset}`;
}

export function timestampTextToIso(text: string): string {
  const m = DATE_TIME_TEXT.exec(text);
  return m ? `${m[1]}T${m[2]}${m[3]}` : text;
}

/** A number, or the text of a non-finite one (`NaN`, `Infinity`, `-Infinity`), as in JSON output. */
export function numericTextToNumber(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** Parsers for scalar types whose driver defaults differ from the shape above, keyed by type oid. */
export const SCALAR_PARSERS: Readonly<Record<number, (text: string) => string | number>> = {
  [PgOid.INT8]: numericTextToNumber,
  [PgOid.FLOAT4]: numericTextToNumber,
  [PgOid.FLOAT8]: numericTextToNumber,
  [PgOid.NUMERIC]: numericTextToNumber,
  [PgOid.INTERVAL]: (text) => text,
  [PgOid.DATE]: (text) => text,
  [PgOid.TIMESTAMP]: timestampTextToIso,
  [PgOid.TIMESTAMPTZ]: timestamptzTextToIso,
};

/** Array type oid → its element type oid, for drivers that parse arrays themselves (pg). */
export const ARRAY_ELEMENT_OIDS: Readonly<Record<number, number>> = {
  [PgOid.INT8_ARRAY]: PgOid.INT8,
  [PgOid.FLOAT4_ARRAY]: PgOid.FLOAT4,
  [PgOid.FLOAT8_ARRAY]: PgOid.FLOAT8,
  [PgOid.NUMERIC_ARRAY]: PgOid.NUMERIC,
  [PgOid.INTERVAL_ARRAY]: PgOid.INTERVAL,
  [PgOid.DATE_ARRAY]: PgOid.DATE,
  [PgOid.TIMESTAMP_ARRAY]: PgOid.TIMESTAMP,
  [PgOid.TIMESTAMPTZ_ARRAY]: PgOid.TIMESTAMPTZ,
};

/** Whether a result is the single `void` column of a function that returns nothing. */
export function isVoidResult(fields: readonly { dataTypeID: number }[]): boolean {
  return fields.length === 1 && fields[0].dataTypeID === PgOid.VOID;
}
