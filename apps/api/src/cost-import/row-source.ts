import { setImmediate as nextTurn } from 'node:timers/promises';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import pl from 'nodejs-polars';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { checkDistinctColumns } from './focus-columns.js';
import { parquetColumns } from './parquet-footer.js';
import { measuredParquet } from './parquet-maps.js';
import { PartBoms } from './part-boms.js';
import { Utf8Check } from './utf8-check.js';

/** Consecutive data rows, each as the file's values in header order. */
export interface RowBatch {
  /**
   * Number of the first row. Data rows count from 1; header lines are not rows (neither a CSV's
   * first line nor the header of each later part of a multi-part export, see openCsvSource), nor
   * are a CSV's empty lines and lines of blank cells.
   */
  firstRow: number;
  rows: unknown[][];
}

export interface RowSource {
  readonly header: readonly string[];
  /** The file the rows are read from (a Parquet file with MAP columns: its rewritten copy). */
  readonly path: string;
  /** About how many bytes the rows take once expanded or decoded: what an import has to go through. */
  readonly expandedBytes: number;
  batches(size: number): AsyncGenerator<RowBatch>;
  close(): void;
}

function unreadable(detail: string, cause?: unknown): CostImportError {
  return new CostImportError(CostImportErrorCode.FileUnreadable, detail, { cause });
}

/**
 * A gzip file's size once expanded, from its trailer (ISIZE: the last member's size modulo 2^32),
 * and at least its own size: enough to tell a quick import from a long one. Of parts concatenated
 * into one file (one gzip member each) it counts the last part only; ByteCap still caps them all.
 */
async function gzipExpandedBytes(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 4) return size;
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, size - 4);
    return Math.max(size, trailer.readUInt32LE(0));
  } finally {
    await handle.close();
  }
}

/** Stops a decompression bomb: the expanded bytes are capped like the upload itself. */
class ByteCap extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) done(decompressedTooLarge(this.max));
    else done(null, chunk);
  }
}

const decompressedTooLarge = (max: number) =>
  new CostImportError(CostImportErrorCode.FileTooLarge, `The decompressed file exceeds ${max} bytes.`);

/**
 * The longest CSV record read, in characters: a FOCUS row is a few kilobytes, its Tags included.
 * Without a bound, a line that never ends (a kilobyte of gzip is a megabyte of one line) was read
 * whole before anything was checked, at about a second of CPU and more memory per megabyte.
 */
const MAX_CSV_RECORD_CHARS = 1024 * 1024;

function csvFailure(error: unknown): CostImportError {
  if (error instanceof CostImportError) return error;
  if (error instanceof CsvError && error.code === 'CSV_MAX_RECORD_SIZE')
    return unreadable(
      `A line of the CSV file is longer than ${MAX_CSV_RECORD_CHARS.toLocaleString('en-US')} characters ` +
        `(line ${String(error.lines)}): not a FOCUS row.`,
      error,
    );
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' ? ` (line ${error.lines})` : '';
    return unreadable(`The CSV file is malformed${line}: ${error.message.split('\n')[0]}`, error);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return unreadable('The gzip data is corrupt or truncated.', error);
  return unreadable('The CSV file could not be read.', error);
}

/** A header cell as compared across parts: each part of an export may start with its own BOM. */
const withoutBom = (cell: string) => cell.replace(/^\uFEFF/, '');

/**
 * Whether a record repeats the header: the first line of a later part of a multi-part export
 * (AWS Data Exports write part-00001.csv.gz, part-00002.csv.gz, ... each with its header), which
 * `cat part-*.csv.gz > all.csv.gz` makes one file (gunzip reads concatenated members).
 */
function isHeaderLine(record: readonly string[], header: readonly string[]): boolean {
  return (
    record.length === header.length && record.every((cell, i) => withoutBom(cell) === withoutBom(header[i]!))
  );
}

/**
 * Streams a CSV file (gunzipped on the fly) row by row: memory stays flat whatever the file size.
 * The header is read at open so that a file missing columns is refused before any work is queued.
 * A later line equal to the header is a part boundary of concatenated export parts: skipped, and
 * not counted as a row.
 */
