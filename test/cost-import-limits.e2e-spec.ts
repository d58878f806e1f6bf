import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';
import { importCalls, type ImportTarget, startImportApp } from '#test/cost-import-calls';
import { aFocusFileRow, focusParquet, gzip } from '#test/focus-files';

const GZIP = { 'content-type': 'application/gzip' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

let target: ImportTarget;
const { upload, billed } = importCalls(() => target);

/** What uploads left in the app's imports temp folder (none once every import has ended). */
const importFiles = () => {
  const dir = path.join(target.t.dataDir, 'imports');
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }) : [];
};

beforeAll(async () => {
  target = await startImportApp('implim', 'Limits Co');
});
afterAll(() => target?.t.close());

describe('cost import: Parquet parts', () => {
  it('refuses more than 1000 Parquet files back to back, naming the limit, leaves no file, and imports the next upload', async () => {
    // A hundred-odd bytes each, a few kilobytes gzipped for the lot.
    const empty = pl.DataFrame({ a: [] }).writeParquet();
    const many = gzip(Buffer.concat(Array.from({ length: 1001 }, () => empty)));

    const res = await upload(many, GZIP, '?source_system=many_parts');

    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_TOO_MANY_PARTS',
      max_parts: 1000,
      detail: expect.stringContaining('more than 1000 Parquet files back to back'),
    });
    expect(importFiles()).toEqual([]);

    const parts = [
      focusParquet([aFocusFileRow({ BilledCost: '2' })]),
      focusParquet([aFocusFileRow({ BilledCost: '3' })]),
    ];
    const next = await upload(Buffer.concat(parts), PARQUET, '?source_system=many_parts');
    expect(next.statusCode, next.body).toBe(200);
    expect(next.json()).toMatchObject({ status: 'completed', rows_imported: 2 });
    expect(await billed('many_parts')).toEqual({ n: 2, billed: 5 });
    expect(importFiles()).toEqual([]);
  });
});
