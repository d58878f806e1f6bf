import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { aFocusFileRow, focusParquet } from '#test/focus-files';
import { identifyUpload, mediaType, receiveUpload } from './import-upload.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-spec-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}
const expand = () => ({ path: path.join(dir, 'expanded.parquet'), maxBytes: 1_000_000 });
const PARQUET = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(8), Buffer.from('PAR1')]);

describe('import upload', () => {
  it('reads the media type without parameters', () => {
    expect(mediaType('Text/CSV; charset=utf-8')).toBe('text/csv');
    expect(mediaType(undefined)).toBe('');
  });

  it('writes the body to a file and counts its bytes', async () => {
    const file = path.join(dir, 'body');
    const bytes = await receiveUpload(Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), file, {
      maxBytes: 100,
    });

    expect(bytes).toBe(8);
    expect(fs.readFileSync(file, 'utf8')).toBe('a,b\n1,2\n');
  });

  it('refuses a body past the limit, by declared length or while streaming', async () => {
    const big = () => Readable.from([Buffer.alloc(60, 'a'), Buffer.alloc(60, 'b')]);
    await expect(
      receiveUpload(big(), path.join(dir, 'x'), { maxBytes: 100, declaredLength: 120 }),
    ).rejects.toMatchObject({ code: 'COST_IMPORT_FILE_TOO_LARGE' });
    await expect(receiveUpload(big(), path.join(dir, 'y'), { maxBytes: 100 })).rejects.toMatchObject({
      code: 'COST_IMPORT_FILE_TOO_LARGE',
    });
  });

  it('tells CSV from Parquet by content, through gzip too', async () => {
    const csv = write('a', 'BilledCost\n1\n');
    const gzCsv = write('b', gzipSync('BilledCost\n1\n'));
    const parquet = write('c', PARQUET);

    expect(await identifyUpload(csv, 'text/csv', expand())).toEqual({
      format: 'csv',
      gzip: false,
      path: csv,
    });
    expect(await identifyUpload(gzCsv, 'application/gzip', expand())).toMatchObject({
      format: 'csv',
      gzip: true,
    });
    expect(await identifyUpload(parquet, 'application/octet-stream', expand())).toEqual({
      format: 'parquet',
      gzip: false,
      path: `${parquet}.parquet`,
    });
  });

  it('expands gzip-compressed Parquet next to the upload', async () => {
    const gz = write('d', gzipSync(PARQUET));
    const found = await identifyUpload(gz, 'application/gzip', expand());

    expect(found).toEqual({ format: 'parquet', gzip: true, path: expand().path });
    expect(fs.readFileSync(found.path)).toEqual(PARQUET);
  });

  it('keeps only the merged file of a gzip-compressed Parquet upload in parts, not its copies', async () => {
    const parts = [focusParquet([aFocusFileRow({ BilledCost: '1' })]), focusParquet([aFocusFileRow()])];
    const found = await identifyUpload(
      write('upload', gzipSync(Buffer.concat(parts))),
      'application/gzip',
      expand(),
    );

    expect(found).toEqual({ format: 'parquet', gzip: true, path: path.join(dir, 'expanded.merged.parquet') });
    expect(fs.readdirSync(dir)).toEqual(['expanded.merged.parquet']);
  });

  it.each([
    [
      'binary data sent as CSV',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
      'text/csv',
      'neither a CSV',
    ],
    ['CSV sent as Parquet', 'a,b\n', 'application/vnd.apache.parquet', 'not a Parquet file'],
    ['Parquet sent as CSV', PARQUET, 'text/csv', 'is a Parquet file'],
    ['plain text sent as gzip', 'a,b\n', 'application/gzip', 'not gzip data'],
  ])('refuses %s', async (_what, data, declared, message) => {
    await expect(identifyUpload(write('e', data), declared, expand())).rejects.toMatchObject({
      code: 'COST_IMPORT_FILE_UNREADABLE',
      detail: expect.stringContaining(message),
    });
  });

  it('refuses an empty file', async () => {
    await expect(identifyUpload(write('f', ''), 'text/csv', expand())).rejects.toMatchObject({
      code: 'COST_IMPORT_EMPTY_FILE',
    });
  });
});
