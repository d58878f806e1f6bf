import { setImmediate as nextTurn } from 'node:timers/promises';
import pl from 'nodejs-polars';
import type { TableRow } from '@google-cloud/bigquery';
import { decodeCell, type WireField } from './wire-values.js';
import { standardTypeName } from '../schema/table-drift.js';

/**
 * Decodes the REST f/v rows column by column straight into typed Polars Series: no JS row objects
 * in between, which is what makes `pl.DataFrame` ingest ~3× faster than `readRecords`
 * (TOOLCHAIN.md §3b). Values follow the row contract, with column types chosen for Polars:
 * INT64 stays `Int64`, every digit of it (parsed from its wire text by Polars, as the DuckDB
 * driver's frames hold it: a frame is no JS number, so past 2^53 is no reason to refuse a
 * result, as a row must), TIMESTAMP is `Datetime(ms, UTC)`,
 * DATE is its 'YYYY-MM-DD' text, JSON its JSON text, BYTES its base64 text, and a STRUCT (or
 * REPEATED STRUCT) its JSON text: nodejs-polars 0.24 throws on a NULL struct and panics on a list
 * of structs. Every column is typed, so an all-NULL or empty column keeps its type.
 *
 * Results longer than the first page are read through the Storage Read API instead (Arrow record
 * batches, storage-read.ts), when their columns allow it; this decode serves the rest.
 */

type Cell = { v?: unknown } | null | undefined;

function scalarDtype(type: string): pl.DataType {
  switch (type) {
    case 'INT64':
      return pl.Int64;
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return pl.Float64;
    case 'BOOL':
      return pl.Bool;
    case 'TIMESTAMP':
      return pl.Datetime('ms', 'UTC');
    default:
      return pl.Utf8;
  }
}

function series(name: string, values: unknown[], scalar: pl.DataType, repeated: boolean): pl.Series {
  if (!repeated) return pl.Series(name, values, scalar);
  // nodejs-polars 0.24 builds List(Null) when every list is empty, drops a Datetime's time zone
  // inside a List, and cannot build an empty List series at all; the cast restores the type.
  const dtype = pl.List(scalar);
  const built = pl.Series(name, values.length > 0 ? values : [[]], dtype).cast(dtype);
  return values.length > 0 ? built : built.slice(0, 0);
}

/** The frame type of a result column (not REPEATED, not STRUCT): the contract toFrame keeps. */
export function frameDtype(field: WireField): pl.DataType {
  return scalarDtype(standardTypeName(field.type));
}

export function toFrame(fields: WireField[], rows: TableRow[]): pl.DataFrame {
  const columns = fields.map((field, i) => {
    const cell = (row: TableRow) => (row.f as Cell[] | undefined)?.[i]?.v;
    if (standardTypeName(field.type) === 'STRUCT') {
      const json = rows.map((row) => {
        const value = decodeCell(field, cell(row), 'frame');
        return value === null ? null : JSON.stringify(value);
      });
      return pl.Series(field.name, json, pl.Utf8);
    }
    if (standardTypeName(field.type) === 'INT64' && field.mode !== 'REPEATED') {
      const text = rows.map((row) => {
        const v = cell(row);
        return v === null || v === undefined ? null : String(v);
      });
      return pl.Series(field.name, text, pl.Utf8).cast(pl.Int64);
    }
    const values = rows.map((row) => decodeCell(field, cell(row), 'frame'));
    return series(field.name, values, scalarDtype(standardTypeName(field.type)), field.mode === 'REPEATED');
  });
  return pl.DataFrame(columns);
}

/** Rows toFrameInSlices decodes at a time (a few ms of work each). */
export const DECODE_SLICE_ROWS = 10_000;

/**
 * toFrame a slice of DECODE_SLICE_ROWS rows at a time, the event loop turning between slices, the
 * slices joined in Polars' thread pool (collect): decoded at once, the REST pages of a long result
 * (read so when the Storage Read API is refused) held the event loop, every tenant's requests,
 * for as long as the whole decode took (0.7-1.3 s for 300,000 rows of five columns).
 */
export async function toFrameInSlices(fields: WireField[], rows: TableRow[]): Promise<pl.DataFrame> {
  if (rows.length <= DECODE_SLICE_ROWS) return toFrame(fields, rows);
  const slices: pl.LazyDataFrame[] = [];
  for (let start = 0; start < rows.length; start += DECODE_SLICE_ROWS) {
    slices.push(toFrame(fields, rows.slice(start, start + DECODE_SLICE_ROWS)).lazy());
    await nextTurn();
  }
  return pl.concat(slices, { rechunk: true, how: 'vertical' }).collect();
}
