import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

const NEWLINE = 0x0a;

function newlinesIn(chunk: Buffer, end = chunk.length): number {
  let count = 0;
  for (let at = chunk.indexOf(NEWLINE); at !== -1 && at < end; at = chunk.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * The bytes at the end of `chunk` that start a UTF-8 sequence it does not finish (at most 3): what
 * is checked with the next chunk. Not validated here: a byte no sequence starts with is held back
 * too and refused with what follows it, or at the end.
 */
function unfinishedTail(chunk: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const byte = chunk[chunk.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? chunk.subarray(chunk.length - back) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

/**
 * Passes a CSV's bytes through unchanged, refusing them (422) at the first byte that is not UTF-8:
 * the parser would read such bytes as U+FFFD, so a file saved in another encoding (Excel's
 * "CSV (Comma delimited)" writes Windows-1252) was imported with its names garbled ("caf�"), as a
 * success. The line named is the physical line of the file, as the parser's own errors name it.
 */
export class Utf8Check extends Transform {
  private lines = 0;
  private carried: Buffer = Buffer.alloc(0);

  // Validated with buffer.isUtf8 (simdutf, no string made): about 25 times faster than a fatal
  // TextDecoder, which built a string of every chunk only to throw it away.
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const bytes = this.carried.length === 0 ? chunk : Buffer.concat([this.carried, chunk]);
    const tail = unfinishedTail(bytes);
    if (!isUtf8(bytes.subarray(0, bytes.length - tail.length))) {
      done(this.notUtf8(bytes, chunk));
      return;
    }
    this.lines += newlinesIn(chunk);
    this.carried = tail;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.carried.length === 0 ? null : notUtf8Error(this.lines + 1));
  }

  /**
   * The error naming the line of the first byte that is not UTF-8 in `bytes`: the bytes held back
   * from the last chunk (none of them a newline), then `chunk`.
   */
  private notUtf8(bytes: Buffer, chunk: Buffer): CostImportError {
    const probe = new TextDecoder('utf-8', { fatal: true });
    let at = 0;
    try {
      for (; at < bytes.length; at++) probe.decode(bytes.subarray(at, at + 1), { stream: true });
    } catch {
      // `at` is the first byte the decoder refused.
    }
    const inChunk = Math.max(0, at - (bytes.length - chunk.length));
    return notUtf8Error(this.lines + newlinesIn(chunk, inChunk) + 1);
  }
}

const notUtf8Error = (line: number) =>
  new CostImportError(
    CostImportErrorCode.FileUnreadable,
    `The CSV file is not UTF-8 text (line ${line}): a FOCUS CSV is read as UTF-8, and its other ` +
      'bytes would be imported as replacement characters. Save or convert it as UTF-8 and import it again.',
  );
