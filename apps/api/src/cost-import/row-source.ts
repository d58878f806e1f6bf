import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import pl from 'nodejs-polars';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/** Consecutive data rows, each as the file's values in header order. */
export interface RowBatch {
  /** Number of the first row (data rows count from 1). */
  firstRow: number;
  rows: unknown[][];
}

export interface RowSource {
  readonly header: readonly string[];
  batches(size: number): AsyncGenerator<RowBatch>;
  close(): void;
}

function unreadable(detail: string, cause?: unknown): CostImportError {
  return new CostImportError(CostImportErrorCode.FileUnreadable, detail, { cause });
}

/** Stops a decompression bomb: the expanded bytes are capped like the upload itself. */
class ByteCap extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max)
      done(
        new CostImportError(
          CostImportErrorCode.FileTooLarge,
          `The decompressed file exceeds ${this.max} bytes.`,
        ),
      );
    else done(null, chunk);
  }
}

function csvFailure(error: unknown): CostImportError {
  if (error instanceof CostImportError) return error;
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' ? ` (line ${error.lines})` : '';
    return unreadable(`The CSV file is malformed${line}: ${error.message.split('\n')[0]}`, error);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return unreadable('The gzip data is corrupt or truncated.', error);
  return unreadable('The CSV file could not be read.', error);
}

/**
 * Streams a CSV file (gunzipped on the fly) row by row: memory stays flat whatever the file size.
 * The header is read at open so that a file missing columns is refused before any work is queued.
 */
export async function openCsvSource(
  file: string,
  options: { gzip: boolean; maxExpandedBytes: number },
): Promise<RowSource> {
  const input = createReadStream(file);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
  const fail = (error: Error) => parser.destroy(error);
  input.on('error', fail);
  if (options.gzip) {
    const gunzip = createGunzip();
    const cap = new ByteCap(options.maxExpandedBytes);
    gunzip.on('error', fail);
    cap.on('error', fail);
    input.pipe(gunzip).pipe(cap).pipe(parser);
  } else {
    input.pipe(parser);
  }
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const close = () => {
    input.destroy();
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
  return {
    header,
    close,
    async *batches(size: number) {
      let rows: unknown[][] = [];
      let firstRow = 1;
      try {
        for (let next = await records.next(); !next.done; next = await records.next()) {
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
 * A Parquet file through Polars: the schema is read at open, the rows when the import runs, in
 * slices turned into row arrays (columns first, which is far cheaper than row objects).
 */
export function openParquetSource(file: string): RowSource {
  let header: string[];
  try {
    header = pl.readParquet(file, { numRows: 0 }).columns;
  } catch (error) {
    throw unreadable('The Parquet file could not be read.', error);
  }
  return {
    header,
    close: () => undefined,
    async *batches(size: number) {
      let frame: pl.DataFrame;
      try {
        frame = pl.readParquet(file);
      } catch (error) {
        throw unreadable('The Parquet file could not be read.', error);
      }
      for (let offset = 0; offset < frame.height; offset += size) {
        const slice = frame.slice(offset, Math.min(size, frame.height - offset));
        const columns = slice.getColumns().map((series) => series.toArray() as unknown[]);
        const rows: unknown[][] = new Array(slice.height);
        for (let i = 0; i < slice.height; i++) rows[i] = columns.map((column) => column[i]);
        yield { firstRow: offset + 1, rows };
        // Lets the event loop serve requests between slices of a large file.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
  };
}
