import { importCalls, type ImportTarget, startImportApp } from '#test/cost-import-calls';
import { aFocusFileRow, focusParquet, gzip, parquetFooterBomb } from '#test/focus-files';
import { MAX_FOOTER_VALUES } from '../apps/api/src/cost-import/parquet-parts.js';

const GZIP = { 'content-type': 'application/gzip' };
const PARQUET = { 'content-type': 'application/vnd.apache.parquet' };

let target: ImportTarget;
const { upload, billed } = importCalls(() => target);

beforeAll(async () => {
  target = await startImportApp('impfooter', 'Footer Co');
});
afterAll(() => target.t.close());

/**
 * A Parquet footer is decoded by hyparquet in JavaScript, an object for each struct it declares,
 * while the event loop waits: one declaring 40 million empty structs (39 KB of gzip, from any key
 * with org:write) held the server for a minute and a half and then took it down, out of heap.
 */
describe('a Parquet footer declaring more values than any export holds', () => {
  it('is refused (422) before it is decoded, naming the limit; the org keeps its data', async () => {
    const kept = await upload(
      focusParquet([aFocusFileRow({ BilledCost: '7' })]),
      PARQUET,
      '?source_system=footer_src',
    );
    expect(kept.statusCode, kept.body).toBe(200);
    const bomb = gzip(parquetFooterBomb(MAX_FOOTER_VALUES + 1));
    expect(bomb.length).toBeLessThan(10_000);
    const res = await upload(bomb, GZIP, '?source_system=footer_src');
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'COST_IMPORT_FILE_UNREADABLE',
      max_footer_values: MAX_FOOTER_VALUES,
    });
    expect(await billed('footer_src')).toEqual({ n: 1, billed: 7 });
  });
});
