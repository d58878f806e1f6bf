import { setImmediate as nextTurn } from 'node:timers/promises';
import type pl from 'nodejs-polars';

/**
 * Rows turned into JavaScript objects at a time: nodejs-polars' toRecords costs 25–40 µs a row of
 * a listing (about 20 columns), so a slice holds the event loop some 30 ms.
 */
export const RECORDS_SLICE = 1_000;

/**
 * The frame's rows as records, in order, a slice at a time with a turn of the event loop between
 * slices: 10,000 listed rows (a category listing's page) or the 50,000 groups of a granular trend
 * held every tenant's requests for a second and more when converted at once.
 */
export async function recordsOf<T>(df: pl.DataFrame, slice = RECORDS_SLICE): Promise<T[]> {
  if (df.height <= slice) return df.toRecords() as T[];
  const records: T[] = [];
  for (let offset = 0; offset < df.height; offset += slice) {
    if (offset > 0) await nextTurn();
    for (const record of df.slice(offset, slice).toRecords()) records.push(record as T);
  }
  return records;
}
