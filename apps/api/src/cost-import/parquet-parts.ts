import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { type FileMetaData, parquetMetadata } from 'hyparquet';
import { duckString } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { checkDistinctColumns } from './focus-columns.js';
import { parquetColumns } from './parquet-footer.js';
import { onRewriteDuckDb } from './parquet-maps.js';
import { countThriftValues, ThriftValuesExceeded } from './thrift-values.js';

const MAGIC = 'PAR1';

/**
 * The most Parquet files one upload may hold back to back. Each is written out as a file of its
 * own and named in one DuckDB read, and finding it costs a footer parse: without a bound, a few
 * hundred kilobytes of gzip held a million empty Parquet files. A provider's export of a month
 * comes in at most a few hundred files, and each file may hold any number of row groups.
 */
export const MAX_PARQUET_PARTS = 1000;

/** More parts than MAX_PARQUET_PARTS: refused before any part is written. */
function tooManyParts(): CostImportError {
  return new CostImportError(
    CostImportErrorCode.TooManyParts,
    `The file holds more than ${MAX_PARQUET_PARTS} Parquet files back to back; one import merges at ` +
      `most ${MAX_PARQUET_PARTS}. Merge the parts into fewer files first (a Parquet file may hold any ` +
      'number of row groups) and import the month as one upload.',
    { extra: { max_parts: MAX_PARQUET_PARTS } },
  );
}

/** A byte range of the upload: [start, end). */
/**
 * The most values (struct fields and list elements) one Parquet footer may hold. hyparquet builds
 * an object for each while the event loop waits: a footer of 2,000,000 takes ~360 MB and 1.6 s at
 * worst (empty structs, one byte each), while a real export's stays far below (977 row groups of
 * 60 columns: 1.3 million). Arrow's readers bound footers the same way (thrift_container_size_limit,
 * https://arrow.apache.org/docs/python/generated/pyarrow.dataset.ParquetFragmentScanOptions.html).
 */
export const MAX_FOOTER_VALUES = 2_000_000;

/**
 * Refuses a footer holding more than MAX_FOOTER_VALUES values before hyparquet decodes it: 39 KB
 * of gzip (a footer declaring 40 million empty structs) held the event loop for a minute and a
 * half, then took the server down with every request in flight (V8 out of heap). A footer that is
 * not Thrift is left to the decoder, which fails on it no later than the count did.
 */