export async function openCsvSource(
  file: string,
  options: { gzip: boolean; maxExpandedBytes: number },
): Promise<RowSource> {
  const input = createReadStream(file);
  const parser = parse({
    bom: true,
    // Any of the three line endings, on every line: csv-parse otherwise takes the first line's for
    // the whole file, and concatenated parts (or a file edited by another tool) that mix LF and CRLF
    // were refused as malformed, or read with a carriage return glued to each last cell.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    skip_empty_lines: true,
    // A line of blank cells only (`,,,,`: Excel writes one for each row it once formatted, or
    // spaces) holds no row, like an empty line: it was reported as a row missing every column.
    skip_records_with_empty_values: true,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  const fail = (error: Error) => parser.destroy(error);
  input.on('error', fail);
  // Bytes that are not UTF-8 are refused, not parsed as replacement characters (see Utf8Check).
  const utf8 = new Utf8Check();
  utf8.on('error', fail);
  // Each part's BOM is dropped before its header is parsed (see PartBoms).
  const boms = new PartBoms();
  if (options.gzip) {
    const gunzip = createGunzip();
    const cap = new ByteCap(options.maxExpandedBytes);
    gunzip.on('error', fail);
    cap.on('error', fail);
    input.pipe(gunzip).pipe(cap).pipe(utf8).pipe(boms).pipe(parser);
  } else {
    input.pipe(utf8).pipe(boms).pipe(parser);
  }
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const close = () => {
    input.destroy();
    utf8.destroy();
    boms.destroy();
    parser.destroy();
  };
  let first: IteratorResult<string[]>;
  try {
    first = await records.next();
  } catch (error) {
    close();
    throw csvFailure(error);
  }
  const header = first.done ? [] : first.value;
  let expandedBytes: number;
  try {
    checkDistinctColumns(header);
    expandedBytes = options.gzip ? await gzipExpandedBytes(file) : (await stat(file)).size;
    // The trailer names the (last) member's size: past the limit, the file is refused now rather
    // than after an accepted upload has been read that far.
    if (expandedBytes > options.maxExpandedBytes) throw decompressedTooLarge(options.maxExpandedBytes);
  } catch (error) {
    close();
    throw error;
  }
  return {
    header,
    path: file,
    expandedBytes,
    close,
    async *batches(size: number) {
      let rows: unknown[][] = [];
      let firstRow = 1;
      try {
        for (let next = await records.next(); !next.done; next = await records.next()) {
          if (isHeaderLine(next.value, header)) continue;
          rows.push(next.value);
          if (rows.length === size) {
            yield { firstRow, rows };
            firstRow += rows.length;
            rows = [];
          }
        }
      } catch (error) {
        throw csvFailure(error);
      }
      if (rows.length) yield { firstRow, rows };
    },
  };
}

/**
 * DECIMAL columns (a BigQuery NUMERIC is DECIMAL(38,9) in Parquet) as their exact text: Polars
 * cannot hand decimals to JavaScript, and the row normalizer reads numeric text exactly.
 */
function withDecimalsAsText(frame: pl.DataFrame): pl.DataFrame {
  const decimals = frame
    .getColumns()
    .filter((c) => /^DataType\(Decimal\(/.test(String(c.dtype)))
    .map((c) => c.name);
  return decimals.length ? frame.withColumns(...decimals.map((name) => pl.col(name).cast(pl.Utf8))) : frame;
}

/** A column's values for the row path; a type JavaScript cannot receive is the file's fault (422). */
function columnValues(series: pl.Series): unknown[] {
  try {
    return series.toArray() as unknown[];
  } catch (error) {
    throw unreadable(
      // The type's kind (Struct, List, ...), not Polars' dump of its whole nested shape.
      `Column ${series.name} has a type the import cannot read (${series.dtype.variant}).`,
      error,
    );
  }
}

/**
 * A Parquet file through Polars: the schema is read at open, the rows when the import runs, in
 * slices turned into row arrays (columns first, which is far cheaper than row objects). A file
 * whose values decode to more than `maxExpandedBytes` is refused at open, as a gzip one is, and so
 * is a file naming a column twice: by the footer's own names, since Polars keeps the last copy.
 * Nothing here reads the rows on the event loop: the measurement runs in DuckDB and the read in
 * Polars' thread pool (a file of millions of rows takes seconds to decode).
 */
export async function openParquetSource(
  file: string,
  options: { maxExpandedBytes: number },
): Promise<RowSource> {
  const declared = await parquetColumns(file);
  if (declared) checkDistinctColumns(declared.map((c) => c.name));
  // Refused from the footer, before Polars opens the file: it cannot, and on some of these types
  // it panics (a raw, non-JSON stack header in the log) before failing.
  const column = declared?.find((c) => c.unreadableType !== null);
  if (column)
    throw unreadable(
      `Column ${column.name} has a type the import cannot read (Parquet ${column.unreadableType}).`,
    );
  let schema: pl.DataFrame;
  try {
    schema = pl.readParquet(file, { numRows: 0 });
  } catch (error) {
    throw unreadable('The Parquet file could not be read.', error);
  }
  const header = schema.columns;
  checkDistinctColumns(header);
  // Each column's type asked for now, while the answer is a 422 naming it: Polars fails on some
  // (binary ones, a BLOB) only when asked, which the columnar check would do as an internal error.
  for (const series of schema.getColumns())
    try {
      void series.dtype.variant;
    } catch (error) {
      throw unreadable(`Column ${series.name} has a type the import cannot read.`, error);
    }
  const { path, decodedBytes } = await measuredParquet(file, (bytes) => {
    if (bytes > options.maxExpandedBytes)
      throw new CostImportError(
        CostImportErrorCode.FileTooLarge,
        `The Parquet file's values take about ${bytes} bytes once decoded, over the import limit of ` +
          `${options.maxExpandedBytes} bytes; split the export (by month, for example).`,
      );
  });
  return {
    header,
    path,
    expandedBytes: decodedBytes,
    close: () => undefined,
    async *batches(size: number) {
      let frame: pl.DataFrame;
      try {
        frame = withDecimalsAsText(await readParquetFile(path));
      } catch (error) {
        throw unreadable('The Parquet file could not be read.', error);
      }
      for (let offset = 0; offset < frame.height; offset += size) {
        const slice = frame.slice(offset, Math.min(size, frame.height - offset));
        const columns = slice.getColumns().map((series) => columnValues(series));
        const rows: unknown[][] = new Array(slice.height);
        for (let i = 0; i < slice.height; i++) rows[i] = columns.map((column) => column[i]);
        yield { firstRow: offset + 1, rows };
        // Lets the event loop serve requests between slices of a large file.
        await nextTurn();
      }
    },
  };
}

/**
 * The whole file as a frame, decoded in Polars' thread pool: `pl.readParquet` decodes on the
 * event loop, which a file of millions of rows holds for seconds.
 */
export function readParquetFile(path: string): Promise<pl.DataFrame> {
  return pl.scanParquet(path).collect();
}
