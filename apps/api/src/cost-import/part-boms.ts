import { Transform, type TransformCallback } from 'node:stream';

/** U+FEFF in UTF-8. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const endsLine = (byte: number | undefined) => byte === 0x0a || byte === 0x0d;

/**
 * Drops each byte order mark that starts a line: the BOM of each part of a multi-part export
 * after the first (`cat part-*.csv.gz`, see openCsvSource). The parser drops the file's first BOM
 * only; a later one was read as the first character of its header's first field, which a quoted
 * header (`"BillingAccountId",...`, as exporters quoting every field write it) made a malformed
 * CSV: the whole file was refused. A BOM elsewhere in a line is passed on as it is.
 */
export class PartBoms extends Transform {
  /** Whether the next byte starts a line: the last byte passed on ended one (or none was yet). */
  private lineStart = true;
  /** The chunk's last bytes when they may begin a BOM that starts a line: EF, or EF BB. */
  private held: Buffer = Buffer.alloc(0);

  private startsLine(data: Buffer, at: number): boolean {
    return at === 0 ? this.lineStart : endsLine(data[at - 1]);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const kept: Buffer[] = [];
    let from = 0;
    for (let at = data.indexOf(BOM); at !== -1; at = data.indexOf(BOM, at + BOM.length)) {
      if (!this.startsLine(data, at)) continue;
      kept.push(data.subarray(from, at));
      from = at + BOM.length;
    }
    let end = data.length;
    for (let n = Math.min(BOM.length - 1, data.length - from); n > 0; n--) {
      const start = data.length - n;
      if (this.startsLine(data, start) && data.subarray(start).equals(BOM.subarray(0, n))) {
        end = start;
        break;
      }
    }
    this.held = Buffer.from(data.subarray(end));
    kept.push(data.subarray(from, end));
    const out = kept.length === 1 ? kept[0]! : Buffer.concat(kept);
    if (out.length) this.lineStart = endsLine(out[out.length - 1]);
    done(null, out.length ? out : undefined);
  }

  override _flush(done: TransformCallback): void {
    done(null, this.held.length ? this.held : undefined);
  }
}
