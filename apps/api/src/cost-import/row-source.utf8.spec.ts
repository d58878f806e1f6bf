import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { openCsvSource, type RowSource } from './row-source.js';

/**
 * A CSV is read as UTF-8. A file in another encoding (Excel saves "CSV (Comma delimited)" as
 * Windows-1252) was parsed with its other bytes as U+FFFD and imported as a success: "café" was
 * stored as "caf�". It is refused, naming the line, and a valid file is read intact whatever
 * its chunks' boundaries split.
 */
describe('openCsvSource: UTF-8 only', () => {
  const LIMIT = 1024 * 1024 * 1024;
  let dir: string;
  const opened: RowSource[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-utf8-'));
  });
  afterEach(() => {
    for (const source of opened.splice(0)) source.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, bytes: Buffer) => {
    const at = path.join(dir, name);
    fs.writeFileSync(at, bytes);
    return at;
  };

  async function readAll(at: string, gzip = false): Promise<unknown[][]> {
    const source = await openCsvSource(at, { gzip, maxExpandedBytes: LIMIT });
    opened.push(source);
    const rows: unknown[][] = [];
    for await (const batch of source.batches(1000)) rows.push(...batch.rows);
    return rows;
  }

  async function refusal(read: Promise<unknown>): Promise<CostImportError> {
    const error = await read.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CostImportError);
    return error as CostImportError;
  }

  const latin1 = Buffer.concat([
    Buffer.from('ServiceName,ResourceName\n'),
    Buffer.from('EC2,web\n'),
    Buffer.from('EC2,caf'),
    Buffer.from([0xe9]), // 'é' in Latin-1 / Windows-1252
    Buffer.from('-server\n'),
  ]);

  it('refuses a Latin-1 file, naming the line, instead of importing U+FFFD', async () => {
    const error = await refusal(readAll(file('latin1.csv', latin1)));
    expect(error.code).toBe(CostImportErrorCode.FileUnreadable);
    expect(error.detail).toMatch(/not UTF-8 text \(line 3\)/);
  });

  it('refuses it inside gzip too', async () => {
    const error = await refusal(readAll(file('latin1.csv.gz', gzipSync(latin1)), true));
    expect(error.code).toBe(CostImportErrorCode.FileUnreadable);
    expect(error.detail).toMatch(/line 3/);
  });

  it('names the line of a bad byte far into a large file (a later chunk)', async () => {
    const good = 'EC2,' + 'x'.repeat(95) + '\n'; // 100 bytes a line
    const lines = 5000; // 500 kB: several read chunks
    const bytes = Buffer.concat([
      Buffer.from('ServiceName,ResourceName\n'),
      Buffer.from(good.repeat(lines)),
      Buffer.from('EC2,'),
      Buffer.from([0x80]), // a continuation byte with no lead
      Buffer.from('\n'),
    ]);
    const error = await refusal(readAll(file('late.csv', bytes)));
    expect(error.detail).toMatch(new RegExp(`line ${lines + 2}\\)`));
  });

  it('refuses a file that ends inside a multi-byte character', async () => {
    const bytes = Buffer.concat([Buffer.from('ServiceName,ResourceName\nEC2,a'), Buffer.from([0xe2, 0x82])]);
    const error = await refusal(readAll(file('cut.csv', bytes)));
    expect(error.code).toBe(CostImportErrorCode.FileUnreadable);
  });

  it('reads UTF-8 intact, multi-byte characters split across chunks included', async () => {
    const name = 'é€😀ü';
    // Lines of 1 to 4-byte characters at every offset: some straddle each 64 KiB chunk boundary.
    const rows = Array.from({ length: 20_000 }, (_, i) => `EC2,${'a'.repeat(i % 7)}${name}`);
    const at = file('utf8.csv', Buffer.from(`\uFEFFServiceName,ResourceName\r\n${rows.join('\r\n')}\r\n`));
    const read = await readAll(at);
    expect(read).toHaveLength(rows.length);
    expect(read.every((r, i) => r[1] === `${'a'.repeat(i % 7)}${name}`)).toBe(true);
  });
});
