import { importTargetForAll, startImportApp } from '#test/cost-import-calls';
import { aFocusFileRow, type FocusFileRow, focusCsv, gzip } from '#test/focus-files';

const BOM = '\uFEFF';

const target = importTargetForAll(() => startImportApp('impboms', 'Part Boms Co'));
const { upload, billed } = target;

/** CSV text with every field quoted, the header's included, as some exporters write it. */
function quotedCsv(rows: readonly FocusFileRow[]): string {
  const header = Object.keys(rows[0]!);
  const line = (cells: readonly string[]) => cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
  return [line(header), ...rows.map((row) => line(header.map((c) => row[c] ?? '')))].join('\r\n') + '\r\n';
}

describe('cost import: parts starting with a BOM before a quoted header', () => {
  const first = () => quotedCsv([aFocusFileRow({ BilledCost: '1', day: '2025-08-01' })]);
  const second = () =>
    quotedCsv([aFocusFileRow({ BilledCost: '2', day: '2025-08-02' }), aFocusFileRow({ BilledCost: 'x' })]);

  it('skips the header of each gzipped part, its BOM included', async () => {
    const file = Buffer.concat([gzip(`${BOM}${first()}`), gzip(`${BOM}${second()}`)]);

    const res = await upload(
      file,
      { 'content-type': 'application/gzip' },
      '?source_system=gz_boms&on_error=skip',
    );

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows_read: 3, rows_imported: 2, rows_rejected: 1 });
    expect(res.json().errors).toEqual([
      { row: 3, column: 'BilledCost', message: 'expected a decimal number, got "x"' },
    ]);
    expect(await billed('gz_boms')).toEqual({ n: 2, billed: 3 });
  });

  it('skips them in plain parts concatenated, and keeps a BOM-like character inside a field', async () => {
    const described = quotedCsv([aFocusFileRow({ ChargeDescription: `a${BOM}b`, day: '2025-08-03' })]);
    const file = `${BOM}${first()}${BOM}${second().split('\r\n').slice(0, 2).join('\r\n')}\r\n${BOM}${described}`;

    const res = await upload(file, { 'content-type': 'text/csv' }, '?source_system=plain_boms');

    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows_read: 3, rows_imported: 3 });
    expect(await billed('plain_boms')).toEqual({ n: 3, billed: 13.5 });
  });

  it('still refuses a BOM in the middle of a line (it is no part boundary)', async () => {
    const file = focusCsv([aFocusFileRow({ day: '2025-08-04' })]).replace('"Amazon', `${BOM}"Amazon`);

    const res = await upload(file, { 'content-type': 'text/csv' }, '?source_system=mid_bom');

    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'COST_IMPORT_FILE_UNREADABLE' });
  });
});
