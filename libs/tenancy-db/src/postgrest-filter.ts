import { assertSendable, isInFilter } from './sql-builder.js';
import type { DbValue, Filter } from './tenancy-db.port.js';

/**
 * URL bytes of one `in` list per request. Filters travel in the URL, and the gateway in front of
 * PostgREST refuses request targets over 8 KiB (a plain-text 414): a longer list is read in parts.
 */
const IN_LIST_URL_BYTES = 4096;

/** PostgREST parses filter values from the URL: Dates as ISO text, json values as JSON text. */
export function urlValue(value: DbValue, column = 'an `in` list'): string {
  // An invalid Date threw a bare RangeError here, not a TenancyDbError as from the SQL drivers.
  assertSendable(value, column);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * One element of an `in` list, in double quotes with `\` and `"` escaped by a backslash. PostgREST
 * reads an element in quotes with its escapes, and any other up to the next `,` or `)`, except one
 * starting with `"` (read as quoted) or spaces right after `(` (skipped): postgrest-js's in() quotes
 * only values holding `,`, `(` or `)`, and escapes nothing, so `Say "hi", then` or `C:\dir (x)`
 * matched another value, and `"Quoted"` or ` x` first in the list none.
 * https://postgrest.org/en/stable/references/api/tables_views.html#reserved-characters
 */
function listElement(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The values of an `in` list as URL text, each distinct one once, without its nulls: the SQL
 * drivers' `col = ANY($1)` never matches a NULL element (NULL equals nothing, not even NULL), so
 * `{ in: [x, null] }` is `{ in: [x] }`. Sent, a null was the text "null", which matched that
 * string in a text column and failed the query on any other.
 */
function inValues(values: DbValue[]): string[] {
  return [...new Set(values.filter((v) => v !== null).map((v) => urlValue(v)))];
}

/** The value of an `in` filter, `("a","b")`, each distinct value once. */
export function inList(values: DbValue[]): string {
  return `(${inValues(values).map(listElement).join(',')})`;
}

/** URL bytes of one value in an `in` list as URLSearchParams writes it, with its comma. */
function inValueBytes(value: string): number {
  return new URLSearchParams([['', listElement(value)]]).toString().length - 1 + 3;
}

/**
 * The filter as several whose `in` lists each fit their share of IN_LIST_URL_BYTES, every
 * combination of parts (so their rows add up to the whole read); undefined when all fit already.
 */
export function splitLongInList(filter: Filter): Filter[] | undefined {
  const lists = Object.entries(filter).filter((e): e is [string, { in: DbValue[] }] => isInFilter(e[1]));
  const budget = IN_LIST_URL_BYTES / Math.max(1, lists.length);
  for (const [column, value] of lists) {
    const values = inValues(value.in).map((v) => ({ v, bytes: inValueBytes(v) }));
    if (values.reduce((n, x) => n + x.bytes, 0) <= budget) continue;
    const parts: string[][] = [[]];
    let size = 0;
    for (const { v, bytes } of values) {
      if (size + bytes > budget && parts[parts.length - 1].length) {
        parts.push([]);
        size = 0;
      }
      parts[parts.length - 1].push(v);
      size += bytes;
    }
    // A single value longer than the share cannot be split further.
    if (parts.length === 1) continue;
    // Another long list, if any, is split within each part.
    return parts
      .map((part): Filter => ({ ...filter, [column]: { in: part } }))
      .flatMap((f) => splitLongInList(f) ?? [f]);
  }
  return undefined;
}
