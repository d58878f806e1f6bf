import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { joinParquetParts } from './parquet-parts.js';

/** Media types the import route accepts; `application/octet-stream` and gzip are identified by content. */
export const CSV_TYPES = ['text/csv', 'application/csv'] as const;
export const PARQUET_TYPES = [
  'application/vnd.apache.parquet',
  'application/x-parquet',
  'application/parquet',
];
export const GZIP_TYPES = ['application/gzip', 'application/x-gzip'];
export const IMPORT_MEDIA_TYPES: readonly string[] = [
  ...CSV_TYPES,
  ...PARQUET_TYPES,
  ...GZIP_TYPES,
  'application/octet-stream',
];

export type FileFormat = 'csv' | 'parquet';

export interface IdentifiedFile {
  format: FileFormat;
  gzip: boolean;
  /** The file to read: the upload itself, or its decompressed copy for gzip Parquet. */
  path: string;
}

/** The media type without parameters, lower-cased (`text/csv; charset=utf-8` → `text/csv`). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function tooLarge(max: number): CostImportError {
  return new CostImportError(
    CostImportErrorCode.FileTooLarge,
    `The file exceeds the import limit of ${max} bytes; split it or compress it with gzip.`,
    // The rest of the body is not wanted: the connection closes after the answer.
    { headers: { Connection: 'close' } },
  );
}

/** A gzip file whose content is past the limit on decompressed bytes, however small the upload. */
const decompressedTooLarge = (max: number) =>
  new CostImportError(CostImportErrorCode.FileTooLarge, `The decompressed file exceeds ${max} bytes.`);

class CountingCap extends Transform {
  bytes = 0;
  constructor(
    private readonly max: number,
    private readonly refusal: (max: number) => CostImportError = tooLarge,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(this.refusal(this.max));
    else done(null, chunk);
  }
}

/**
 * Writes the request body to `file`, refusing it (413) as soon as it passes `maxBytes`; the
 * declared Content-Length is checked before anything is read.
 */
export async function receiveUpload(
  body: Readable,
  file: string,
  options: { maxBytes: number; declaredLength?: number; timeoutMs?: number },
): Promise<number> {
  if (options.declaredLength !== undefined && options.declaredLength > options.maxBytes) {
    body.resume();
    throw tooLarge(options.maxBytes);
  }
  // A client that hung up before its body was read (while the route looked its org up) left the
  // request destroyed, its error emitted to no one: piped, it never ends nor fails, and the upload
  // held its org's pending place and an instance slot until the receive timeout (10 minutes).
  if (body.destroyed) throw interrupted(body.errored ?? undefined);
  const cap = new CountingCap(options.maxBytes);
  // The request is piped by hand: pipeline() would destroy it on a refusal, and the client
  // would get a reset connection instead of the 413.
  const onBodyError = (error: Error) => cap.destroy(error);
  // Destroyed without an error (no 'error' event): the same interruption.
  const onBodyClose = () => {
    if (!body.readableEnded) cap.destroy(interrupted());
  };
  body.on('error', onBodyError);
  body.on('close', onBodyClose);
  body.pipe(cap);
  const deadline =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => cap.destroy(tooSlow(options.timeoutMs as number)), options.timeoutMs);
  try {
    await pipeline(cap, createWriteStream(file));
  } catch (error) {
    body.unpipe(cap);
    body.resume();
    if (error instanceof CostImportError) throw error;
    throw interrupted(error);
  } finally {
    clearTimeout(deadline);
    body.off('close', onBodyClose);
  }
  body.off('error', onBodyError);
  return cap.bytes;
}

const interrupted = (cause?: unknown) =>
  new CostImportError(CostImportErrorCode.FileUnreadable, 'The upload was interrupted.', { cause });

const tooSlow = (timeoutMs: number) =>
  new CostImportError(
    CostImportErrorCode.UploadTimeout,
    `The upload did not arrive within ${timeoutMs / 1000} s (COST_IMPORT_RECEIVE_TIMEOUT_MS); send it again over a faster connection, or compressed (gzip).`,
    { headers: { Connection: 'close' }, publicDetail: true },
  );

async function head(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The first bytes after gunzip (enough to tell Parquet from text). */
async function gunzippedHead(file: string, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) break;
    }
  } catch (error) {
    throw new CostImportError(CostImportErrorCode.FileUnreadable, 'The gzip data is corrupt.', {
      cause: error,
    });
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isParquet = (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'PAR1';
/** Text files hold no NUL bytes; binary formats (images, zip, xlsx) nearly always do. */
const isText = (b: Buffer) => b.length > 0 && !b.includes(0);

/**
 * Tells CSV from Parquet by content, with gzip around either, and checks that against the declared
 * media type: a file that is not what it claims to be is refused (422) before it is parsed.
 */
export async function identifyUpload(
  file: string,
  declared: string,
  /** Where gzip-compressed Parquet is expanded to (a `.parquet` path). */
  expandTo: { path: string; maxBytes: number },
): Promise<IdentifiedFile> {
  const raw = await head(file, 64 * 1024);
  if (raw.length === 0) throw new CostImportError(CostImportErrorCode.EmptyFile, 'The file is empty.');
  const gzip = isGzip(raw);
  if (GZIP_TYPES.includes(declared) && !gzip) throw unreadable('It was sent as gzip but is not gzip data.');
  const inner = gzip ? await gunzippedHead(file, 64 * 1024) : raw;
  const format: FileFormat | null = isParquet(inner) ? 'parquet' : isText(inner) ? 'csv' : null;
  if (format === null) throw unreadable('It is neither a CSV text file nor a Parquet file.');
  if ((CSV_TYPES as readonly string[]).includes(declared) && format !== 'csv')
    throw unreadable('It was sent as CSV but is a Parquet file; send it as application/vnd.apache.parquet.');
  if (PARQUET_TYPES.includes(declared) && format !== 'parquet')
    throw unreadable('It was sent as Parquet but is not a Parquet file.');
  if (format === 'parquet' && gzip) {
    // Polars reads Parquet from a file, so compressed Parquet is expanded next to the upload.
    // The upload's own limit was checked as it arrived: this is the one on what it expands to.
    const cap = new CountingCap(expandTo.maxBytes, decompressedTooLarge);
    await pipeline(createReadStream(file), createGunzip(), cap, createWriteStream(expandTo.path)).catch(
      (error: unknown) => {
        if (error instanceof CostImportError) throw error;
        throw unreadable('The gzip data is corrupt.', error);
      },
    );
    // The import reads the expanded copy alone; the upload would only take room while it waits.
    await rm(file);
    return { format, gzip, path: await joined(expandTo.path) };
  }
  if (format === 'parquet') {
    // Polars picks its reader by extension: a Parquet file must be named like one.
    await rename(file, `${file}.parquet`);
    return { format, gzip, path: await joined(`${file}.parquet`) };
  }
  return { format, gzip, path: file };
}

/** The Parquet file to read: `file`, or its parts merged, after which `file` itself is removed. */
async function joined(file: string): Promise<string> {
  const merged = await joinParquetParts(file);
  if (merged !== file) await rm(file);
  return merged;
}

function unreadable(detail: string, cause?: unknown): CostImportError {
  return new CostImportError(CostImportErrorCode.FileUnreadable, `The file could not be read: ${detail}`, {
    cause,
  });
}