function checkFooterValues(footer: Uint8Array): void {
  try {
    countThriftValues(footer, 0, MAX_FOOTER_VALUES);
  } catch (error) {
    if (!(error instanceof ThriftValuesExceeded)) return;
    throw new CostImportError(
      CostImportErrorCode.FileUnreadable,
      `A Parquet footer of the file describes more than ${MAX_FOOTER_VALUES} values (its row groups, ` +
        'column chunks and their statistics): write the export with fewer, larger row groups, or ' +
        'split it into several files uploaded back to back.',
      { cause: error, extra: { max_footer_values: MAX_FOOTER_VALUES } },
    );
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where the part ending at the footer `meta` (of `footerBytes` with its length and magic) began:
 * the metadata's offsets are relative to the part's start and name every range written before the
 * footer (column chunks with their dictionary pages, page indexes, bloom filters), and writers put
 * the footer right after the last of them. Null when a range's end is not told (a bloom filter
 * without its length, encrypted columns).
 */
function partLength(meta: FileMetaData, footerBytes: number): number | null {
  let last = MAGIC.length;
  const reach = (offset: bigint | undefined, length: bigint | number | undefined): boolean => {
    if (offset === undefined) return true;
    if (length === undefined) return false;
    last = Math.max(last, Number(offset) + Number(length));
    return true;
  };
  for (const group of meta.row_groups)
    for (const chunk of group.columns) {
      const data = chunk.meta_data;
      if (!data || chunk.encrypted_column_metadata) return null;
      const first = [data.dictionary_page_offset, data.index_page_offset, data.data_page_offset]
        .filter((o): o is bigint => o !== undefined && o > 0n)
        .reduce((a, b) => (a < b ? a : b));
      if (
        !reach(first, data.total_compressed_size) ||
        !reach(chunk.offset_index_offset, chunk.offset_index_length) ||
        !reach(chunk.column_index_offset, chunk.column_index_length) ||
        !reach(data.bloom_filter_offset, data.bloom_filter_length)
      )
        return null;
    }
  return last + footerBytes;
}

/**
 * The Parquet files written back to back in `file` (`cat part-*.parquet > all.parquet`), first to
 * last, found from the end: each part ends with its footer, whose length precedes the closing
 * magic, and begins with the magic. One range for a plain Parquet file; null when the bytes do
 * not split into whole parts (Polars then reads the file as one, and says what is wrong with it).
 * Refused (422) as soon as it finds more than MAX_PARQUET_PARTS parts.
 */
export async function parquetParts(file: string): Promise<ByteRange[] | null> {
  const handle = await open(file, 'r');
  try {
    const read = async (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    const parts: ByteRange[] = [];
    let end = (await handle.stat()).size;
    while (end > 0) {
      if (end < 12) return null;
      const tail = await read(end - 8, 8);
      if (tail.toString('latin1', 4) !== MAGIC) return null;
      const footerBytes = tail.readUInt32LE(0) + 8;
      if (footerBytes + MAGIC.length > end) return null;
      const footer = await read(end - footerBytes, footerBytes);
      checkFooterValues(footer);
      let meta: FileMetaData;
      try {
        meta = parquetMetadata(footer);
      } catch {
        return null;
      }
      const length = partLength(meta, footerBytes);
      if (length === null || length > end) return null;
      const start = end - length;
      if ((await read(start, MAGIC.length)).toString('latin1') !== MAGIC) return null;
      if (parts.length === MAX_PARQUET_PARTS) throw tooManyParts();
      parts.unshift({ start, end });
      end = start;
    }
    return parts;
  } finally {
    await handle.close();
  }
}

/**
 * A Parquet upload made of several parts back to back, as an export of one month in parts
 * (AWS Data Exports' `part-00001.parquet`, ...) is uploaded with `cat`, merged into one Parquet
 * file (`${file}` with `.merged.parquet`): the import then reads the whole month at once and
 * replaces its slice once, where importing the parts one by one made each replace the one before.
 * DuckDB copies the rows in part order with their types as they are (DECIMAL, MAP, timestamps);
 * parts whose columns differ are refused (422). A plain Parquet file is returned as it is. The
 * part files written for the merge are removed once it is done (or refused).
 */
export async function joinParquetParts(file: string): Promise<string> {
  const parts = await parquetParts(file);
  if (!parts || parts.length < 2) return file;
  const base = file.replace(/\.parquet$/, '');
  const names = parts.map((_, i) => `${base}.part-${String(i + 1).padStart(5, '0')}.parquet`);
  // The parts are copies made for the merge alone: they go with it, merged or refused.
  try {
    return await mergeParts(file, parts, names, `${base}.merged.parquet`);
  } finally {
    await Promise.all(names.map((name) => rm(name, { force: true })));
  }
}

/** Writes each part of `file` to its name in `names`, checks their columns agree, and merges them. */
async function mergeParts(
  file: string,
  parts: ByteRange[],
  names: string[],
  merged: string,
): Promise<string> {
  let first: string | undefined;
  for (const [i, part] of parts.entries()) {
    await pipeline(
      createReadStream(file, { start: part.start, end: part.end - 1 }),
      createWriteStream(names[i]!),
    );
    const declared = (await parquetColumns(names[i]!))?.map((c) => c.name);
    // DuckDB would rename a second column of one name; the import refuses such a file.
    if (declared) checkDistinctColumns(declared);
    const columns = declared?.join('\u0000');
    first ??= columns;
    if (columns !== first)
      throw new CostImportError(
        CostImportErrorCode.FileUnreadable,
        `The file could not be read: it holds ${parts.length} Parquet parts, and part ${i + 1} does not ` +
          'have the columns of part 1 (in the same order); import parts of different exports separately.',
      );
  }
  await onRewriteDuckDb(async (connection) => {
    try {
      await connection.run(
        `COPY (SELECT * FROM read_parquet([${names.map(duckString).join(', ')}])) ` +
          `TO ${duckString(merged)} (FORMAT parquet, ROW_GROUP_SIZE 8192)`,
      );
    } catch (error) {
      throw new CostImportError(
        CostImportErrorCode.FileUnreadable,
        `The file could not be read: its ${parts.length} Parquet parts could not be read together.`,
        { cause: error },
      );
    }
  });
  return merged;
}
